package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/note"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: ehrctl audit verify [--checkpoint FILE] | export [--from --to --format] | accounting --patient ID")
		return errUsage
	}
	switch args[0] {
	case "verify":
		return runAuditVerify(ctx, args[1:], stdout, stderr)
	case "export":
		return runAuditExport(ctx, args[1:], stdout, stderr)
	case "accounting":
		return runAuditAccounting(ctx, args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "ehrctl audit: unknown subcommand %q (want verify, export or accounting)\n", args[0])
	return errUsage
}

// verifyFailed makes ehrctl exit 1 when the log does not verify.
type verifyFailed struct{ msg string }

func (v verifyFailed) Error() string { return v.msg }
func (verifyFailed) ExitCode() int   { return 1 }

func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit verify", "audit verify [--checkpoint FILE]",
		`  EHR_STORE=sqlite:data/ehr.db ehrctl audit verify
  curl -s -H "Authorization: Bearer $TOKEN" localhost:8080/audit/checkpoint > cp.txt
  ehrctl audit verify --checkpoint cp.txt
`, stderr)
	cpFile := fs.String("checkpoint", "", "a signed checkpoint kept earlier: the log must be consistent with it")
	keyFile := fs.String("key", "", "verifier key file (default: EHR_AUDIT_KEY_FILE + .pub)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	cfg, err := config.Load(nil, nil)
	if err != nil {
		return err
	}
	var checkpoint []byte
	var verifier note.Verifier
	if *cpFile != "" {
		if checkpoint, err = os.ReadFile(*cpFile); err != nil {
			return fmt.Errorf("read checkpoint: %w", err)
		}
		path := *keyFile
		if path == "" {
			path = cfg.AuditKeyFile + ".pub"
		}
		vkey, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read verifier key: %w", err)
		}
		if verifier, err = note.NewVerifier(string(trimSpace(vkey))); err != nil {
			return fmt.Errorf("parse verifier key %s: %w", path, err)
		}
	}
	st, err := app.OpenStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	rep, err := audit.Verify(ctx, st, checkpoint, verifier)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if rep.FirstBad >= 0 {
		return verifyFailed{fmt.Sprintf("FAILED: %d records, first bad record at sequence %d: %s", rep.Size, rep.FirstBad, rep.Problem)}
	}
	if rep.Problem != "" {
		return verifyFailed{fmt.Sprintf("FAILED: %d records: %s", rep.Size, rep.Problem)}
	}
	fmt.Fprintf(stdout, "ok: %d audit records verified\n", rep.Size)
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ') {
		b = b[:len(b)-1]
	}
	return b
}
