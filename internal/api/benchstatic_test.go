package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clinic/ehr/internal/api"
	"github.com/clinic/ehr/internal/auth"
)

// TestBenchStaticRoute: GET /bench/static exists only when asked for, and
// checks the token as a FHIR route does.
func TestBenchStaticRoute(t *testing.T) {
	tok, err := auth.Mint([]byte(openAPITestSecret), auth.MintClaims{Subject: "bench", Scope: "user/*.rs", ClientID: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := auth.Mint([]byte(strings.Repeat("x", 48)), auth.MintClaims{Subject: "bench", Scope: "user/*.rs", ClientID: "bench"})
	if err != nil {
		t.Fatal(err)
	}
	off := newOpenAPIServer(t)
	on := newOpenAPIServer(t, "EHR_BENCH_STATIC_ROUTE", "1")
	cases := []struct {
		name   string
		s      *openAPIServer
		token  string
		status int
	}{
		{"off, with a token", off, tok, http.StatusNotFound},
		{"off, without a token", off, "", http.StatusNotFound},
		{"on, with a token", on, tok, http.StatusOK},
		{"on, without a token", on, "", http.StatusUnauthorized},
		{"on, with a forged token", on, forged, http.StatusUnauthorized},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.s.do("GET", "/bench/static", c.token, nil)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			switch r.status {
			case http.StatusOK:
				var p struct{ ResourceType, ID string }
				if err := json.Unmarshal(r.body, &p); err != nil || p.ResourceType != "Patient" || p.ID != api.BenchStaticID {
					t.Errorf("body %s (%v): want the fixed Patient", r.body, err)
				}
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
					t.Errorf("Content-Type %q", ct)
				}
				if r.header.Get("ETag") == "" {
					t.Error("no ETag")
				}
			case http.StatusUnauthorized:
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
				}
			}
		})
	}

	// Neither an engine call nor an audit record: the audit log did not grow.
	if n := on.app.Recorder.Stats().Events; n != 0 {
		t.Errorf("%d AuditEvents recorded for /bench/static, want none", n)
	}
}
