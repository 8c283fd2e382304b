package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/config"
)

// newServerWith is newServer with extra environment variables (an empty
// value removes one), served by an http.Server configured the way
// cmd/ehrd configures it: header size limit and timeouts from the config.
func newServerWith(t *testing.T, storeURL string, extra map[string]string) *server {
	t.Helper()
	env := map[string]string{
		"EHR_STORE":             storeURL,
		"EHR_AUTH_HS256_SECRET": testSecret,
		"EHR_DATA_DIR":          t.TempDir(),
		"EHR_MAX_BODY_BYTES":    "65536",
	}
	for k, v := range extra {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.New(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	hs := httptest.NewUnstartedServer(a.Handler())
	hs.Config.MaxHeaderBytes = cfg.MaxHeaderBytes
	hs.Config.ReadHeaderTimeout = cfg.ReadHeaderTimeout
	hs.Config.ReadTimeout = cfg.ReadTimeout
	hs.Config.WriteTimeout = cfg.WriteTimeout
	hs.Config.IdleTimeout = cfg.IdleTimeout
	hs.Start()
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &server{t: t, URL: hs.URL, App: a}
}

// eachBackendWith runs fn against a fresh server per backend, with extra
// environment variables.
func eachBackendWith(t *testing.T, extra map[string]string, fn func(t *testing.T, s *server)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			fn(t, newServerWith(t, b.url(t), extra))
		})
	}
}

// as returns the same server with requests failing t, for use in subtests.
func (s *server) as(t *testing.T) *server { return &server{t: t, URL: s.URL, App: s.App} }

// sqliteURL is a fresh SQLite store, for tests whose subject is the HTTP
// layer rather than storage.
func sqliteURL(t *testing.T) string { return backends()[0].url(t) }

// securityHeaders checks the headers every /fhir and /audit response carries.
func checkSecurityHeaders(t *testing.T, what string, r *reply) {
	t.Helper()
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
	}
	for k, v := range want {
		if got := r.Header.Get(k); got != v {
			t.Errorf("%s (%d): %s = %q, want %q", what, r.Status, k, got, v)
		}
	}
	if !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("%s (%d): Content-Security-Policy = %q", what, r.Status, r.Header.Get("Content-Security-Policy"))
	}
	if r.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s (%d): no X-Request-Id", what, r.Status)
	}
}

// checkOutcome checks that an error response is an OperationOutcome that
// leaks nothing of the server's insides.
func checkOutcome(t *testing.T, what string, r *reply) map[string]any {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/fhir+json") {
		t.Errorf("%s (%d): Content-Type = %q", what, r.Status, ct)
	}
	var oo map[string]any
	if err := json.Unmarshal(r.Body, &oo); err != nil || oo["resourceType"] != "OperationOutcome" {
		t.Errorf("%s (%d): not an OperationOutcome: %s", what, r.Status, r.Body)
		return nil
	}
	for _, leak := range []string{"goroutine", ".go:", "runtime.", "panic", "sqlite", "mongo", "SQL", "stack"} {
		if strings.Contains(string(r.Body), leak) {
			t.Errorf("%s (%d): body reveals internals (%q): %s", what, r.Status, leak, r.Body)
		}
	}
	return oo
}

func issueCode(oo map[string]any) string {
	list, _ := oo["issue"].([]any)
	if len(list) == 0 {
		return ""
	}
	code, _ := list[0].(map[string]any)["code"].(string)
	return code
}

func TestHardeningConfig(t *testing.T) {
	load := func(env map[string]string) (*config.Config, error) {
		return config.Load(nil, func(k string) string { return env[k] })
	}
	c, err := load(map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxHeaderBytes != 64<<10 || c.RateLimit != 50 || c.RateBurst != 100 || len(c.CORSOrigins) != 0 || len(c.TrustedProxies) != 0 {
		t.Errorf("defaults: header %d, rate %v/%d, cors %v, proxies %v", c.MaxHeaderBytes, c.RateLimit, c.RateBurst, c.CORSOrigins, c.TrustedProxies)
	}
	if c.ReadHeaderTimeout != 10*time.Second || c.ReadTimeout != time.Minute || c.WriteTimeout != 2*time.Minute || c.IdleTimeout != 2*time.Minute {
		t.Errorf("timeouts: %v %v %v %v", c.ReadHeaderTimeout, c.ReadTimeout, c.WriteTimeout, c.IdleTimeout)
	}
	c, err = load(map[string]string{
		"EHR_CORS_ORIGINS":    " https://App.Example.org:443 ,http://localhost:3000, https://[2001:db8::1]:8443",
		"EHR_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7, 2001:db8::/32",
		"EHR_RATE_LIMIT":      "0",
		"EHR_RATE_BURST":      "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.CORSOrigins, " "); got != "https://app.example.org http://localhost:3000 https://[2001:db8::1]:8443" {
		t.Errorf("origins = %s", got)
	}
	if got := fmt.Sprint(c.TrustedProxies); got != "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32]" {
		t.Errorf("proxies = %s", got)
	}
	for name, env := range map[string]map[string]string{
		"wildcard origin":       {"EHR_CORS_ORIGINS": "*"},
		"wildcard subdomain":    {"EHR_CORS_ORIGINS": "https://*.example.org"},
		"null origin":           {"EHR_CORS_ORIGINS": "null"},
		"origin with path":      {"EHR_CORS_ORIGINS": "https://app.example.org/ui"},
		"origin without scheme": {"EHR_CORS_ORIGINS": "app.example.org"},
		"ftp origin":            {"EHR_CORS_ORIGINS": "ftp://app.example.org"},
		"bad proxy":             {"EHR_TRUSTED_PROXIES": "10.0.0.0/33"},
		"proxy hostname":        {"EHR_TRUSTED_PROXIES": "proxy.internal"},
		"negative rate":         {"EHR_RATE_LIMIT": "-1"},
		"rate without burst":    {"EHR_RATE_LIMIT": "10", "EHR_RATE_BURST": "0"},
		"tiny header limit":     {"EHR_MAX_HEADER_BYTES": "100"},
		"bad timeout":           {"EHR_READ_TIMEOUT": "soon"},
		"zero timeout":          {"EHR_WRITE_TIMEOUT": "0s"},
	} {
		if _, err := load(env); err == nil {
			t.Errorf("%s: config accepted", name)
		}
	}
}

func TestCORS(t *testing.T) {
	const allowed, other = "https://app.example.org", "https://evil.example.com"
	s := newServerWith(t, sqliteURL(t), map[string]string{"EHR_CORS_ORIGINS": allowed + ",http://localhost:3000"})
	admin := token(t, adminScope, "")
	pid := create(t, s, admin, "Patient", patientJSON("Cors", "Carla", "female", "1990-01-01", "MRN-CORS"))["id"].(string)

	preflight := func(origin, method, headers string) *reply {
		return s.do("OPTIONS", "/fhir/Patient", "", nil,
			"Origin", origin, "Access-Control-Request-Method", method, "Access-Control-Request-Headers", headers)
	}
	t.Run("preflight allowed without token", func(t *testing.T) {
		r := preflight(allowed, "POST", "authorization, content-type, if-none-exist, prefer")
		if r.Status != http.StatusNoContent && r.Status != http.StatusOK {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if got := r.Header.Get("Access-Control-Allow-Origin"); got != allowed {
			t.Errorf("Allow-Origin = %q", got)
		}
		methods := r.Header.Get("Access-Control-Allow-Methods")
		for _, m := range []string{"GET", "POST", "PUT", "DELETE"} {
			if !strings.Contains(methods, m) {
				t.Errorf("Allow-Methods %q lacks %s", methods, m)
			}
		}
		hdrs := strings.ToLower(r.Header.Get("Access-Control-Allow-Headers"))
		for _, h := range []string{"authorization", "content-type", "if-match", "if-none-exist", "if-none-match", "if-modified-since", "prefer"} {
			if !strings.Contains(hdrs, h) {
				t.Errorf("Allow-Headers %q lacks %s", hdrs, h)
			}
		}
		if r.Header.Get("Access-Control-Allow-Credentials") != "" {
			t.Errorf("Allow-Credentials sent: bearer tokens need no credentials mode")
		}
		if !strings.Contains(strings.Join(r.Header.Values("Vary"), ","), "Origin") {
			t.Errorf("Vary = %q, want Origin", r.Header.Values("Vary"))
		}
		if r.Header.Get("Access-Control-Max-Age") == "" {
			t.Error("no Access-Control-Max-Age")
		}
		if r.Header.Get("WWW-Authenticate") != "" {
			t.Error("a preflight was asked for a token")
		}
	})
	for _, origin := range []string{other, "https://app.example.org.evil.com", "http://app.example.org", "null", "https://app.example.org:8443"} {
		t.Run("preflight refused "+origin, func(t *testing.T) {
			r := preflight(origin, "GET", "authorization")
			if r.Status != http.StatusForbidden {
				t.Errorf("status %d, want 403", r.Status)
			}
			for _, h := range []string{"Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Allow-Credentials"} {
				if r.Header.Get(h) != "" {
					t.Errorf("%s = %q on a refused preflight", h, r.Header.Get(h))
				}
			}
			checkOutcome(t, "refused preflight", r)
		})
	}
	t.Run("actual requests", func(t *testing.T) {
		cases := []struct {
			name, method, path, tok string
			body                    any
			status                  int
		}{
			{"read", "GET", "/fhir/Patient/" + pid, admin, nil, 200},
			{"create", "POST", "/fhir/Patient", admin, patientJSON("Cors", "Cody", "male", "1991-01-01", "MRN-CORS2"), 201},
			{"401", "GET", "/fhir/Patient/" + pid, "", nil, 401},
			{"404", "GET", "/fhir/Patient/nope", admin, nil, 404},
		}
		for _, c := range cases {
			r := s.do(c.method, c.path, c.tok, c.body, "Origin", allowed)
			if r.Status != c.status {
				t.Fatalf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			}
			if got := r.Header.Get("Access-Control-Allow-Origin"); got != allowed {
				t.Errorf("%s: Allow-Origin = %q, want %q", c.name, got, allowed)
			}
			exposed := strings.ToLower(r.Header.Get("Access-Control-Expose-Headers"))
			for _, h := range []string{"etag", "location", "last-modified", "x-request-id"} {
				if !strings.Contains(exposed, h) {
					t.Errorf("%s: Expose-Headers %q lacks %s", c.name, exposed, h)
				}
			}
			if r.Header.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("%s: Allow-Credentials sent", c.name)
			}
			// The same request from another origin is served, but without
			// CORS headers: the browser keeps the answer from the page.
			r = s.do(c.method, c.path, c.tok, c.body, "Origin", other)
			if r.Header.Get("Access-Control-Allow-Origin") != "" || r.Header.Get("Access-Control-Expose-Headers") != "" {
				t.Errorf("%s from %s: CORS headers %v", c.name, other, r.Header)
			}
		}
	})
	t.Run("no origins configured", func(t *testing.T) {
		s2 := newServerWith(t, sqliteURL(t), nil)
		r := s2.do("OPTIONS", "/fhir/Patient", "", nil, "Origin", allowed, "Access-Control-Request-Method", "GET")
		if r.Status != http.StatusForbidden || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight without configured origins: %d %v", r.Status, r.Header)
		}
	})
}

func TestRateLimit(t *testing.T) {
	// Every client below is told apart by the address a trusted proxy
	// (the test itself, on loopback) forwards.
	s := newServerWith(t, sqliteURL(t), map[string]string{
		"EHR_RATE_LIMIT":      "1",
		"EHR_RATE_BURST":      "3",
		"EHR_TRUSTED_PROXIES": "127.0.0.0/8, ::1",
	})
	admin := token(t, adminScope, "")
	pid := create(t, s, admin, "Patient", patientJSON("Rate", "Rita", "female", "1970-01-01", "MRN-RATE"))["id"].(string)
	read := func(t *testing.T, tok, from string) *reply {
		return s.as(t).do("GET", "/fhir/Patient/"+pid, tok, nil, "X-Forwarded-For", from)
	}
	// untilThrottled sends requests until one is refused with 429, and
	// returns the answers before it and the 429.
	untilThrottled := func(t *testing.T, max int, send func(i int) *reply) ([]*reply, *reply) {
		var before []*reply
		for i := 0; i < max; i++ {
			r := send(i)
			if r.Status == http.StatusTooManyRequests {
				return before, r
			}
			before = append(before, r)
		}
		t.Fatalf("no 429 after %d requests", max)
		return nil, nil
	}

	var throttled *reply
	t.Run("a token is throttled after its burst", func(t *testing.T) {
		tok := token(t, "user/Patient.rs", "")
		before, r := untilThrottled(t, 12, func(int) *reply { return read(t, tok, "192.0.2.10") })
		// The first request is charged to the address, the next three to the
		// token's own bucket; a refill may add one.
		if len(before) < 4 {
			t.Errorf("throttled after %d requests, want at least 4", len(before))
		}
		for _, b := range before {
			if b.Status != http.StatusOK {
				t.Errorf("before throttling: status %d", b.Status)
			}
		}
		throttled = r
		secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || secs < 1 || secs > 5 {
			t.Errorf("Retry-After = %q", r.Header.Get("Retry-After"))
		}
		oo := checkOutcome(t, "429", r)
		if code := issueCode(oo); code != "throttled" {
			t.Errorf("issue code %q, want throttled", code)
		}
		checkSecurityHeaders(t, "429", r)

		// Waiting as told is enough.
		time.Sleep(time.Duration(secs)*time.Second + 100*time.Millisecond)
		must(t, read(t, tok, "192.0.2.10"), http.StatusOK)
	})
	t.Run("another client at the same address is not starved", func(t *testing.T) {
		tok := token(t, "user/Patient.rs", "")
		for i := 0; i < 3; i++ {
			must(t, read(t, tok, "192.0.2.10"), http.StatusOK)
		}
	})
	t.Run("requests without a token are throttled by address", func(t *testing.T) {
		before, _ := untilThrottled(t, 8, func(int) *reply { return read(t, "", "192.0.2.20") })
		for _, b := range before {
			if b.Status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", b.Status)
			}
		}
		// Another address is unaffected.
		must(t, read(t, "", "192.0.2.21"), http.StatusUnauthorized)
	})
	t.Run("rotating forged tokens buys nothing", func(t *testing.T) {
		before, _ := untilThrottled(t, 8, func(i int) *reply {
			forged := fmt.Sprintf("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged%d", i)
			return read(t, forged, "192.0.2.30")
		})
		if len(before) > 4 {
			t.Errorf("%d forged tokens served before throttling, want at most burst+refill", len(before))
		}
		for _, b := range before {
			if b.Status != http.StatusUnauthorized {
				t.Errorf("forged token: status %d", b.Status)
			}
		}
	})
	t.Run("the 429 is audited", func(t *testing.T) {
		if throttled == nil {
			t.Skip("no 429 above")
		}
		officer := token(t, "user/AuditEvent.rs", "")
		r := must(t, s.as(t).do("GET", "/fhir/AuditEvent?outcome=4&_count=200", officer, nil, "X-Forwarded-For", "192.0.2.99"), http.StatusOK)
		if !strings.Contains(string(r.Body), "too-many-requests") {
			t.Errorf("no AuditEvent records a throttled request")
		}
	})
	t.Run("probes are not limited", func(t *testing.T) {
		for i := 0; i < 10; i++ {
			must(t, s.as(t).do("GET", "/healthz", "", nil, "X-Forwarded-For", "192.0.2.20"), http.StatusOK)
		}
	})
}

// auditAddress finds the read AuditEvent of typ/id and returns its agent's
// network address.
func auditAddress(t *testing.T, s *server, typ, id string) string {
	t.Helper()
	officer := token(t, "user/AuditEvent.rs", "")
	r := must(t, s.as(t).do("GET", "/fhir/AuditEvent?subtype=read&entity="+typ+"/"+id+"&_count=10", officer, nil), http.StatusOK)
	es := entries(t, r)
	if len(es) == 0 {
		t.Fatalf("no read AuditEvent for %s/%s", typ, id)
	}
	var addrs []string
	for _, e := range es {
		ev, _ := e["resource"].(map[string]any)
		agents, _ := ev["agent"].([]any)
		for _, a := range agents {
			net, _ := a.(map[string]any)["network"].(map[string]any)
			if addr, _ := net["address"].(string); addr != "" {
				addrs = append(addrs, addr)
			}
		}
	}
	if len(addrs) != 1 {
		t.Fatalf("AuditEvent addresses for %s/%s = %v, want one", typ, id, addrs)
	}
	return addrs[0]
}

func TestForwardedFor(t *testing.T) {
	cases := []struct {
		name, trusted, xff, want string
	}{
		{"untrusted peer: header ignored", "", "203.0.113.7", "127.0.0.1"},
		{"untrusted peer, proxy list elsewhere", "10.0.0.0/8", "203.0.113.7", "127.0.0.1"},
		{"trusted proxy", "127.0.0.1/32", "203.0.113.7", "203.0.113.7"},
		{"client-written entries are not believed", "127.0.0.1/32", "198.51.100.66, 203.0.113.7", "203.0.113.7"},
		{"chain of trusted proxies", "127.0.0.1/32, 10.0.0.0/8", "203.0.113.8, 10.1.2.3", "203.0.113.8"},
		{"entry with port", "127.0.0.1/32", "203.0.113.9:4711", "203.0.113.9"},
		{"garbage entry", "127.0.0.1/32", "not-an-address", "127.0.0.1"},
		{"ipv6 client", "127.0.0.1/32", "2001:db8::7", "2001:db8::7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServerWith(t, sqliteURL(t), map[string]string{"EHR_TRUSTED_PROXIES": c.trusted})
			admin := token(t, adminScope, "")
			pid := create(t, s, admin, "Patient", patientJSON("Proxy", "Paul", "male", "1960-06-06", "MRN-XFF"))["id"].(string)
			must(t, s.as(t).do("GET", "/fhir/Patient/"+pid, admin, nil, "X-Forwarded-For", c.xff), http.StatusOK)
			if got := auditAddress(t, s, "Patient", pid); got != c.want {
				t.Errorf("agent.network.address = %q, want %q", got, c.want)
			}
		})
	}
}

func TestSecurityHeadersEverywhere(t *testing.T) {
	s := newServerWith(t, sqliteURL(t), map[string]string{"EHR_RATE_LIMIT": "0"})
	admin := token(t, adminScope, "")
	officer := token(t, "user/AuditEvent.rs", "")
	pid := create(t, s, admin, "Patient", patientJSON("Head", "Hana", "female", "1985-05-05", "MRN-HDR"))["id"].(string)
	big := `{"resourceType":"Patient","name":[{"family":"` + strings.Repeat("x", 70<<10) + `"}]}`
	cases := []struct {
		name, method, path, tok string
		body                    any
		status                  int
	}{
		{"read", "GET", "/fhir/Patient/" + pid, admin, nil, 200},
		{"search", "GET", "/fhir/Patient?_id=" + pid, admin, nil, 200},
		{"create", "POST", "/fhir/Patient", admin, patientJSON("Head", "Hugo", "male", "1986-06-06", "MRN-HDR2"), 201},
		{"no token", "GET", "/fhir/Patient/" + pid, "", nil, 401},
		{"bad token", "GET", "/fhir/Patient/" + pid, "a.b.c", nil, 401},
		{"insufficient scope", "GET", "/fhir/Patient/" + pid, officer, nil, 403},
		{"unknown id", "GET", "/fhir/Patient/nope", admin, nil, 404},
		{"unknown type", "GET", "/fhir/Practitioner/1", admin, nil, 404},
		{"unknown path", "GET", "/fhir/Patient/" + pid + "/x/y", admin, nil, 404},
		{"invalid resource", "POST", "/fhir/Patient", admin, `{"resourceType":"Patient","gender":"x"}`, 400},
		{"body too large", "POST", "/fhir/Patient", admin, big, 413},
		{"read-only type", "POST", "/fhir/AuditEvent", token(t, "user/AuditEvent.cruds", ""), `{"resourceType":"AuditEvent"}`, 405},
		{"audit checkpoint", "GET", "/audit/checkpoint", officer, nil, 200},
		{"audit checkpoint without token", "GET", "/audit/checkpoint", "", nil, 401},
		{"audit proof, bad parameters", "GET", "/audit/proof/inclusion?index=5&size=1", officer, nil, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := must(t, s.as(t).do(c.method, c.path, c.tok, c.body), c.status)
			checkSecurityHeaders(t, c.name, r)
			if c.status >= 400 {
				checkOutcome(t, c.name, r)
			}
		})
	}
	t.Run("metadata may be cached", func(t *testing.T) {
		r := must(t, s.as(t).do("GET", "/fhir/metadata", "", nil), http.StatusOK)
		if r.Header.Get("X-Content-Type-Options") != "nosniff" || r.Header.Get("Cache-Control") == "no-store" {
			t.Errorf("metadata headers: %v", r.Header)
		}
	})
}

func TestHeaderLimits(t *testing.T) {
	s := newServerWith(t, sqliteURL(t), map[string]string{"EHR_MAX_HEADER_BYTES": "8192"})
	admin := token(t, adminScope, "")
	// Within the limit: served.
	must(t, s.do("GET", "/fhir/Patient?_count=1", admin, nil, "X-Padding", strings.Repeat("p", 2<<10)), http.StatusOK)
	// Far beyond it: net/http refuses before any handler runs.
	r, err := rawRequest(s.URL+"/fhir/Patient", "Bearer "+admin, map[string]string{"X-Padding": strings.Repeat("p", 64<<10)})
	if err != nil {
		t.Fatalf("oversized headers: %v", err)
	}
	if r.Status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized headers: status %d, want 431", r.Status)
	}
	// A URL beyond it too.
	r, err = rawRequest(s.URL+"/fhir/Patient?name="+strings.Repeat("a", 64<<10), "Bearer "+admin, nil)
	if err != nil {
		t.Fatalf("oversized URL: %v", err)
	}
	if r.Status != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("oversized URL: status %d, want 431", r.Status)
	}
}

// rawRequest sends a GET with the given Authorization and headers on a
// fresh connection and reads the answer, whatever it is.
func rawRequest(u, authz string, headers map[string]string) (*reply, error) {
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		return nil, err
	}
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func TestPanicIsOpaque(t *testing.T) {
	eachBackendWith(t, map[string]string{"EHR_RATE_LIMIT": "0"}, func(t *testing.T, s *server) {
		// A route that fails the way a bug would, behind the real middleware.
		// Routes are added before the first request is served.
		engine, ok := s.App.Handler().(*gin.Engine)
		if !ok {
			t.Fatalf("the handler is a %T, not a *gin.Engine", s.App.Handler())
		}
		engine.GET("/fhir/$explode/:id", func(c *gin.Context) {
			c.Header("ETag", `W/"7"`)
			c.Header("Location", "/fhir/Patient/"+c.Param("id"))
			panic(fmt.Errorf("db.go:42: password=hunter2 for patient %s", c.Param("id")))
		})
		admin := token(t, adminScope, "")
		r := s.do("GET", "/fhir/$explode/p1", admin, nil)
		if r.Status != http.StatusInternalServerError {
			t.Fatalf("status %d, want 500: %s", r.Status, r.Body)
		}
		oo := checkOutcome(t, "panic", r)
		if code := issueCode(oo); code != "exception" {
			t.Errorf("issue code %q, want exception", code)
		}
		for _, leak := range []string{"hunter2", "password", "db.go", "p1"} {
			if strings.Contains(string(r.Body), leak) {
				t.Errorf("the 500 reveals %q: %s", leak, r.Body)
			}
		}
		if r.Header.Get("ETag") != "" || r.Header.Get("Location") != "" {
			t.Errorf("the 500 keeps the failed handler's headers: %v", r.Header)
		}
		checkSecurityHeaders(t, "panic", r)

		// The server keeps serving, and the failure is in the audit trail.
		officer := token(t, "user/AuditEvent.rs", "")
		a := must(t, s.do("GET", "/fhir/AuditEvent?outcome=8&_count=50", officer, nil), http.StatusOK)
		if len(ids(t, a)) == 0 {
			t.Errorf("no AuditEvent records the failed request")
		}
		if strings.Contains(string(a.Body), "hunter2") {
			t.Errorf("the audit trail holds the panic's message")
		}
	})
}

// formPost posts a urlencoded form.
func formPost(s *server, path, tok string, form url.Values, headers ...string) *reply {
	return s.do("POST", path, tok, form.Encode(), append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}
