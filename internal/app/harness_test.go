package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/config"
)

const testSecret = "test-secret-0123456789abcdef0123456789abcdef"

// backend is a storage URL builder for one backend under test.
type backend struct {
	name string
	url  func(t *testing.T) string
}

// backends returns the stores every end-to-end test runs on: SQLite and
// lungo always, a real MongoDB when EHR_TEST_MONGODB_URI is set.
func backends() []backend {
	bs := []backend{
		{"sqlite", func(t *testing.T) string { return "sqlite:" + filepath.Join(t.TempDir(), "ehr.db") }},
		{"lungo", func(t *testing.T) string { return "lungo:memory" }},
	}
	if uri := os.Getenv("EHR_TEST_MONGODB_URI"); uri != "" {
		bs = append(bs, backend{"mongodb", func(t *testing.T) string { return mongoTestURL(t, uri) }})
	}
	return bs
}

// mongoTestURL points at a fresh database on the shared server.
func mongoTestURL(t *testing.T, uri string) string {
	db := "ehrtest_" + strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	if len(db) > 60 {
		db = db[:60]
	}
	base, query, _ := strings.Cut(uri, "?")
	if i := strings.Index(base[len("mongodb://"):], "/"); i >= 0 {
		base = base[:len("mongodb://")+i]
	}
	db = strings.ReplaceAll(db+"_"+time.Now().Format("150405.000000"), ".", "_")
	u := base + "/" + db
	if query != "" {
		u += "?" + query
	}
	return u
}

// server is a running ehrd over a real store.
type server struct {
	t   *testing.T
	URL string
	App *app.App
}

// eachBackend runs fn against a fresh server per backend.
func eachBackend(t *testing.T, fn func(t *testing.T, s *server)) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			fn(t, newServer(t, b.url(t)))
		})
	}
}

func newServer(t *testing.T, storeURL string) *server {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"EHR_STORE":             storeURL,
		"EHR_AUTH_HS256_SECRET": testSecret,
		"EHR_DATA_DIR":          dir,
		"EHR_MAX_BODY_BYTES":    "65536",
		"EHR_RATE_LIMIT":        "0", // tests send bursts; the limiter has its own tests
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
	return serve(t, a)
}

// serve answers HTTP with a until the test ends, then closes it.
func serve(t *testing.T, a *app.App) *server {
	t.Helper()
	hs := httptest.NewServer(a.Handler())
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

// token mints a token with the given scopes (and patient, when non-empty).
func token(t *testing.T, scope, patient string) string {
	t.Helper()
	tok, err := auth.Mint([]byte(testSecret), auth.MintClaims{Subject: "tester", Scope: scope, Patient: patient, ClientID: "test-client"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var adminScope = "user/*.cruds user/AuditEvent.rs"

// reply is a response read whole.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r *reply) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response is not JSON (%d): %s", r.Status, r.Body)
	}
	return m
}

// do sends a request with a bearer token ("" for none) and optional headers.
func (s *server) do(method, path, tok string, body any, headers ...string) *reply {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// must asserts the status and returns the reply.
func must(t *testing.T, r *reply, status int) *reply {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// ids returns the ids of a searchset's match entries, in order.
func ids(t *testing.T, r *reply) []string {
	t.Helper()
	var out []string
	for _, e := range entries(t, r) {
		if s, _ := e["search"].(map[string]any); s != nil && s["mode"] != "match" {
			continue
		}
		res, _ := e["resource"].(map[string]any)
		id, _ := res["id"].(string)
		out = append(out, id)
	}
	return out
}

func entries(t *testing.T, r *reply) []map[string]any {
	t.Helper()
	b := r.json(t)
	var out []map[string]any
	list, _ := b["entry"].([]any)
	for _, e := range list {
		out = append(out, e.(map[string]any))
	}
	return out
}

func link(t *testing.T, r *reply, rel string) string {
	t.Helper()
	b := r.json(t)
	list, _ := b["link"].([]any)
	for _, l := range list {
		m := l.(map[string]any)
		if m["relation"] == rel {
			return m["url"].(string)
		}
	}
	return ""
}

// issueExpressions collects the expression paths of an OperationOutcome.
func issueExpressions(t *testing.T, r *reply) []string {
	t.Helper()
	oo := r.json(t)
	if oo["resourceType"] != "OperationOutcome" {
		t.Fatalf("not an OperationOutcome: %s", r.Body)
	}
	var out []string
	list, _ := oo["issue"].([]any)
	for _, is := range list {
		exprs, _ := is.(map[string]any)["expression"].([]any)
		for _, e := range exprs {
			out = append(out, e.(string))
		}
	}
	return out
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }
