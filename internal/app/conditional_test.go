package app_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// mrnQuery is the criteria naming one patient by MRN.
func mrnQuery(mrn string) string {
	return "identifier=" + url.QueryEscape(mrnSystem+"|"+mrn)
}

func TestConditionalCreate(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		body := patientJSON("Adeyemi", "Tunde", "male", "1980-01-01", "MRN-C1")

		first := must(t, s.do("POST", "/fhir/Patient", tok, body, "If-None-Exist", mrnQuery("MRN-C1")), http.StatusCreated)
		id := first.json(t)["id"]
		again := must(t, s.do("POST", "/fhir/Patient", tok, body, "If-None-Exist", mrnQuery("MRN-C1")), http.StatusOK)
		if again.json(t)["id"] != id || again.Header.Get("ETag") != `W/"1"` {
			t.Errorf("the match answered %v %s, want %v at version 1", again.json(t)["id"], again.Header.Get("ETag"), id)
		}
		if n := searchTotal(t, s, tok, "Patient?"+mrnQuery("MRN-C1")); n != 1 {
			t.Errorf("%d patients, want 1", n)
		}
		// The match is a disclosure, not a write: audited as a read.
		auditor := token(t, "user/AuditEvent.rs", "")
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=create&entity=Patient/"+fmt.Sprint(id)); n != 1 {
			t.Errorf("%d create records for the patient, want 1", n)
		}

		create(t, s, tok, "Patient", patientJSON("Twin", "A", "female", "1990-01-01", "MRN-TWINS"))
		create(t, s, tok, "Patient", patientJSON("Twin", "B", "female", "1990-01-01", "MRN-TWINS"))
		cases := []struct {
			name, criteria, tok string
			status              int
		}{
			{"several matches", mrnQuery("MRN-TWINS"), tok, http.StatusPreconditionFailed},
			{"unknown parameter", "nickname=bob", tok, http.StatusBadRequest},
			{"only a result parameter", "_count=1", tok, http.StatusBadRequest},
			{"malformed", "identifier=%zz", tok, http.StatusBadRequest},
			{"without the search scope", mrnQuery("MRN-C9"), token(t, "user/Patient.cr", ""), http.StatusForbidden},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				must(t, s.do("POST", "/fhir/Patient", c.tok, body, "If-None-Exist", c.criteria), c.status)
			})
		}
		if n := searchTotal(t, s, tok, "Patient"); n != 3 {
			t.Errorf("%d patients after the refusals, want 3", n)
		}
	})
}

// TestConcurrentConditionalCreate: 20 identical conditional creates at once
// create exactly one resource.
func TestConcurrentConditionalCreate(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		body := patientJSON("Race", "Condition", "other", "2000-01-01", "MRN-RACE-1")
		status := concurrently(20, func(int) int {
			return s.do("POST", "/fhir/Patient", tok, body, "If-None-Exist", mrnQuery("MRN-RACE-1")).Status
		})
		created := 0
		for i, st := range status {
			switch st {
			case http.StatusCreated:
				created++
			case http.StatusOK:
			default:
				t.Errorf("request %d: status %d", i, st)
			}
		}
		if created != 1 {
			t.Errorf("%d answered 201, want 1", created)
		}
		if n := searchTotal(t, s, tok, "Patient?"+mrnQuery("MRN-RACE-1")); n != 1 {
			t.Errorf("%d patients, want 1", n)
		}
	})
}

func TestConditionalUpdate(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		put := func(criteria, body string, status int, headers ...string) map[string]any {
			t.Helper()
			return must(t, s.do("PUT", "/fhir/Patient?"+criteria, tok, body, headers...), status).json(t)
		}
		// No match, no id: created with a new id.
		p := put(mrnQuery("MRN-U1"), patientJSON("Osei", "Ama", "female", "1985-03-03", "MRN-U1"), http.StatusCreated)
		id := p["id"].(string)
		// One match: updated in place, the body may leave the id out.
		p = put(mrnQuery("MRN-U1"), patientJSON("Osei", "Ama", "female", "1985-03-04", "MRN-U1"), http.StatusOK)
		if p["id"] != id || p["birthDate"] != "1985-03-04" || p["meta"].(map[string]any)["versionId"] != "2" {
			t.Errorf("update of the match: %v", p)
		}
		// The body's id must be the match's.
		withID := strings.Replace(patientJSON("Osei", "Ama", "female", "1985-03-04", "MRN-U1"), `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"someone-else",`, 1)
		must(t, s.do("PUT", "/fhir/Patient?"+mrnQuery("MRN-U1"), tok, withID), http.StatusBadRequest)
		// If-Match guards the matched resource.
		must(t, s.do("PUT", "/fhir/Patient?"+mrnQuery("MRN-U1"), tok, patientJSON("Osei", "Ama", "female", "1985-03-05", "MRN-U1"), "If-Match", `W/"1"`), http.StatusPreconditionFailed)
		put(mrnQuery("MRN-U1"), patientJSON("Osei", "Ama", "female", "1985-03-05", "MRN-U1"), http.StatusOK, "If-Match", `W/"2"`)
		// No match with an id in the body: created with that id.
		clientID := strings.Replace(patientJSON("Diallo", "Awa", "female", "1975-07-07", "MRN-U2"), `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"mrn-u2",`, 1)
		if p := put(mrnQuery("MRN-U2"), clientID, http.StatusCreated); p["id"] != "mrn-u2" {
			t.Errorf("created with id %v, want mrn-u2", p["id"])
		}
		// ...but not over a live resource the criteria did not match.
		taken := strings.Replace(patientJSON("Diallo", "Awa", "female", "1975-07-07", "MRN-U3"), `{"resourceType":"Patient",`, `{"resourceType":"Patient","id":"mrn-u2",`, 1)
		must(t, s.do("PUT", "/fhir/Patient?"+mrnQuery("MRN-U3"), tok, taken), http.StatusConflict)

		create(t, s, tok, "Patient", patientJSON("Twin", "A", "female", "1990-01-01", "MRN-UT"))
		create(t, s, tok, "Patient", patientJSON("Twin", "B", "female", "1990-01-01", "MRN-UT"))
		must(t, s.do("PUT", "/fhir/Patient?"+mrnQuery("MRN-UT"), tok, patientJSON("Twin", "C", "female", "1990-01-01", "MRN-UT")), http.StatusPreconditionFailed)
		must(t, s.do("PUT", "/fhir/Patient?nickname=x", tok, patientJSON("X", "Y", "male", "1990-01-01", "MRN-UX")), http.StatusBadRequest)
		must(t, s.do("PUT", "/fhir/Patient", tok, patientJSON("X", "Y", "male", "1990-01-01", "MRN-UX")), http.StatusBadRequest)
		if n := searchTotal(t, s, tok, "Patient?"+mrnQuery("MRN-UX")); n != 0 {
			t.Errorf("refused updates stored %d patients", n)
		}
		// Prefer applies as on a direct update.
		r := must(t, s.do("PUT", "/fhir/Patient?"+mrnQuery("MRN-U1"), tok, patientJSON("Osei", "Ama", "female", "1985-03-06", "MRN-U1"), "Prefer", "return=minimal"), http.StatusOK)
		if len(r.Body) != 0 || r.Header.Get("ETag") != `W/"4"` || !strings.HasSuffix(r.Header.Get("Location"), "/Patient/"+id+"/_history/4") {
			t.Errorf("return=minimal: %q %v", r.Body, r.Header)
		}
	})
}

func TestConditionalDelete(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		id := create(t, s, tok, "Patient", patientJSON("Gone", "Soon", "male", "1950-01-01", "MRN-D1"))["id"].(string)
		// Nothing matches: nothing to delete, 204.
		must(t, s.do("DELETE", "/fhir/Patient?"+mrnQuery("MRN-NONE"), tok, nil), http.StatusNoContent)
		must(t, s.do("DELETE", "/fhir/Patient?"+mrnQuery("MRN-D1"), tok, nil, "If-Match", `W/"5"`), http.StatusPreconditionFailed)
		r := must(t, s.do("DELETE", "/fhir/Patient?"+mrnQuery("MRN-D1"), tok, nil), http.StatusNoContent)
		if r.Header.Get("ETag") != `W/"2"` {
			t.Errorf("ETag of the deletion = %q", r.Header.Get("ETag"))
		}
		must(t, s.do("GET", "/fhir/Patient/"+id, tok, nil), http.StatusGone)

		create(t, s, tok, "Patient", patientJSON("Twin", "A", "female", "1990-01-01", "MRN-DT"))
		create(t, s, tok, "Patient", patientJSON("Twin", "B", "female", "1990-01-01", "MRN-DT"))
		must(t, s.do("DELETE", "/fhir/Patient?"+mrnQuery("MRN-DT"), tok, nil), http.StatusPreconditionFailed)
		if n := searchTotal(t, s, tok, "Patient?"+mrnQuery("MRN-DT")); n != 2 {
			t.Errorf("%d twins left, want 2", n)
		}
		must(t, s.do("DELETE", "/fhir/Patient?_count=1", tok, nil), http.StatusBadRequest)
		must(t, s.do("DELETE", "/fhir/Patient?"+mrnQuery("MRN-DT"), token(t, "user/Patient.d", ""), nil), http.StatusForbidden)
	})
}

// TestOptimisticLocking: two updates against the same version, at once,
// directly and in Bundles: exactly one wins, the other is 412.
func TestOptimisticLocking(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		for round := 0; round < 5; round++ {
			id := create(t, s, tok, "Patient", patientJSON("Lock", "Race", "female", "1960-01-01", fmt.Sprintf("MRN-L%d", round)))["id"].(string)
			bodies := []string{
				fmt.Sprintf(`{"resourceType":"Patient","id":%q,"gender":"female","birthDate":"1960-01-02"}`, id),
				fmt.Sprintf(`{"resourceType":"Patient","id":%q,"gender":"female","birthDate":"1960-01-03"}`, id),
			}
			got := concurrently(2, func(i int) int {
				return s.do("PUT", "/fhir/Patient/"+id, tok, bodies[i], "If-Match", `W/"1"`).Status
			})
			slices.Sort(got)
			if !slices.Equal(got, []int{http.StatusOK, http.StatusPreconditionFailed}) {
				t.Errorf("direct round %d: statuses %v, want one 200 and one 412", round, got)
			}

			// The same race through request.ifMatch in transaction Bundles.
			got = concurrently(2, func(i int) int {
				b := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{map[string]any{
					"resource": decodeJSON(t, strings.Replace(bodies[i], "1960", "1961", 1)),
					"request":  map[string]any{"method": "PUT", "url": "Patient/" + id, "ifMatch": `W/"2"`},
				}}}
				return s.do("POST", "/fhir", tok, b).Status
			})
			slices.Sort(got)
			if !slices.Equal(got, []int{http.StatusOK, http.StatusPreconditionFailed}) {
				t.Errorf("transaction round %d: statuses %v, want one 200 and one 412", round, got)
			}
			if v := must(t, s.do("GET", "/fhir/Patient/"+id, tok, nil), http.StatusOK).Header.Get("ETag"); v != `W/"3"` {
				t.Errorf("round %d: ETag %s after two winning updates, want W/\"3\"", round, v)
			}
		}
	})
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	r := &reply{Body: []byte(s)}
	return r.json(t)
}

func TestEverything(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		admin := token(t, adminScope, "")
		pid := labPatient(t, s, admin, "MRN-E1")
		other := labPatient(t, s, admin, "MRN-E2")
		must(t, s.do("POST", "/fhir", admin, labBundle("Patient/"+pid, "ACC-E1", 5)), http.StatusOK)
		must(t, s.do("POST", "/fhir", admin, labBundle("Patient/"+other, "ACC-E2", 3)), http.StatusOK)

		// Walk every page with _count=2: the patient, 1 Specimen and 5
		// Observations, nothing of the other patient, nothing twice.
		var seen []string
		next := "/fhir/Patient/" + pid + "/$everything?_count=2"
		for pages := 0; next != "" && pages < 20; pages++ {
			r := must(t, s.do("GET", next, admin, nil), http.StatusOK)
			for _, e := range entries(t, r) {
				res := e["resource"].(map[string]any)
				seen = append(seen, res["resourceType"].(string)+"/"+res["id"].(string))
			}
			next = ""
			if l := link(t, r, "next"); l != "" {
				u, err := url.Parse(l)
				if err != nil {
					t.Fatal(err)
				}
				next = u.RequestURI()
			}
		}
		if len(seen) != 7 || seen[0] != "Patient/"+pid {
			t.Errorf("$everything returned %d resources, want 7 starting with the patient: %v", len(seen), seen)
		}
		sorted := slices.Clone(seen)
		slices.Sort(sorted)
		if len(slices.Compact(sorted)) != len(seen) {
			t.Errorf("$everything returned duplicates: %v", seen)
		}
		for _, ref := range seen {
			if ref == "Patient/"+other {
				t.Errorf("the other patient leaked into the record")
			}
		}

		count := func(tok, query string) int {
			t.Helper()
			return len(entries(t, must(t, s.do("GET", "/fhir/Patient/"+pid+"/$everything"+query, tok, nil), http.StatusOK)))
		}
		if n := count(admin, "?_type=Observation"); n != 5 {
			t.Errorf("_type=Observation: %d, want 5", n)
		}
		if n := count(admin, "?_since=2999-01-01T00:00:00Z"); n != 0 {
			t.Errorf("_since in the future: %d, want 0", n)
		}
		if n := count(admin, "?_since=2000-01-01T00:00:00Z"); n != 7 {
			t.Errorf("_since in the past: %d, want 7", n)
		}
		// Each type passes through the caller's scopes: without Observation
		// scopes the record holds the patient and the Specimen only.
		if n := count(token(t, "user/Patient.r user/Specimen.r", ""), ""); n != 2 {
			t.Errorf("without Observation scopes: %d, want 2", n)
		}
		// A patient-context token reaches its own record only.
		if n := count(token(t, "patient/*.rs", pid), ""); n != 7 {
			t.Errorf("own record through a patient token: %d, want 7", n)
		}
		must(t, s.do("GET", "/fhir/Patient/"+other+"/$everything", token(t, "patient/*.rs", pid), nil), http.StatusNotFound)
		must(t, s.do("GET", "/fhir/Patient/"+pid+"/$everything", token(t, "user/Observation.rs", ""), nil), http.StatusForbidden)
		must(t, s.do("GET", "/fhir/Patient/nobody/$everything", admin, nil), http.StatusNotFound)
		must(t, s.do("GET", "/fhir/Patient/"+pid+"/$everything?start=2020-01-01", admin, nil), http.StatusBadRequest)
		must(t, s.do("GET", "/fhir/Patient/"+pid+"/$everything?_type=AuditEvent", admin, nil), http.StatusBadRequest)
		must(t, s.do("GET", "/fhir/Patient/"+pid+"/$everything?_cursor=garbage", admin, nil), http.StatusBadRequest)
		must(t, s.do("GET", "/fhir/Observation/x/$everything", admin, nil), http.StatusNotFound)

		// The disclosure is audited against the patient.
		auditor := token(t, "user/AuditEvent.rs", "")
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=operation&patient=Patient/"+pid); n == 0 {
			t.Error("no audit record of $everything names the patient")
		}
	})
}
