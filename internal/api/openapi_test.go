package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"sigs.k8s.io/yaml"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/openapi"
)

const openAPITestSecret = "openapi-test-secret-0123456789abcdef0123456789"

// openAPIServer is the whole server, wired as ehrd wires it, over SQLite.
type openAPIServer struct {
	t   *testing.T
	app *app.App
	url string
}

// newOpenAPIServer starts the server; extra are more EHR_* variables, as
// name, value pairs.
func newOpenAPIServer(t *testing.T, extra ...string) *openAPIServer {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"EHR_STORE":             "sqlite:" + filepath.Join(dir, "ehr.db"),
		"EHR_AUTH_HS256_SECRET": openAPITestSecret,
		"EHR_DATA_DIR":          dir,
	}
	for i := 0; i+1 < len(extra); i += 2 {
		env[extra[i]] = extra[i+1]
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return &openAPIServer{t: t, app: a, url: hs.URL}
}

type openAPIReply struct {
	status int
	header http.Header
	body   []byte
}

func (s *openAPIServer) do(method, path, token string, body []byte, headers ...string) openAPIReply {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return openAPIReply{status: resp.StatusCode, header: resp.Header, body: b}
}

// loadDocument fetches /openapi.json without a token and parses it.
func loadDocument(t *testing.T, s *openAPIServer) *openapi2.T {
	t.Helper()
	r := s.do("GET", "/openapi.json", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("GET /openapi.json: Content-Type %q", ct)
	}
	if !bytes.Equal(r.body, openapi.JSON) {
		t.Error("GET /openapi.json does not serve the embedded document")
	}
	var doc openapi2.T
	if err := json.Unmarshal(r.body, &doc); err != nil {
		t.Fatalf("parse /openapi.json as Swagger 2.0: %v", err)
	}
	return &doc
}

// TestOpenAPIDocumentIsValid loads the served document as Swagger 2.0,
// converts it to OpenAPI 3 and validates that, examples included.
func TestOpenAPIDocumentIsValid(t *testing.T) {
	s := newOpenAPIServer(t)
	doc := loadDocument(t, s)
	if doc.Swagger != "2.0" {
		t.Fatalf("swagger = %q, want 2.0", doc.Swagger)
	}
	doc3, err := openapi2conv.ToV3(doc)
	if err != nil {
		t.Fatalf("convert to OpenAPI 3: %v", err)
	}
	if err := doc3.Validate(context.Background()); err != nil {
		t.Fatalf("the document is not valid: %v", err)
	}

	// The YAML is the same document.
	r := s.do("GET", "/openapi.yaml", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /openapi.yaml: %d", r.status)
	}
	fromYAML, err := yaml.YAMLToJSON(r.body)
	if err != nil {
		t.Fatalf("parse /openapi.yaml: %v", err)
	}
	var a, b any
	if err := json.Unmarshal(fromYAML, &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(openapi.JSON, &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Error("/openapi.yaml and /openapi.json differ")
	}
}

// docRoutes are the routes that serve the document itself.
func isDocRoute(path string) bool {
	return path == "/openapi.json" || path == "/openapi.yaml" || path == "/docs" || strings.HasPrefix(path, "/docs/")
}

// isBenchRoute is left out of the document on purpose: /bench/static is
// not part of the public API and is served only when EHR_BENCH_STATIC_ROUTE
// is set, for the load tool (docs/performance.md).
func isBenchRoute(path string) bool { return strings.HasPrefix(path, "/bench/") }

var ginParam = regexp.MustCompile(`[:*]([A-Za-z_][A-Za-z0-9_]*)`)

// TestOpenAPICoversEveryRoute checks that every route the Gin router serves
// is in the document, each /fhir/{type}… route once per type it applies
// to, and that every documented operation is served.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	s := newOpenAPIServer(t, "EHR_BENCH_STATIC_ROUTE", "1") // every route there is
	doc := loadDocument(t, s)
	documented := map[string]bool{} // "GET /fhir/Patient/{id}"
	for path, item := range doc.Paths {
		for method := range item.Operations() {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}

	routes := s.app.Server.Routes()
	if len(routes) == 0 {
		t.Fatal("the server lists no routes")
	}
	served := map[string]bool{}
	for _, rt := range routes {
		if isDocRoute(rt.Path) || isBenchRoute(rt.Path) {
			continue
		}
		path := ginParam.ReplaceAllString(rt.Path, "{$1}")
		wants := expand(rt.Method, path, documented)
		if len(wants) == 0 {
			t.Errorf("%s %s is served but documented for no type", rt.Method, rt.Path)
		}
		for _, want := range wants {
			served[want] = true
			if !documented[want] {
				t.Errorf("%s is served (route %s) but not in the document", want, rt.Path)
			}
		}
	}
	for op := range documented {
		if !served[op] {
			t.Errorf("%s is documented but no route serves it", op)
		}
	}
	if t.Failed() {
		t.Log("document new routes in internal/api/openapigen/ops.go (per type) or internal/api/openapi_doc.go, then run make openapi (docs/openapi.md)")
	}
}

// expand turns a route into the documented operations it stands for: a
// route with {type} stands for one operation per served type the
// interaction applies to (no writes on read-only types). An operation such
// as $everything is defined on some types only (the handler answers 404 on
// the others): it stands for the types the document gives it.
func expand(method, path string, documented map[string]bool) []string {
	if !strings.Contains(path, "{type}") {
		return []string{method + " " + path}
	}
	var out []string
	for _, t := range fhir.Types() {
		p := strings.Replace(path, "{type}", t.Name, 1)
		if strings.Contains(p, "/$") {
			if documented[method+" "+p] {
				out = append(out, method+" "+p)
			}
			continue
		}
		write := method == "PUT" || method == "DELETE" || method == "PATCH" ||
			(method == "POST" && !strings.HasSuffix(p, "/_search"))
		if t.ReadOnly && write {
			continue
		}
		out = append(out, method+" "+p)
	}
	return out
}

// TestOpenAPIDescribesEveryType checks the per-type content: models with
// examples, every search parameter the server supports, the headers, the
// error shape and the SMART scopes.
func TestOpenAPIDescribesEveryType(t *testing.T) {
	s := newOpenAPIServer(t)
	doc := loadDocument(t, s)
	reg := s.app.Engine.Search()

	smart := doc.SecurityDefinitions["SMART"]
	if smart == nil || smart.Type != "oauth2" || len(smart.Scopes) == 0 {
		t.Fatalf("no SMART oauth2 security definition with scopes: %+v", smart)
	}
	if bearer := doc.SecurityDefinitions["BearerAuth"]; bearer == nil || bearer.In != "header" || bearer.Name != "Authorization" {
		t.Errorf("no bearer security definition in the Authorization header: %+v", bearer)
	}

	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	for _, typ := range fhir.Types() {
		T := typ.Name
		if !tags[T] {
			t.Errorf("no tag %s", T)
		}
		for _, name := range []string{T, T + "Bundle"} {
			def := doc.Definitions[name]
			if def == nil || def.Value == nil {
				t.Errorf("no definition %s", name)
				continue
			}
			ex, _ := def.Value.Example.(map[string]any)
			if ex == nil {
				t.Errorf("definition %s has no example", name)
			}
		}
		if ex, _ := doc.Definitions[T].Value.Example.(map[string]any); ex != nil && ex["resourceType"] != T {
			t.Errorf("the example of %s has resourceType %v", T, ex["resourceType"])
		}

		search := operation(t, doc, "GET", "/fhir/"+T)
		searchPost := operation(t, doc, "POST", "/fhir/"+T+"/_search")
		for _, p := range reg.Params(T) {
			if search != nil && findParam(search, p.Code, "query") == nil {
				t.Errorf("GET /fhir/%s lacks the search parameter %s", T, p.Code)
			}
			if searchPost != nil && findParam(searchPost, p.Code, "formData") == nil {
				t.Errorf("POST /fhir/%s/_search lacks the search parameter %s", T, p.Code)
			}
			if search != nil && p.Def != nil && p.Def.Description != "" && !strings.Contains(p.Def.Description, "Multiple Resources") {
				// The registry's own words open the description (up to any
				// markdown link, which the document flattens).
				want := strings.Join(strings.Fields(p.Def.Description), " ")
				want, _, _ = strings.Cut(want, "[")
				want = want[:min(len(want), 40)]
				if got := findParam(search, p.Code, "query"); got != nil && !strings.HasPrefix(got.Description, want) {
					t.Errorf("GET /fhir/%s: %s is described %q, not from the registry (%q)", T, p.Code, got.Description, p.Def.Description)
				}
			}
		}
		for _, code := range []string{"_count", "_sort", "_include", "_revinclude", "_total", "_summary", "_elements"} {
			if search != nil && code != "_include" && code != "_revinclude" && findParam(search, code, "query") == nil {
				t.Errorf("GET /fhir/%s lacks %s", T, code)
			}
		}

		wantHeader(t, doc, "GET", "/fhir/"+T+"/{id}", "If-None-Match", "If-Modified-Since")
		if typ.ReadOnly {
			for _, m := range []string{"POST", "PUT", "DELETE"} {
				for _, p := range []string{"/fhir/" + T, "/fhir/" + T + "/{id}"} {
					if doc.Paths[p] != nil && doc.Paths[p].GetOperation(m) != nil {
						t.Errorf("%s %s is documented but %s is read-only", m, p, T)
					}
				}
			}
			continue
		}
		wantHeader(t, doc, "POST", "/fhir/"+T, "If-None-Exist", "Prefer")
		wantHeader(t, doc, "PUT", "/fhir/"+T+"/{id}", "If-Match", "Prefer")
		wantHeader(t, doc, "DELETE", "/fhir/"+T+"/{id}", "If-Match")
		if op := operation(t, doc, "POST", "/fhir/"+T); op != nil {
			body := findParam(op, "resource", "body")
			if body == nil || body.Schema == nil || body.Schema.Ref != "#/definitions/"+T {
				t.Errorf("POST /fhir/%s: the body is not a %s: %+v", T, T, body)
			}
		}
	}

	// Every FHIR interaction but metadata: bearer security, SMART scopes
	// that the SMART definition lists, OperationOutcome for every error.
	for path, item := range doc.Paths {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if !strings.HasPrefix(path, "/fhir") || code < "400" {
					continue
				}
				if resp == nil || resp.Schema == nil || resp.Schema.Ref != "#/definitions/OperationOutcome" {
					t.Errorf("%s %s: response %s is not an OperationOutcome", method, path, code)
				}
			}
			if path == "/fhir/metadata" || !(strings.HasPrefix(path, "/fhir") || strings.HasPrefix(path, "/audit")) {
				if op.Security != nil && len(*op.Security) > 0 {
					t.Errorf("%s %s needs no token but the document asks for one", method, path)
				}
				continue
			}
			if op.Security == nil || len(*op.Security) == 0 {
				t.Errorf("%s %s: no security requirement", method, path)
				continue
			}
			hasBearer := false
			for _, req := range *op.Security {
				for name, scopes := range req {
					if name == "BearerAuth" {
						hasBearer = true
					}
					for _, sc := range scopes {
						if _, ok := smart.Scopes[sc]; !ok {
							t.Errorf("%s %s: scope %s is not in the SMART definition", method, path, sc)
						}
					}
				}
			}
			if !hasBearer {
				t.Errorf("%s %s: no BearerAuth requirement", method, path)
			}
		}
	}
}

func operation(t *testing.T, doc *openapi2.T, method, path string) *openapi2.Operation {
	t.Helper()
	item := doc.Paths[path]
	if item == nil || item.GetOperation(method) == nil {
		t.Errorf("%s %s is not documented", method, path)
		return nil
	}
	return item.GetOperation(method)
}

func findParam(op *openapi2.Operation, name, in string) *openapi2.Parameter {
	for _, p := range op.Parameters {
		if p.Name == name && p.In == in {
			return p
		}
	}
	return nil
}

func wantHeader(t *testing.T, doc *openapi2.T, method, path string, names ...string) {
	t.Helper()
	op := operation(t, doc, method, path)
	if op == nil {
		return
	}
	for _, n := range names {
		if findParam(op, n, "header") == nil {
			t.Errorf("%s %s lacks the %s header", method, path, n)
		}
	}
}

// TestOpenAPIExamplesAreAccepted sends the document's examples to the real
// server: each read-write type's example is created (its Patient references
// pointed at the example Patient as stored), the AuditEvent example passes
// validation, and the transaction example runs when POST /fhir is served.
func TestOpenAPIExamplesAreAccepted(t *testing.T) {
	s := newOpenAPIServer(t)
	doc := loadDocument(t, s)
	tok, err := auth.Mint([]byte(openAPITestSecret), auth.MintClaims{Subject: "openapi-test", Scope: "user/*.cruds user/AuditEvent.rs", ClientID: "openapi-test"})
	if err != nil {
		t.Fatal(err)
	}
	example := func(name string) map[string]any {
		def := doc.Definitions[name]
		if def == nil || def.Value == nil {
			t.Fatalf("no definition %s", name)
		}
		ex, _ := def.Value.Example.(map[string]any)
		if ex == nil {
			t.Fatalf("definition %s has no example", name)
		}
		return ex
	}

	patient := example("Patient")
	exampleRef := "Patient/" + patient["id"].(string)
	var storedRef string
	for _, typ := range fhir.Types() {
		ex := example(typ.Name)
		if typ.ReadOnly {
			if issues := fhir.Validate(typ.Name, ex); len(issues) > 0 {
				t.Errorf("the %s example is not valid: %+v", typ.Name, issues)
			}
			continue
		}
		body, _ := json.Marshal(ex)
		if storedRef != "" {
			body = bytes.ReplaceAll(body, []byte(`"`+exampleRef+`"`), []byte(`"`+storedRef+`"`))
		}
		r := s.do("POST", "/fhir/"+typ.Name, tok, body)
		if r.status != http.StatusCreated {
			t.Errorf("POST the %s example: %d %s", typ.Name, r.status, r.body)
			continue
		}
		if typ.Name == "Patient" {
			var created map[string]any
			if err := json.Unmarshal(r.body, &created); err != nil {
				t.Fatal(err)
			}
			storedRef = "Patient/" + created["id"].(string)
		}
	}

	served := false
	for _, rt := range s.app.Server.Routes() {
		if rt.Method == "POST" && rt.Path == "/fhir" {
			served = true
		}
	}
	if !served {
		t.Log("POST /fhir is not served yet: the transaction example is not sent")
		return
	}
	body, _ := json.Marshal(example("TransactionBundle"))
	r := s.do("POST", "/fhir", tok, body)
	if r.status != http.StatusOK {
		t.Fatalf("POST the transaction example: %d %s", r.status, r.body)
	}
	var resp map[string]any
	if err := json.Unmarshal(r.body, &resp); err != nil {
		t.Fatal(err)
	}
	if resp["type"] != "transaction-response" {
		t.Errorf("the transaction example answered a %v Bundle", resp["type"])
	}
	want := slices.Sorted(maps.Keys(example("TransactionResponseBundle")))
	for _, k := range want {
		if _, ok := resp[k]; !ok {
			t.Errorf("the TransactionResponseBundle example has %q, the server's answer has not", k)
		}
	}
}

// TestOpenAPIUI checks Swagger UI: no token needed, pointed at /openapi.json.
func TestOpenAPIUI(t *testing.T) {
	s := newOpenAPIServer(t)
	r := s.do("GET", "/docs/", "", nil)
	if r.status != http.StatusFound || r.header.Get("Location") != "/docs/index.html" {
		t.Errorf("GET /docs/: %d Location %q, want a redirect to /docs/index.html", r.status, r.header.Get("Location"))
	}
	r = s.do("GET", "/docs/index.html", "", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), "swagger-ui") {
		t.Fatalf("GET /docs/index.html: %d %.200s", r.status, r.body)
	}
	r = s.do("GET", "/docs/swagger-initializer.js", "", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"/openapi.json"`) {
		t.Errorf("the UI does not load /openapi.json: %d %.400s", r.status, r.body)
	}
	r = s.do("GET", "/docs/swagger-ui-bundle.js", "", nil)
	if r.status != http.StatusOK || len(r.body) < 1000 {
		t.Errorf("GET /docs/swagger-ui-bundle.js: %d, %d bytes", r.status, len(r.body))
	}
	// The document is revalidated cheaply.
	r = s.do("GET", "/openapi.json", "", nil)
	etag := r.header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on /openapi.json")
	}
	if r = s.do("GET", "/openapi.json", "", nil, "If-None-Match", etag); r.status != http.StatusNotModified {
		t.Errorf("If-None-Match with the ETag: %d, want 304", r.status)
	}
}
