package app_test

import (
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestAuthFirstCut(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		admin := token(t, adminScope, "")
		p := create(t, s, admin, "Patient", patientJSON("Okafor", "Ngozi", "female", "1969-05-02", "MRN-9"))
		pid := p["id"].(string)

		expired, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "x", "scope": "user/*.cruds", "exp": time.Now().Add(-time.Hour).Unix(),
		}).SignedString([]byte(testSecret))
		wrongKey, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "x", "scope": "user/*.cruds", "exp": time.Now().Add(time.Hour).Unix(),
		}).SignedString([]byte("another-secret-another-secret-another"))
		none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
			base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x","scope":"user/*.cruds","exp":9999999999}`)) + "."

		cases := []struct {
			name, method, path, tok string
			status                  int
			wwwAuth                 string
		}{
			{"no token", "GET", "/fhir/Patient/" + pid, "", 401, `Bearer realm="ehr"`},
			{"garbage token", "GET", "/fhir/Patient/" + pid, "abc.def.ghi", 401, `error="invalid_token"`},
			{"expired", "GET", "/fhir/Patient/" + pid, expired, 401, `error="invalid_token"`},
			{"wrong key", "GET", "/fhir/Patient/" + pid, wrongKey, 401, `error="invalid_token"`},
			{"alg none", "GET", "/fhir/Patient/" + pid, none, 401, `error="invalid_token"`},
			{"read without r", "GET", "/fhir/Patient/" + pid, token(t, "user/Patient.s", ""), 403, `error="insufficient_scope"`},
			{"search without s", "GET", "/fhir/Patient?family=okafor", token(t, "user/Patient.r", ""), 403, `insufficient_scope`},
			{"create with read scope", "POST", "/fhir/Patient", token(t, "user/Patient.read", ""), 403, `insufficient_scope`},
			{"other type only", "GET", "/fhir/Patient/" + pid, token(t, "user/Observation.rs", ""), 403, `insufficient_scope`},
			{"AuditEvent not in *", "GET", "/fhir/AuditEvent", token(t, "user/*.cruds", ""), 403, `insufficient_scope`},
			{"v1 read", "GET", "/fhir/Patient/" + pid, token(t, "user/Patient.read", ""), 200, ""},
			{"v2 rs", "GET", "/fhir/Patient?family=okafor", token(t, "user/Patient.rs", ""), 200, ""},
			{"patient context, own record", "GET", "/fhir/Patient/" + pid, token(t, "patient/Patient.r", pid), 200, ""},
			{"patient context, other record", "GET", "/fhir/Patient/" + pid, token(t, "patient/Patient.r", "someone-else"), 404, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var body any
				if c.method == "POST" {
					body = patientJSON("Doe", "J", "male", "2000-01-01", "MRN-X")
				}
				r := must(t, s.do(c.method, c.path, c.tok, body), c.status)
				if c.wwwAuth != "" && !strings.Contains(r.Header.Get("WWW-Authenticate"), c.wwwAuth) {
					t.Errorf("WWW-Authenticate = %q, want %q", r.Header.Get("WWW-Authenticate"), c.wwwAuth)
				}
				if c.status >= 400 && r.json(t)["resourceType"] != "OperationOutcome" {
					t.Errorf("error without OperationOutcome: %s", r.Body)
				}
			})
		}
		// A patient-context search sees only its own patient.
		other := create(t, s, admin, "Patient", patientJSON("Okafor", "Chidi", "male", "1970-01-01", "MRN-10"))["id"].(string)
		got := ids(t, must(t, s.do("GET", "/fhir/Patient?family=okafor", token(t, "patient/Patient.rs", pid), nil), http.StatusOK))
		if !slices.Equal(got, []string{pid}) {
			t.Errorf("patient-context search = %v, want only %s (not %s)", got, pid, other)
		}
		// Refused writes stored nothing.
		r := must(t, s.do("GET", "/fhir/Patient?family=doe&_total=accurate", admin, nil), http.StatusOK)
		if r.json(t)["total"] != float64(0) {
			t.Errorf("a refused create was stored")
		}
	})
}

func TestAuditTrail(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		admin := token(t, adminScope, "")
		officer := token(t, "user/AuditEvent.rs", "")
		count := func() int {
			r := must(t, s.do("GET", "/fhir/AuditEvent?_total=accurate&_count=0", officer, nil), http.StatusOK)
			return int(r.json(t)["total"].(float64))
		}
		// Each kind of request adds AuditEvents, whatever its outcome.
		p := create(t, s, admin, "Patient", patientJSON("Reyes", "Lucia", "female", "1988-08-08", "MRN-77"))
		pid := p["id"].(string)
		steps := []struct {
			name, method, path, tok string
			body                    any
			status                  int
		}{
			{"read", "GET", "/fhir/Patient/" + pid, admin, nil, 200},
			{"search", "GET", "/fhir/Patient?name=reyes", admin, nil, 200},
			{"401", "GET", "/fhir/Patient/" + pid, "", nil, 401},
			{"403", "DELETE", "/fhir/Patient/" + pid, token(t, "user/Patient.rs", ""), nil, 403},
			{"404", "GET", "/fhir/Patient/nope", admin, nil, 404},
			{"400", "POST", "/fhir/Patient", admin, `{"resourceType":"Patient","gender":"x"}`, 400},
			{"unknown type", "GET", "/fhir/Practitioner/1", admin, nil, 404},
			{"unknown path", "GET", "/fhir/Patient/" + pid + "/nonsense/deeper", admin, nil, 404},
			{"AuditEvent create refused", "POST", "/fhir/AuditEvent", token(t, "user/AuditEvent.cruds", ""), `{"resourceType":"AuditEvent"}`, 405},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				before := count()
				must(t, s.do(st.method, st.path, st.tok, st.body), st.status)
				after := count()
				// +1 for this request, +1 for the count query itself (audit reads are audited).
				if after < before+2 {
					t.Errorf("%s: audit events %d -> %d, want at least one for the request", st.name, before, after)
				}
			})
		}
		// AuditEvent cannot be updated or deleted either.
		ae := must(t, s.do("GET", "/fhir/AuditEvent?_count=1", officer, nil), http.StatusOK)
		aeID := ids(t, ae)[0]
		must(t, s.do("PUT", "/fhir/AuditEvent/"+aeID, token(t, "user/AuditEvent.cruds", ""), `{"resourceType":"AuditEvent","id":"`+aeID+`"}`), http.StatusMethodNotAllowed)
		must(t, s.do("DELETE", "/fhir/AuditEvent/"+aeID, token(t, "user/AuditEvent.cruds", ""), nil), http.StatusMethodNotAllowed)
		must(t, s.do("GET", "/fhir/AuditEvent/"+aeID, officer, nil), http.StatusOK)

		// Searches that compliance officers run.
		searches := []struct {
			query string
			check func(ev map[string]any) bool
		}{
			{"patient=Patient/" + pid, func(ev map[string]any) bool { return strings.Contains(mustJSON(ev), "Patient/"+pid) }},
			{"entity=Patient/" + pid, func(ev map[string]any) bool { return strings.Contains(mustJSON(ev), "Patient/"+pid) }},
			{"action=C", func(ev map[string]any) bool { return ev["action"] == "C" }},
			{"outcome=4", func(ev map[string]any) bool { return ev["outcome"] == "4" }},
			{"subtype=read", func(ev map[string]any) bool { return strings.Contains(mustJSON(ev["subtype"]), `"read"`) }},
			{"date=ge2020-01-01", func(ev map[string]any) bool { return ev["recorded"] != nil }},
			{"agent-name=tester", func(ev map[string]any) bool { return strings.Contains(mustJSON(ev["agent"]), "tester") }},
			{"_lastUpdated=ge2020-01-01&_sort=-_lastUpdated", func(ev map[string]any) bool { return ev["meta"] != nil }},
		}
		for _, q := range searches {
			t.Run(q.query, func(t *testing.T) {
				r := must(t, s.do("GET", "/fhir/AuditEvent?"+q.query+"&_count=100", officer, nil), http.StatusOK)
				es := entries(t, r)
				if len(es) == 0 {
					t.Fatalf("no AuditEvent for %s", q.query)
				}
				for _, e := range es {
					ev := e["resource"].(map[string]any)
					if ev["resourceType"] != "AuditEvent" {
						continue
					}
					if !q.check(ev) {
						t.Errorf("event does not satisfy %s: %s", q.query, mustJSON(ev))
					}
				}
			})
		}
		// A parameter the server does not index for AuditEvents is refused,
		// never answered with an empty page (audit.SearchParams).
		r := must(t, s.do("GET", "/fhir/AuditEvent?site=clinic", officer, nil, "Prefer", "handling=strict"), http.StatusBadRequest)
		if !strings.Contains(string(r.Body), "not indexed") {
			t.Errorf("refusal does not say why: %s", r.Body)
		}
		// A 401 event carries the failure and no token.
		r = must(t, s.do("GET", "/fhir/AuditEvent?outcome=4&subtype=read&_count=100", officer, nil), http.StatusOK)
		for _, e := range entries(t, r) {
			if strings.Contains(mustJSON(e), "eyJ") {
				t.Errorf("an AuditEvent holds something like a token: %s", mustJSON(e))
			}
		}
		// The read event names the versioned resource, the patient and the agent.
		r = must(t, s.do("GET", "/fhir/AuditEvent?subtype=read&outcome=0&entity=Patient/"+pid+"&_count=100", officer, nil), http.StatusOK)
		body := string(r.Body)
		for _, want := range []string{"Patient/" + pid + "/_history/1", `"code":"rest"`, `"requestor":true`, "127.0.0.1"} {
			if !strings.Contains(body, want) {
				t.Errorf("read AuditEvent lacks %s: %s", want, body)
			}
		}
	})
}

func mustJSON(v any) string {
	b, err := jsonMarshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
