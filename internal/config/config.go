// Package config reads the server's configuration from the environment
// (CONTRACT.md), with command-line flags mirroring every variable.
package config

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"net/netip"
	"net/url"
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

	HS256Secret      string        // EHR_AUTH_HS256_SECRET
	JWKSURL          string        // EHR_AUTH_JWKS_URL
	PublicKeyFile    string        // EHR_AUTH_PUBLIC_KEY_FILE
	Issuer           string        // EHR_AUTH_ISSUER
	Audience         string        // EHR_AUTH_AUDIENCE
	ClockSkew        time.Duration // EHR_AUTH_CLOCK_SKEW
	MaxLifetime      time.Duration // EHR_AUTH_MAX_TOKEN_LIFETIME
	QuickStart       bool          // EHR_QUICKSTART: generate and keep a secret under DataDir
	DataDir          string        // EHR_DATA_DIR: quick-start secret, audit signing key
	AuditKeyFile     string        // EHR_AUDIT_KEY_FILE
	AuditOrigin      string        // EHR_AUDIT_ORIGIN
	BaseURL          string        // EHR_BASE_URL
	MaxBodyBytes     int64         // EHR_MAX_BODY_BYTES
	MaxBundleEntries int           // EHR_MAX_BUNDLE_ENTRIES: entries of a batch or transaction (413 beyond)
	LogLevel         string        // EHR_LOG_LEVEL
	TLSCert          string        // EHR_TLS_CERT
	TLSKey           string        // EHR_TLS_KEY
	ShutdownWait     time.Duration // EHR_SHUTDOWN_TIMEOUT

	// HTTP hardening (docs/security.md).
	MaxHeaderBytes    int            // EHR_MAX_HEADER_BYTES: http.Server.MaxHeaderBytes (431 beyond)
	ReadHeaderTimeout time.Duration  // EHR_READ_HEADER_TIMEOUT
	ReadTimeout       time.Duration  // EHR_READ_TIMEOUT
	WriteTimeout      time.Duration  // EHR_WRITE_TIMEOUT
	IdleTimeout       time.Duration  // EHR_IDLE_TIMEOUT
	CORSOrigins       []string       // EHR_CORS_ORIGINS: exact origins, normalised (scheme://host[:port])
	RateLimit         float64        // EHR_RATE_LIMIT: requests per second per client; 0 turns limiting off
	RateBurst         int            // EHR_RATE_BURST: requests a client may send at once
	TrustedProxies    []netip.Prefix // EHR_TRUSTED_PROXIES: peers whose X-Forwarded-For is believed

	// Benchmarks only (docs/performance.md, bench.go).
	BenchStaticRoute bool   // EHR_BENCH_STATIC_ROUTE: serve GET /bench/static, the load tool's ceiling a
	BenchAudit       string // EHR_BENCH_AUDIT: "", "on" or "off"; honoured only by binaries built with -tags ehrbench
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
	{"EHR_MAX_BUNDLE_ENTRIES", "1000", "most entries accepted in a batch or transaction Bundle (413 beyond)"},
	{"EHR_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"EHR_TLS_CERT", "", "PEM certificate: serve HTTPS"},
	{"EHR_TLS_KEY", "", "PEM private key for EHR_TLS_CERT"},
	{"EHR_SHUTDOWN_TIMEOUT", "20s", "how long shutdown waits for in-flight requests"},
	{"EHR_MAX_HEADER_BYTES", "65536", "largest accepted request line plus headers (431 beyond)"},
	{"EHR_READ_HEADER_TIMEOUT", "10s", "time allowed to read a request's headers"},
	{"EHR_READ_TIMEOUT", "60s", "time allowed to read a whole request, body included"},
	{"EHR_WRITE_TIMEOUT", "120s", "time allowed to write a response"},
	{"EHR_IDLE_TIMEOUT", "120s", "how long an idle keep-alive connection stays open"},
	{"EHR_CORS_ORIGINS", "", "comma-separated exact browser origins allowed to call the API (https://app.example.org); empty: none"},
	{"EHR_RATE_LIMIT", "50", "requests per second per client (token, or address without a valid token); 0 turns limiting off"},
	{"EHR_RATE_BURST", "100", "requests a client may send in a burst above EHR_RATE_LIMIT"},
	{"EHR_TRUSTED_PROXIES", "", "comma-separated CIDRs or addresses of reverse proxies whose X-Forwarded-For is believed"},
	{"EHR_BENCH_STATIC_ROUTE", "false", "benchmarks: serve GET /bench/static, a fixed authenticated answer without storage or audit"},
	{"EHR_BENCH_AUDIT", "", "benchmarks: off turns the audit trail off; refused unless ehrd was built with -tags ehrbench"},
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
	if c.MaxBundleEntries, err = strconv.Atoi(get("EHR_MAX_BUNDLE_ENTRIES")); err != nil || c.MaxBundleEntries <= 0 {
		return nil, fmt.Errorf("EHR_MAX_BUNDLE_ENTRIES must be a positive number of entries")
	}
	if err := c.loadHardening(get); err != nil {
		return nil, err
	}
	if err := c.loadBench(get); err != nil {
		return nil, err
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

// loadHardening reads the HTTP hardening variables: size limits, timeouts,
// CORS origins, rate limits and trusted proxies. A value that cannot be
// honoured exactly stops start-up rather than being half applied.
func (c *Config) loadHardening(get func(string) string) error {
	n, err := strconv.Atoi(get("EHR_MAX_HEADER_BYTES"))
	if err != nil || n < 4096 {
		return errors.New("EHR_MAX_HEADER_BYTES must be a number of bytes, at least 4096")
	}
	c.MaxHeaderBytes = n
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"EHR_READ_HEADER_TIMEOUT", &c.ReadHeaderTimeout},
		{"EHR_READ_TIMEOUT", &c.ReadTimeout},
		{"EHR_WRITE_TIMEOUT", &c.WriteTimeout},
		{"EHR_IDLE_TIMEOUT", &c.IdleTimeout},
	} {
		v, err := time.ParseDuration(get(d.name))
		if err != nil || v <= 0 {
			return fmt.Errorf("%s must be a positive duration such as 30s", d.name)
		}
		*d.dst = v
	}
	if c.CORSOrigins, err = ParseOrigins(get("EHR_CORS_ORIGINS")); err != nil {
		return fmt.Errorf("EHR_CORS_ORIGINS: %w", err)
	}
	if c.RateLimit, err = strconv.ParseFloat(get("EHR_RATE_LIMIT"), 64); err != nil ||
		c.RateLimit < 0 || math.IsInf(c.RateLimit, 0) || math.IsNaN(c.RateLimit) {
		return errors.New("EHR_RATE_LIMIT must be a non-negative number of requests per second (0: off)")
	}
	if c.RateBurst, err = strconv.Atoi(get("EHR_RATE_BURST")); err != nil || c.RateBurst < 0 {
		return errors.New("EHR_RATE_BURST must be a non-negative whole number")
	}
	if c.RateLimit > 0 && c.RateBurst < 1 {
		return errors.New("EHR_RATE_BURST must be at least 1 when EHR_RATE_LIMIT is set")
	}
	if c.TrustedProxies, err = ParsePrefixes(get("EHR_TRUSTED_PROXIES")); err != nil {
		return fmt.Errorf("EHR_TRUSTED_PROXIES: %w", err)
	}
	return nil
}

// ParseOrigins reads a comma-separated list of exact origins
// (scheme://host[:port], as browsers send them in Origin) and returns them
// normalised: lower-case, default ports dropped. Wildcards, "null", paths and
// anything but http and https are refused: an allowed origin is a decision
// about one web application, never a pattern.
func ParseOrigins(list string) ([]string, error) {
	var out []string
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if strings.Contains(raw, "*") || strings.EqualFold(raw, "null") {
			return nil, fmt.Errorf("%q: wildcards and null are refused; list exact origins such as https://app.example.org", raw)
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Hostname() == "" {
			return nil, fmt.Errorf("%q is not an origin: want https://host[:port]", raw)
		}
		if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
			return nil, fmt.Errorf("%q is not an origin: no path, query or credentials (want https://host[:port])", raw)
		}
		scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
		if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
			port = ""
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		o := scheme + "://" + host
		if port != "" {
			o += ":" + port
		}
		out = append(out, o)
	}
	return out, nil
}

// ParsePrefixes reads a comma-separated list of CIDRs or single addresses
// (a /32 or /128).
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, raw := range strings.Split(list, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if p, err := netip.ParsePrefix(raw); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(raw)
		if err != nil {
			return nil, fmt.Errorf("%q is neither a CIDR nor an address", raw)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
