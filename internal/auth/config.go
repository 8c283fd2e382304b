package auth

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

const (
	// DefaultClockSkew is the leeway on exp, nbf and iat.
	DefaultClockSkew = 60 * time.Second
	// DefaultMaxLifetime caps exp-iat: long-lived bearer tokens are refused
	// rather than trusted for days.
	DefaultMaxLifetime = 24 * time.Hour
	// MinSecretLen is the shortest HS256 secret accepted: RFC 7518 §3.2 asks
	// for a key at least as long as the hash output.
	MinSecretLen = 32
)

// Config selects the trusted key sources and the claim checks of a Verifier.
// At least one of HS256Secret, PublicKeyFile and JWKSURL must be set; all
// that are set are trusted together.
type Config struct {
	HS256Secret   []byte        // EHR_AUTH_HS256_SECRET; only verifies HS256
	PublicKeyFile string        // EHR_AUTH_PUBLIC_KEY_FILE: PEM public keys (RSA, ECDSA P-256, Ed25519)
	JWKSURL       string        // EHR_AUTH_JWKS_URL: https, or http on loopback
	Issuer        string        // required iss when set
	Audience      string        // required aud when set
	ClockSkew     time.Duration // leeway for exp, nbf, iat; default DefaultClockSkew
	MaxLifetime   time.Duration // longest exp-iat accepted; default DefaultMaxLifetime
	HTTPClient    *http.Client  // for JWKS fetches; default http.DefaultClient
}

// withDefaults validates the config and fills in default durations.
func (c Config) withDefaults() (Config, error) {
	if len(c.HS256Secret) == 0 && c.PublicKeyFile == "" && c.JWKSURL == "" {
		return c, errors.New("no token key source configured (HS256 secret, public key file or JWKS URL)")
	}
	if len(c.HS256Secret) > 0 && len(c.HS256Secret) < MinSecretLen {
		return c, fmt.Errorf("HS256 secret is %d bytes, need at least %d", len(c.HS256Secret), MinSecretLen)
	}
	if c.ClockSkew < 0 || c.MaxLifetime < 0 {
		return c, errors.New("clock skew and max lifetime must not be negative")
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = DefaultClockSkew
	}
	if c.MaxLifetime == 0 {
		c.MaxLifetime = DefaultMaxLifetime
	}
	return c, nil
}
