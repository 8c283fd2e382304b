package auth

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Verifier checks access tokens. It is safe for concurrent use.
type Verifier struct {
	secret      []byte      // HS256 only
	static      []publicKey // from the PEM file
	jwks        *jwksSource // nil without a JWKS URL
	parser      *jwt.Parser
	maxLifetime time.Duration
	cancel      context.CancelFunc
}

// NewVerifier builds a Verifier from cfg. ctx bounds the JWKS background
// refresh, as does Close.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("auth config: %w", err)
	}
	v := &Verifier{maxLifetime: cfg.MaxLifetime, cancel: func() {}}
	if len(cfg.HS256Secret) > 0 {
		v.secret = slices.Clone(cfg.HS256Secret)
	}
	if cfg.PublicKeyFile != "" {
		if v.static, err = loadPEMKeys(cfg.PublicKeyFile); err != nil {
			return nil, fmt.Errorf("auth config: %w", err)
		}
	}
	if cfg.JWKSURL != "" {
		jctx, cancel := context.WithCancel(ctx)
		if v.jwks, err = newJWKSSource(jctx, cfg.JWKSURL, cfg.HTTPClient); err != nil {
			cancel()
			return nil, fmt.Errorf("auth config: %w", err)
		}
		v.cancel = cancel
	}
	v.parser = jwt.NewParser(v.parserOptions(cfg)...)
	return v, nil
}

// parserOptions accepts only the algorithms of configured key sources.
func (v *Verifier) parserOptions(cfg Config) []jwt.ParserOption {
	var algs []string
	if v.secret != nil {
		algs = append(algs, "HS256")
	}
	if v.static != nil || v.jwks != nil {
		algs = append(algs, asymmetricAlgs...)
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods(algs),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.ClockSkew),
		jwt.WithStrictDecoding(),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return opts
}

// Close stops the JWKS background refresh. It is safe to call more than once.
func (v *Verifier) Close() { v.cancel() }

// Verify checks raw and returns its principal. Every error wraps
// ErrInvalidToken; its message gives the reason without token contents.
func (v *Verifier) Verify(raw string) (*Principal, error) {
	if err := precheck(raw); err != nil {
		return nil, err
	}
	var c tokenClaims
	if _, err := v.parser.ParseWithClaims(raw, &c, v.keyFor); err != nil {
		return nil, describeParseError(err)
	}
	if err := v.checkLifetime(&c, time.Now()); err != nil {
		return nil, err
	}
	p := c.principal()
	if p.Patient != "" && !validFHIRID(p.Patient) {
		return nil, refuse("patient claim is not a FHIR id")
	}
	if p.Patient == "" && hasPatientScope(p.Scopes) {
		return nil, refuse("patient/ scope without patient claim")
	}
	return p, nil
}

// checkLifetime refuses tokens valid for longer than the cap, measured from
// iat, or from now when iat is absent.
func (v *Verifier) checkLifetime(c *tokenClaims, now time.Time) error {
	start := now
	if c.IssuedAt != nil {
		start = c.IssuedAt.Time
	}
	if c.ExpiresAt.Sub(start) > v.maxLifetime {
		return refuse("token lifetime exceeds the maximum")
	}
	return nil
}
