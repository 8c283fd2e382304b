package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/clinic/ehr/internal/auth"
)

func runToken(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", `token --secret S --sub ID --scope "…" [--patient ID] [--fhir-user REF] [--ttl 1h]`,
		`  ehrctl token --secret "$EHR_AUTH_HS256_SECRET" --sub alice --scope "user/*.cruds"
  ehrctl token --secret "$(cat data/quickstart.secret)" --sub app1 --scope "patient/*.rs" --patient 123
  ehrctl token --secret S --sub officer --scope "user/AuditEvent.rs" --ttl 15m
`, stderr)
	secret := fs.String("secret", os.Getenv("EHR_AUTH_HS256_SECRET"), "HS256 secret (default $EHR_AUTH_HS256_SECRET)")
	sub := fs.String("sub", "", "subject (user or client id)")
	scope := fs.String("scope", "", "space-separated SMART scopes")
	patient := fs.String("patient", "", "patient in context, for patient/ scopes")
	fhirUser := fs.String("fhir-user", "", "fhirUser claim, e.g. Practitioner/123")
	clientID := fs.String("client-id", "", "client_id claim")
	issuer := fs.String("iss", os.Getenv("EHR_AUTH_ISSUER"), "iss claim (default $EHR_AUTH_ISSUER)")
	audience := fs.String("aud", os.Getenv("EHR_AUTH_AUDIENCE"), "aud claim (default $EHR_AUTH_AUDIENCE)")
	ttl := fs.Duration("ttl", time.Hour, "token lifetime")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *secret == "" || *sub == "" || *scope == "" {
		fs.Usage()
		return fmt.Errorf("--secret, --sub and --scope are required")
	}
	tok, err := auth.Mint([]byte(*secret), auth.MintClaims{
		Subject: *sub, Scope: *scope, Patient: *patient, FHIRUser: *fhirUser, ClientID: *clientID,
		Issuer: *issuer, Audience: *audience, TTL: *ttl,
	})
	if err != nil {
		return fmt.Errorf("mint token: %w", err)
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
