package importer

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeFHIR is just enough of a FHIR server for the importer: batch and
// transaction Bundles of PUT Type/id and conditional POST, and search on
// _id. It keeps every version, so tests can count them.
type fakeFHIR struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	versions map[string][]json.RawMessage // Type/id → versions, oldest first
	requests int
	bundles  []string // Bundle.type of each Bundle received
	// fault, when set, answers a request instead of the server (return 0 to let it through).
	fault   func(n int, r *http.Request, body []byte) (status int, header http.Header)
	maxBody int
	token   string // required bearer token, when set
}

func newFake(t *testing.T) *fakeFHIR {
	f := &fakeFHIR{t: t, versions: map[string][]json.RawMessage{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeFHIR) URL() string { return f.srv.URL + "/fhir" }

func (f *fakeFHIR) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.requests++
	n, fault := f.requests, f.fault
	f.mu.Unlock()
	if f.token != "" && r.Header.Get("Authorization") != "Bearer "+f.token {
		writeOutcome(w, http.StatusUnauthorized, "bad token")
		return
	}
	if fault != nil {
		if status, h := fault(n, r, body); status != 0 {
			for k, v := range h {
				w.Header()[k] = v
			}
			writeOutcome(w, status, "injected fault")
			return
		}
	}
	if f.maxBody > 0 && len(body) > f.maxBody {
		writeOutcome(w, http.StatusRequestEntityTooLarge, "too large")
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/fhir":
		f.bundle(w, body)
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/_search"):
		typ := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/fhir/"), "/_search")
		form, _ := url.ParseQuery(string(body))
		f.search(w, typ, strings.Split(form.Get("_id"), ","))
	default:
		writeOutcome(w, http.StatusNotFound, "no route")
	}
}

func writeOutcome(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", fhirJSON)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":%q}]}`, msg)
}

func (f *fakeFHIR) bundle(w http.ResponseWriter, body []byte) {
	var b struct {
		Type  string     `json:"type"`
		Entry []rawEntry `json:"entry"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		writeOutcome(w, http.StatusBadRequest, "bad bundle")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bundles = append(f.bundles, b.Type)
	type resp struct {
		Status  string          `json:"status"`
		Outcome json.RawMessage `json:"outcome,omitempty"`
	}
	if b.Type == "transaction" { // all or nothing
		for _, e := range b.Entry {
			if strings.Contains(string(e.Resource), "refuse-me") {
				writeOutcome(w, http.StatusBadRequest, "transaction failed: refused as asked")
				return
			}
		}
	}
	var out []map[string]resp
	for _, e := range b.Entry {
		status, oo := f.write(e)
		out = append(out, map[string]resp{"response": {Status: strconv.Itoa(status) + " " + http.StatusText(status), Outcome: oo}})
	}
	raw, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": b.Type + "-response", "entry": out})
	w.Header().Set("Content-Type", fhirJSON)
	w.Write(raw)
}

// write applies one entry; a resource whose JSON holds "refuse-me" is refused.
func (f *fakeFHIR) write(e rawEntry) (int, json.RawMessage) {
	if strings.Contains(string(e.Resource), "refuse-me") {
		return http.StatusBadRequest, json.RawMessage(`{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"invalid","diagnostics":"refused as asked","expression":["Patient.name"]}]}`)
	}
	switch e.Request.Method {
	case http.MethodPut:
		key := e.Request.URL
		status := http.StatusOK
		if len(f.versions[key]) == 0 {
			status = http.StatusCreated
		}
		f.versions[key] = append(f.versions[key], e.Resource)
		return status, nil
	case http.MethodPost:
		if crit := e.Request.IfNoneExist; crit != "" {
			for k, vs := range f.versions {
				if strings.HasPrefix(k, e.Request.URL+"/") && matchesIdentifier(vs[len(vs)-1], crit) {
					return http.StatusOK, nil
				}
			}
		}
		key := fmt.Sprintf("%s/gen-%d", e.Request.URL, len(f.versions)+1)
		f.versions[key] = append(f.versions[key], e.Resource)
		return http.StatusCreated, nil
	}
	return http.StatusBadRequest, nil
}

func matchesIdentifier(res json.RawMessage, crit string) bool {
	q, _ := url.ParseQuery(crit)
	var h head
	json.Unmarshal(res, &h)
	for _, id := range h.Identifier {
		if escapeSearch(id.System)+"|"+escapeSearch(id.Value) == q.Get("identifier") {
			return true
		}
	}
	return false
}

func (f *fakeFHIR) search(w http.ResponseWriter, typ string, ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var entries []map[string]any
	for _, id := range ids {
		vs := f.versions[typ+"/"+id]
		if len(vs) == 0 {
			continue
		}
		var doc map[string]any
		json.Unmarshal(vs[len(vs)-1], &doc)
		doc["meta"] = map[string]any{"versionId": strconv.Itoa(len(vs)), "lastUpdated": "2026-01-01T00:00:00.000Z"}
		entries = append(entries, map[string]any{"resource": doc})
	}
	raw, _ := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "searchset", "entry": entries})
	w.Header().Set("Content-Type", fhirJSON)
	w.Write(raw)
}

// counts returns how many resources the fake holds and how many versions.
func (f *fakeFHIR) counts() (resources, versions int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, vs := range f.versions {
		resources++
		versions += len(vs)
	}
	return
}

func (f *fakeFHIR) bundleTypes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bundles)
}
