package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

func prefixes(t *testing.T, list ...string) []netip.Prefix {
	t.Helper()
	var out []netip.Prefix
	for _, s := range list {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestResolveClient(t *testing.T) {
	trusted := prefixes(t, "10.0.0.0/8", "192.0.2.1/32", "2001:db8:1::/48")
	cases := []struct {
		name, remote string
		xff          []string
		trusted      []netip.Prefix
		want         string
	}{
		{"no proxies configured", "203.0.113.5:5000", []string{"198.51.100.1"}, nil, "203.0.113.5"},
		{"untrusted peer", "203.0.113.5:5000", []string{"198.51.100.1"}, trusted, "203.0.113.5"},
		{"trusted peer, no header", "10.1.1.1:5000", nil, trusted, "10.1.1.1"},
		{"trusted peer", "10.1.1.1:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"spoofed left entries", "10.1.1.1:5000", []string{"1.2.3.4, 198.51.100.1"}, trusted, "198.51.100.1"},
		{"two trusted hops", "192.0.2.1:443", []string{"198.51.100.1, 10.9.9.9"}, trusted, "198.51.100.1"},
		{"several headers", "10.1.1.1:5000", []string{"1.2.3.4", "198.51.100.1, 10.2.2.2"}, trusted, "198.51.100.1"},
		{"all hops trusted", "10.1.1.1:5000", []string{"10.3.3.3, 10.2.2.2"}, trusted, "10.3.3.3"},
		{"port and brackets", "10.1.1.1:5000", []string{"[2001:db8::9]:443"}, trusted, "2001:db8::9"},
		{"bracketed v6", "10.1.1.1:5000", []string{"[2001:db8::9]"}, trusted, "2001:db8::9"},
		{"v4 with port", "10.1.1.1:5000", []string{"198.51.100.1:8080"}, trusted, "198.51.100.1"},
		{"garbage stops the walk", "10.1.1.1:5000", []string{"198.51.100.1, unknown, 10.2.2.2"}, trusted, "10.2.2.2"},
		{"empty entry", "10.1.1.1:5000", []string{""}, trusted, "10.1.1.1"},
		{"v4-mapped peer", "[::ffff:10.1.1.1]:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"v6 trusted peer", "[2001:db8:1::2]:5000", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
		{"peer without port", "10.1.1.1", []string{"198.51.100.1"}, trusted, "198.51.100.1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/fhir/Patient", nil)
			r.RemoteAddr = c.remote
			for _, v := range c.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := resolveClient(r, c.trusted); got != c.want {
				t.Errorf("resolveClient = %q, want %q", got, c.want)
			}
		})
	}
}

func TestRateLimiter(t *testing.T) {
	l := newRateLimiter(1, 2)
	now := time.Unix(1_000_000, 0)
	for i := 0; i < 2; i++ {
		if d := l.take("a", now); d != 0 {
			t.Fatalf("request %d within the burst waited %v", i, d)
		}
	}
	d := l.take("a", now)
	if d <= 0 || d > time.Second {
		t.Fatalf("beyond the burst: wait %v, want (0, 1s]", d)
	}
	// A refused request costs nothing: after the wait one more goes through.
	if d := l.take("a", now.Add(time.Second)); d != 0 {
		t.Errorf("after the wait: %v", d)
	}
	if d := l.take("b", now); d != 0 {
		t.Errorf("another key shares the bucket: %v", d)
	}

	// Tokens get a bucket only once accepted, and lose it when refused.
	if l.known("token:x") {
		t.Fatal("an unseen token is known")
	}
	l.accept("token:x", now)
	if !l.known("token:x") {
		t.Fatal("an accepted token is unknown")
	}
	l.forget("token:x")
	if l.known("token:x") {
		t.Fatal("a refused token keeps its bucket")
	}

	// Idle entries are dropped by the sweep, busy ones kept.
	l.accept("token:idle", now)
	later := now.Add(l.idle + rateSweepEvery)
	l.take("token:busy", later.Add(-time.Second))
	l.take("a", later)
	if l.known("token:idle") {
		t.Error("an idle entry survived the sweep")
	}
	if !l.known("token:busy") {
		t.Error("a busy entry was swept")
	}
}

func TestRateLimiterBounded(t *testing.T) {
	l := newRateLimiter(1, 1)
	now := time.Unix(1_000_000, 0)
	for i := 0; i < maxRateClients; i++ {
		l.clients["k"+strconv.Itoa(i)] = &rateEntry{seen: now}
	}
	l.lastSweep = now
	l.accept("token:new", now)
	if l.known("token:new") {
		t.Error("accept grew a full map")
	}
	if d := l.take("addr:new", now); d != 0 {
		t.Errorf("first overflow request waited %v", d)
	}
	if d := l.take("addr:other", now); d == 0 {
		t.Error("new clients beyond the bound do not share one bucket")
	}
	if len(l.clients) > maxRateClients+1 {
		t.Errorf("%d entries, bound %d", len(l.clients), maxRateClients)
	}
}

func TestParams(t *testing.T) {
	raw := "name=a%20b&access_token=t1&_count=5&access%5Ftoken=t2&x"
	if got := paramValues(raw, "access_token"); strings.Join(got, ",") != "t1,t2" {
		t.Errorf("paramValues = %v", got)
	}
	if got := withoutParam(raw, "access_token"); got != "name=a%20b&_count=5&x" {
		t.Errorf("withoutParam = %q", got)
	}
	if got := withoutParam("access_token=t", "access_token"); got != "" {
		t.Errorf("withoutParam = %q", got)
	}
	for tok, ok := range map[string]bool{"abc.def.ghi": true, "": false, "a b": false, "a\r\nX-Evil: 1": false, "ä": false} {
		if plainToken(tok) != ok {
			t.Errorf("plainToken(%q) = %v", tok, !ok)
		}
	}
}

// testServer is a Server with just enough wiring for middleware that does
// not reach storage.
func testServer(cfg Config) *Server {
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 10
	}
	return &Server{cfg: cfg, log: cfg.Logger, metrics: NewMetrics(nil)}
}

func TestBearerFromParams(t *testing.T) {
	s := testServer(Config{})
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	var seen *http.Request
	var seenBody string
	r.Use(s.bearerFromParams)
	r.Any("/*p", func(c *gin.Context) {
		seen = c.Request
		b, _ := io.ReadAll(c.Request.Body)
		seenBody = string(b)
	})
	send := func(method, target, body string, header ...string) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req := httptest.NewRequest(method, target, rd)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		r.ServeHTTP(httptest.NewRecorder(), req)
	}
	form := []string{"Content-Type", "application/x-www-form-urlencoded"}

	send("GET", "/fhir/Patient?name=x&access_token=abc.def.ghi&_count=2", "")
	if seen.Header.Get("Authorization") != "Bearer abc.def.ghi" || seen.URL.RawQuery != "name=x&_count=2" || strings.Contains(seen.RequestURI, "access_token") {
		t.Errorf("query token not moved: %q %q %q", seen.Header.Get("Authorization"), seen.URL.RawQuery, seen.RequestURI)
	}
	send("POST", "/fhir/Patient/_search", "name=x&access_token=abc.def.ghi", form...)
	if seen.Header.Get("Authorization") != "Bearer abc.def.ghi" || seenBody != "name=x" {
		t.Errorf("form token not moved: %q %q", seen.Header.Get("Authorization"), seenBody)
	}
	// Ambiguous requests stay as they are, for authentication to refuse.
	send("GET", "/fhir/Patient?access_token=a.b.c", "", "Authorization", "Bearer d.e.f")
	if seen.Header.Get("Authorization") != "Bearer d.e.f" || seen.URL.RawQuery != "access_token=a.b.c" {
		t.Errorf("header and query: %q %q", seen.Header.Get("Authorization"), seen.URL.RawQuery)
	}
	send("GET", "/fhir/Patient?access_token=a.b.c&access_token=d.e.f", "")
	if seen.Header.Get("Authorization") != "" {
		t.Errorf("two query tokens: one was chosen")
	}
	send("POST", "/fhir/Patient/_search?access_token=a.b.c", "access_token=d.e.f", form...)
	if seen.Header.Get("Authorization") != "" || seenBody != "access_token=d.e.f" {
		t.Errorf("query and form tokens: %q %q", seen.Header.Get("Authorization"), seenBody)
	}
	// A body beyond the limit is not parsed here, and arrives whole.
	big := "access_token=a.b.c&pad=" + strings.Repeat("x", 2<<10)
	send("POST", "/fhir/Patient/_search", big, form...)
	if seen.Header.Get("Authorization") != "" || seenBody != big {
		t.Errorf("oversized form: header %q, body %d bytes", seen.Header.Get("Authorization"), len(seenBody))
	}
	send("GET", "/fhir/Patient?access_token=a%0d%0aX-Evil:%201", "")
	if seen.Header.Get("Authorization") != "" || seen.Header.Get("X-Evil") != "" {
		t.Errorf("a token with control characters reached a header")
	}
}

func TestCORSMiddleware(t *testing.T) {
	s := testServer(Config{CORSOrigins: []string{"https://app.example.org"}})
	r := gin.New()
	r.Use(s.cors())
	r.GET("/fhir/Patient", func(c *gin.Context) { c.Status(http.StatusOK) })
	do := func(method, origin string, h ...string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, "/fhir/Patient", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		w := httptest.NewRecorder()
		r.ServeHTTP(w, req)
		return w
	}
	w := do("OPTIONS", "https://app.example.org", "Access-Control-Request-Method", "PUT")
	if w.Code != http.StatusNoContent || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.org" {
		t.Errorf("allowed preflight: %d %v", w.Code, w.Header())
	}
	w = do("OPTIONS", "https://APP.example.org", "Access-Control-Request-Method", "PUT")
	if w.Code != http.StatusNoContent {
		t.Errorf("origin case: %d", w.Code)
	}
	w = do("OPTIONS", "https://app.example.org.evil", "Access-Control-Request-Method", "PUT")
	if w.Code != http.StatusForbidden || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("refused preflight: %d %v", w.Code, w.Header())
	}
	w = do("GET", "https://app.example.org")
	if w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.org" || !strings.Contains(w.Header().Get("Access-Control-Expose-Headers"), "ETag") {
		t.Errorf("actual request: %v", w.Header())
	}
	w = do("GET", "")
	if w.Header().Get("Access-Control-Allow-Origin") != "" || w.Header().Get("Vary") != "Origin" {
		t.Errorf("same-origin request: %v", w.Header())
	}
}

func TestRouteInteraction(t *testing.T) {
	r := gin.New()
	got := map[string]string{}
	h := func(c *gin.Context) {
		i, a := routeInteraction(c)
		got[c.Request.Method+" "+c.Request.URL.Path] = i + " " + a
	}
	r.GET("/fhir/:type", h)
	r.POST("/fhir/:type", h)
	r.POST("/fhir/:type/_search", h)
	r.GET("/fhir/:type/:id", h)
	r.PUT("/fhir/:type/:id", h)
	r.DELETE("/fhir/:type/:id", h)
	r.GET("/fhir/:type/:id/_history", h)
	r.GET("/fhir/:type/:id/_history/:vid", h)
	r.GET("/audit/checkpoint", h)
	r.NoRoute(h)
	want := map[string]string{
		"GET /fhir/Patient":                 "search-type E",
		"POST /fhir/Patient":                "create C",
		"POST /fhir/Patient/_search":        "search-type E",
		"GET /fhir/Patient/1":               "read R",
		"PUT /fhir/Patient/1":               "update U",
		"DELETE /fhir/Patient/1":            "delete D",
		"GET /fhir/Patient/1/_history":      "history-instance R",
		"GET /fhir/Patient/1/_history/2":    "vread R",
		"GET /audit/checkpoint":             "operation R",
		"GET /fhir/Patient/1/$unknown/x/y/": "operation E",
	}
	for k := range want {
		method, path, _ := strings.Cut(k, " ")
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(method, path, nil))
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q", k, got[k], v)
		}
	}
}
