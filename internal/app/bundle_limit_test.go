package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// limitSystem is the identifier system of the patients these tests post, so
// that a search tells exactly what a refused request left behind.
const limitSystem = "http://clinic.example.org/limit-test"

// limitPatient is a Patient carrying the identifier limitSystem|value.
func limitPatient(value string, i int) map[string]any {
	return map[string]any{
		"resourceType": "Patient",
		"identifier":   []any{map[string]any{"system": limitSystem, "value": value}},
		"name":         []any{map[string]any{"family": "Limit", "given": []any{fmt.Sprintf("Entry%d", i)}}},
		"gender":       "unknown",
	}
}

// limitBundle is a batch or transaction of n Patient creates, every Patient
// carrying the identifier limitSystem|value.
func limitBundle(kind, value string, n int) map[string]any {
	list := make([]any, n)
	for i := range list {
		list[i] = map[string]any{
			"fullUrl":  "urn:uuid:" + uuidFor(fmt.Sprintf("limit-%s-%d", value, i)),
			"resource": limitPatient(value, i),
			"request":  map[string]any{"method": "POST", "url": "Patient"},
		}
	}
	return map[string]any{"resourceType": "Bundle", "type": kind, "entry": list}
}

// issueCodes returns the issue codes of an OperationOutcome.
func issueCodes(t *testing.T, r *reply) []string {
	t.Helper()
	var out []string
	list, _ := r.json(t)["issue"].([]any)
	for _, is := range list {
		code, _ := is.(map[string]any)["code"].(string)
		out = append(out, code)
	}
	return out
}

// auditDescriptions returns the outcomeDesc of the AuditEvents a search
// finds (at most 100).
func auditDescriptions(t *testing.T, s *server, tok, query string) []string {
	t.Helper()
	r := must(t, s.do("GET", "/fhir/AuditEvent?"+query+"&_count=100", tok, nil), http.StatusOK)
	var out []string
	for _, e := range entries(t, r) {
		ev, _ := e["resource"].(map[string]any)
		d, _ := ev["outcomeDesc"].(string)
		out = append(out, d)
	}
	return out
}

// TestBundleEntryLimitFromEnvironment: EHR_MAX_BUNDLE_ENTRIES reaches the
// API. A batch or transaction over it is refused whole with 413 and an
// OperationOutcome naming the limit, none of its entries runs, and the
// refusal is audited; a Bundle at the limit is served.
func TestBundleEntryLimitFromEnvironment(t *testing.T) {
	env := map[string]string{"EHR_MAX_BUNDLE_ENTRIES": "3", "EHR_RATE_LIMIT": "0"}
	eachBackendWith(t, env, func(t *testing.T, s *server) {
		admin := token(t, adminScope, "")
		auditor := token(t, "user/AuditEvent.rs", "")
		for _, kind := range []string{"transaction", "batch"} {
			t.Run(kind, func(t *testing.T) {
				s := s.as(t)
				refusedBefore := searchTotal(t, s, auditor, "AuditEvent?subtype="+kind+"&outcome=4")
				createsBefore := searchTotal(t, s, auditor, "AuditEvent?subtype=create")

				// One entry over the limit: refused whole.
				refused := kind + "-refused"
				r := must(t, s.do("POST", "/fhir", admin, limitBundle(kind, refused, 4)), http.StatusRequestEntityTooLarge)
				checkOutcome(t, "4 entries", r)
				if d := outcomeText(t, r); !strings.Contains(d, "at most 3") || !strings.Contains(d, "4 entries") {
					t.Errorf("the OperationOutcome does not name the limit: %s", d)
				}
				if codes := issueCodes(t, r); len(codes) == 0 || codes[0] != "too-costly" {
					t.Errorf("issue codes %v, want too-costly", codes)
				}
				if n := searchTotal(t, s, admin, "Patient?identifier="+limitSystem+"|"+refused); n != 0 {
					t.Errorf("the refused %s stored %d Patients", kind, n)
				}
				// The refusal is audited, and no entry ran (no create was
				// attempted, so none was audited).
				if n := searchTotal(t, s, auditor, "AuditEvent?subtype="+kind+"&outcome=4"); n != refusedBefore+1 {
					t.Errorf("%d refused %s AuditEvents, want %d", n, kind, refusedBefore+1)
				}
				descs := auditDescriptions(t, s, auditor, "subtype="+kind+"&outcome=4")
				if !strings.Contains(strings.Join(descs, "\n"), "at most 3") {
					t.Errorf("no refused %s AuditEvent names the limit: %q", kind, descs)
				}
				if n := searchTotal(t, s, auditor, "AuditEvent?subtype=create"); n != createsBefore {
					t.Errorf("%d create AuditEvents after the refused %s, want %d", n, kind, createsBefore)
				}

				// At the limit: served, every entry created.
				accepted := kind + "-accepted"
				r = must(t, s.do("POST", "/fhir", admin, limitBundle(kind, accepted, 3)), http.StatusOK)
				if got := bundleStatuses(t, r, kind+"-response"); strings.Join(got, ",") != "201 Created,201 Created,201 Created" {
					t.Errorf("statuses %v, want three 201 Created", got)
				}
				if n := searchTotal(t, s, admin, "Patient?identifier="+limitSystem+"|"+accepted); n != 3 {
					t.Errorf("the accepted %s stored %d Patients, want 3", kind, n)
				}
				if n := searchTotal(t, s, auditor, "AuditEvent?subtype="+kind+"&outcome=0"); n != 1 {
					t.Errorf("%d successful %s AuditEvents, want 1", n, kind)
				}
			})
		}
	})
}

// padTo pads a JSON body with trailing whitespace (still the same JSON) to
// exactly n bytes.
func padTo(t *testing.T, body []byte, n int) []byte {
	t.Helper()
	if len(body) > n {
		t.Fatalf("body of %d bytes already exceeds %d", len(body), n)
	}
	return append(body, bytes.Repeat([]byte(" "), n-len(body))...)
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBodyLimitBoundary: a body of exactly EHR_MAX_BODY_BYTES is read, one
// byte more gets 413 with an OperationOutcome, stores nothing, and is
// audited.
func TestBodyLimitBoundary(t *testing.T) {
	const limit = 4096
	env := map[string]string{"EHR_MAX_BODY_BYTES": fmt.Sprint(limit), "EHR_RATE_LIMIT": "0"}
	eachBackendWith(t, env, func(t *testing.T, s *server) {
		admin := token(t, adminScope, "")
		auditor := token(t, "user/AuditEvent.rs", "")
		cases := []struct {
			name, method, path string
			body               func(value string) []byte
			ok                 int
		}{
			{"transaction", "POST", "/fhir", func(v string) []byte { return marshal(t, limitBundle("transaction", v, 1)) }, http.StatusOK},
			{"batch", "POST", "/fhir", func(v string) []byte { return marshal(t, limitBundle("batch", v, 1)) }, http.StatusOK},
			{"create", "POST", "/fhir/Patient", func(v string) []byte { return marshal(t, limitPatient(v, 0)) }, http.StatusCreated},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				s := s.as(t)
				exact, over := "body-exact-"+c.name, "body-over-"+c.name
				must(t, s.do(c.method, c.path, admin, padTo(t, c.body(exact), limit)), c.ok)
				if n := searchTotal(t, s, admin, "Patient?identifier="+limitSystem+"|"+exact); n != 1 {
					t.Errorf("a body of exactly %d bytes stored %d Patients, want 1", limit, n)
				}

				refusedBefore := searchTotal(t, s, auditor, "AuditEvent?outcome=4")
				r := must(t, s.do(c.method, c.path, admin, padTo(t, c.body(over), limit+1)), http.StatusRequestEntityTooLarge)
				checkOutcome(t, "one byte over", r)
				if d := outcomeText(t, r); !strings.Contains(d, fmt.Sprint(limit)) {
					t.Errorf("the OperationOutcome does not name the limit: %s", d)
				}
				if codes := issueCodes(t, r); len(codes) == 0 || codes[0] != "too-costly" {
					t.Errorf("issue codes %v, want too-costly", codes)
				}
				if n := searchTotal(t, s, admin, "Patient?identifier="+limitSystem+"|"+over); n != 0 {
					t.Errorf("a body one byte over the limit stored %d Patients", n)
				}
				if n := searchTotal(t, s, auditor, "AuditEvent?outcome=4"); n != refusedBefore+1 {
					t.Errorf("%d refused AuditEvents, want %d", n, refusedBefore+1)
				}
			})
		}

		// A _search form body is held to the same limit.
		t.Run("search form", func(t *testing.T) {
			s := s.as(t)
			form := func(n int) string {
				f := "identifier=" + limitSystem + "|body-exact-create&name="
				return f + strings.Repeat("a", n-len(f))
			}
			hdr := []string{"Content-Type", "application/x-www-form-urlencoded"}
			must(t, s.do("POST", "/fhir/Patient/_search", admin, form(limit), hdr...), http.StatusOK)
			r := must(t, s.do("POST", "/fhir/Patient/_search", admin, form(limit+1), hdr...), http.StatusRequestEntityTooLarge)
			checkOutcome(t, "search form one byte over", r)
		})
	})
}
