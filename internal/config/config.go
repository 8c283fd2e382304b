// Package config reads the server's configuration from the environment
// (CONTRACT.md), with command-line flags mirroring every variable.
package config

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is everything ehrd and ehrctl read at start-up.
type Config struct {
	Addr  string // EHR_ADDR
	Store string // EHR_STORE

	HS256Secret   string        // EHR_AUTH_HS256_SECRET
	JWKSURL       string        // EHR_AUTH_JWKS_URL
	PublicKeyFile string        // EHR_AUTH_PUBLIC_KEY_FILE
	Issuer        string        // EHR_AUTH_ISSUER
	Audience      string        // EHR_AUTH_AUDIENCE
	ClockSkew     time.Duration // EHR_AUTH_CLOCK_SKEW
	MaxLifetime   time.Duration // EHR_AUTH_MAX_TOKEN_LIFETIME
	QuickStart    bool          // EHR_QUICKSTART: generate and keep a secret under DataDir
	DataDir       string        // EHR_DATA_DIR: quick-start secret, audit signing key
	AuditKeyFile  string        // EHR_AUDIT_KEY_FILE
	AuditOrigin   string        // EHR_AUDIT_ORIGIN
	BaseURL       string        // EHR_BASE_URL
	MaxBodyBytes  int64         // EHR_MAX_BODY_BYTES
	LogLevel      string        // EHR_LOG_LEVEL
	TLSCert       string        // EHR_TLS_CERT
	TLSKey        string        // EHR_TLS_KEY
	ShutdownWait  time.Duration // EHR_SHUTDOWN_TIMEOUT
}

// Vars lists every variable with its default and meaning, for --help and docs.
var Vars = []struct{ Name, Default, Help string }{
	{"EHR_ADDR", ":8080", "listen address"},
	{"EHR_STORE", "sqlite:data/ehr.db", "storage URL: sqlite:PATH, mongodb://…, mongodb+srv://…, lungo:memory, lungo:PATH"},
	{"EHR_AUTH_HS256_SECRET", "", "shared secret for HS256 access tokens"},
	{"EHR_AUTH_JWKS_URL", "", "JWKS endpoint of an identity provider"},
	{"EHR_AUTH_PUBLIC_KEY_FILE", "", "PEM file of trusted public keys"},
	{"EHR_AUTH_ISSUER", "", "required iss claim, when set"},
	{"EHR_AUTH_AUDIENCE", "", "required aud claim, when set"},
	{"EHR_AUTH_CLOCK_SKEW", "60s", "tolerated clock skew for exp/nbf/iat"},
	{"EHR_AUTH_MAX_TOKEN_LIFETIME", "24h", "tokens living longer than this are refused"},
	{"EHR_QUICKSTART", "false", "no key source? generate an HS256 secret in EHR_DATA_DIR (development only)"},
	{"EHR_DATA_DIR", "data", "directory for the quick-start secret and the audit signing key"},
	{"EHR_AUDIT_KEY_FILE", "", "Ed25519 note key that signs audit checkpoints (default EHR_DATA_DIR/audit.key, created if missing)"},
	{"EHR_AUDIT_ORIGIN", "ehrd.audit", "origin line of audit checkpoints"},
	{"EHR_BASE_URL", "", "public base URL of the FHIR API (default: from the request Host)"},
	{"EHR_MAX_BODY_BYTES", "8388608", "largest accepted request body (413 beyond)"},
	{"EHR_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"EHR_TLS_CERT", "", "PEM certificate: serve HTTPS"},
	{"EHR_TLS_KEY", "", "PEM private key for EHR_TLS_CERT"},
	{"EHR_SHUTDOWN_TIMEOUT", "20s", "how long shutdown waits for in-flight requests"},
}

// Load reads the environment, then lets flags in args override it.
func Load(args []string, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	val := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, v := range Vars {
			if v.Name == name {
				return v.Default
			}
		}
		return ""
	}
	fs := flag.NewFlagSet("ehrd", flag.ContinueOnError)
	flags := map[string]*string{}
	for _, v := range Vars {
		name := strings.ToLower(strings.ReplaceAll(strings.TrimPrefix(v.Name, "EHR_"), "_", "-"))
		flags[v.Name] = fs.String(name, val(v.Name), v.Help+" ("+v.Name+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	get := func(name string) string { return *flags[name] }

	c := &Config{
		Addr: get("EHR_ADDR"), Store: get("EHR_STORE"),
		HS256Secret: get("EHR_AUTH_HS256_SECRET"), JWKSURL: get("EHR_AUTH_JWKS_URL"),
		PublicKeyFile: get("EHR_AUTH_PUBLIC_KEY_FILE"), Issuer: get("EHR_AUTH_ISSUER"), Audience: get("EHR_AUTH_AUDIENCE"),
		DataDir: get("EHR_DATA_DIR"), AuditKeyFile: get("EHR_AUDIT_KEY_FILE"), AuditOrigin: get("EHR_AUDIT_ORIGIN"),
		BaseURL: get("EHR_BASE_URL"), LogLevel: get("EHR_LOG_LEVEL"),
		TLSCert: get("EHR_TLS_CERT"), TLSKey: get("EHR_TLS_KEY"),
	}
	var err error
	if c.ClockSkew, err = time.ParseDuration(get("EHR_AUTH_CLOCK_SKEW")); err != nil {
		return nil, fmt.Errorf("EHR_AUTH_CLOCK_SKEW: %w", err)
	}
	if c.MaxLifetime, err = time.ParseDuration(get("EHR_AUTH_MAX_TOKEN_LIFETIME")); err != nil {
		return nil, fmt.Errorf("EHR_AUTH_MAX_TOKEN_LIFETIME: %w", err)
	}
	if c.ShutdownWait, err = time.ParseDuration(get("EHR_SHUTDOWN_TIMEOUT")); err != nil {
		return nil, fmt.Errorf("EHR_SHUTDOWN_TIMEOUT: %w", err)
	}
	if c.QuickStart, err = strconv.ParseBool(get("EHR_QUICKSTART")); err != nil {
		return nil, fmt.Errorf("EHR_QUICKSTART: %w", err)
	}
	if c.MaxBodyBytes, err = strconv.ParseInt(get("EHR_MAX_BODY_BYTES"), 10, 64); err != nil || c.MaxBodyBytes <= 0 {
		return nil, fmt.Errorf("EHR_MAX_BODY_BYTES must be a positive number of bytes")
	}
	if c.AuditKeyFile == "" {
		c.AuditKeyFile = filepath.Join(c.DataDir, "audit.key")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return nil, fmt.Errorf("EHR_TLS_CERT and EHR_TLS_KEY go together")
	}
	return c, nil
}

// QuickStartSecretFile is where quick-start mode keeps its generated secret.
func (c *Config) QuickStartSecretFile() string { return filepath.Join(c.DataDir, "quickstart.secret") }
