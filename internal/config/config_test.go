package config

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	c, err := Load(nil, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.Store != "sqlite:data/ehr.db" || c.ClockSkew != time.Minute || c.AuditKeyFile != "data/audit.key" || c.QuickStart ||
		c.MaxBundleEntries != 1000 {
		t.Errorf("defaults = %+v", c)
	}
}

func TestEnvironmentAndFlags(t *testing.T) {
	env := map[string]string{"EHR_ADDR": ":9000", "EHR_STORE": "lungo:memory", "EHR_QUICKSTART": "true", "EHR_MAX_BUNDLE_ENTRIES": "3"}
	c, err := Load([]string{"--addr", ":9100"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":9100" || c.Store != "lungo:memory" || !c.QuickStart || c.MaxBundleEntries != 3 {
		t.Errorf("got %+v", c)
	}
}

func TestInvalid(t *testing.T) {
	cases := map[string]map[string]string{
		"bad skew":                {"EHR_AUTH_CLOCK_SKEW": "soon"},
		"bad body limit":          {"EHR_MAX_BODY_BYTES": "-1"},
		"bad bundle entries":      {"EHR_MAX_BUNDLE_ENTRIES": "many"},
		"zero bundle entries":     {"EHR_MAX_BUNDLE_ENTRIES": "0"},
		"negative bundle entries": {"EHR_MAX_BUNDLE_ENTRIES": "-5"},
		"bad bool":                {"EHR_QUICKSTART": "perhaps"},
		"half of TLS":             {"EHR_TLS_CERT": "cert.pem"},
		"bad bench static route":  {"EHR_BENCH_STATIC_ROUTE": "perhaps"},
		"bad bench audit":         {"EHR_BENCH_AUDIT": "none"},
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(nil, func(k string) string { return env[k] })
			if err == nil {
				t.Fatal("accepted")
			}
			for k := range env { // the error names the variable to fix
				if !strings.Contains(err.Error(), k) {
					t.Errorf("error %q does not name %s", err, k)
				}
			}
		})
	}
}

func TestBenchSettings(t *testing.T) {
	cases := []struct {
		name        string
		env         map[string]string
		staticRoute bool
		audit       string
	}{
		{"off by default", nil, false, ""},
		{"static route", map[string]string{"EHR_BENCH_STATIC_ROUTE": "1"}, true, ""},
		{"audit off", map[string]string{"EHR_BENCH_AUDIT": "off"}, false, "off"},
		{"audit on", map[string]string{"EHR_BENCH_AUDIT": "on"}, false, "on"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Load(nil, func(k string) string { return c.env[k] })
			if err != nil {
				t.Fatal(err)
			}
			if cfg.BenchStaticRoute != c.staticRoute || cfg.BenchAudit != c.audit {
				t.Errorf("BenchStaticRoute %v, BenchAudit %q; want %v, %q", cfg.BenchStaticRoute, cfg.BenchAudit, c.staticRoute, c.audit)
			}
		})
	}
}

// TestDocumented keeps docs/configuration.md from rotting: every variable
// the server reads is listed there.
func TestDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Vars {
		if !strings.Contains(string(doc), "`"+v.Name+"`") {
			t.Errorf("docs/configuration.md does not document %s", v.Name)
		}
	}
}
