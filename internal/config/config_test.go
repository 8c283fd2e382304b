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
