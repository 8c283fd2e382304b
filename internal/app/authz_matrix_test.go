package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// The authorization matrix: every interaction on every type, for tokens in
// every context, on every backend. Each row is a token; its grants say, in
// the words of the SMART specification rather than of the code, what the
// token reaches. The expected answer of each cell follows from them:
//
//	401  the token is missing or refused
//	403  the type or interaction is outside the scopes (insufficient_scope),
//	     or a write would reach outside the patient compartment or the
//	     granular scope
//	404  a read of an instance outside the compartment or granular scope,
//	     indistinguishable from a read of one that does not exist
//	405  a write to AuditEvent the scopes would otherwise allow
//	200  searches, narrowed silently to what the token reaches
//
// Every refused write is checked against the stored data, read back with
// an administrator's token.

const (
	matrixSystem = "http://clinic.example.org/authz-matrix"
	obsCategory  = "http://terminology.hl7.org/CodeSystem/observation-category"
	vitalSigns   = "vital-signs"
	laboratory   = "laboratory"
)

// target is a fixture resource: its type, whose compartment it is in (A is
// the token's patient, B another patient), and for Observations its
// category.
type target struct {
	typ, side, category string
}

func (tg target) String() string {
	if tg.category != "" {
		return tg.typ + "(" + tg.category + ")/" + tg.side
	}
	return tg.typ + "/" + tg.side
}

var matrixTargets = []target{
	{"Patient", "A", ""}, {"Patient", "B", ""},
	{"Observation", "A", vitalSigns}, {"Observation", "B", vitalSigns}, {"Observation", "A", laboratory},
	{"Specimen", "A", ""}, {"Specimen", "B", ""},
	{"MedicationAdministration", "A", ""}, {"MedicationAdministration", "B", ""},
	{"Appointment", "A", ""}, {"Appointment", "B", ""},
	{"AuditEvent", "A", ""}, {"AuditEvent", "B", ""},
}

var matrixTypes = []string{"Patient", "Observation", "Specimen", "MedicationAdministration", "Appointment", "AuditEvent"}

// grant is what one scope of a row reaches, written out by hand.
type grant struct {
	typ      string // a type, or "*" (every type but AuditEvent)
	perms    string // SMART 2 letters
	patient  bool   // patient/ context: the token's patient's compartment only
	category string // granular ?category=: Observations of that category only
}

func (g grant) covers(typ string, perm byte) bool {
	if !strings.ContainsRune(g.perms, rune(perm)) {
		return false
	}
	if g.typ == "*" {
		return typ != "AuditEvent"
	}
	return g.typ == typ
}

func (g grant) reaches(tg target) bool {
	if g.patient && tg.side != "A" {
		return false
	}
	if g.category != "" && tg.category != g.category {
		return false
	}
	return true
}

type authzRow struct {
	name    string
	scope   string
	patient bool // the token names patient A as its context
	grants  []grant
	refused string // "": a valid token; "none": no token; else a refused token
}

var interactionPerm = map[string]byte{
	"create": 'c', "read": 'r', "vread": 'r', "history": 'r', "update": 'u', "delete": 'd', "search": 's', "search-post": 's',
}

// expect is the status a cell must answer.
func (r authzRow) expect(op string, tg target) int {
	if r.refused != "" {
		return http.StatusUnauthorized
	}
	perm := interactionPerm[op]
	var gs []grant
	for _, g := range r.grants {
		if g.covers(tg.typ, perm) {
			gs = append(gs, g)
		}
	}
	if len(gs) == 0 {
		return http.StatusForbidden
	}
	if tg.typ == "AuditEvent" && (op == "create" || op == "update" || op == "delete") {
		return http.StatusMethodNotAllowed
	}
	reach := slices.ContainsFunc(gs, func(g grant) bool { return g.reaches(tg) })
	switch op {
	case "read", "vread", "history":
		if reach {
			return http.StatusOK
		}
		return http.StatusNotFound
	case "create", "update", "delete":
		if !reach {
			return http.StatusForbidden
		}
		return map[string]int{"create": http.StatusCreated, "update": http.StatusOK, "delete": http.StatusNoContent}[op]
	}
	return http.StatusOK
}

func authzRows() []authzRow {
	vital := "?category=" + obsCategory + "|" + vitalSigns
	lab := "?category=" + obsCategory + "|" + laboratory
	all := func(perms string, patient bool) []grant { return []grant{{typ: "*", perms: perms, patient: patient}} }
	return []authzRow{
		{name: "user v2 all cruds", scope: "user/*.cruds", grants: all("cruds", false)},
		{name: "system v2 all cruds", scope: "system/*.cruds", grants: all("cruds", false)},
		{name: "user v1 all read", scope: "user/*.read", grants: all("rs", false)},
		{name: "user v1 all write", scope: "user/*.write", grants: all("cud", false)},
		{name: "system v1 all star", scope: "system/*.*", grants: all("cruds", false)},
		{name: "system one type rs", scope: "system/Observation.rs", grants: []grant{{typ: "Observation", perms: "rs"}}},
		{name: "user single letters", scope: "user/Patient.cu user/Specimen.rd user/Appointment.s user/MedicationAdministration.r",
			grants: []grant{{typ: "Patient", perms: "cu"}, {typ: "Specimen", perms: "rd"}, {typ: "Appointment", perms: "s"}, {typ: "MedicationAdministration", perms: "r"}}},
		{name: "front desk", scope: "user/Patient.cruds user/Appointment.cruds",
			grants: []grant{{typ: "Patient", perms: "cruds"}, {typ: "Appointment", perms: "cruds"}}},
		{name: "patient v2 all cruds", scope: "patient/*.cruds", patient: true, grants: all("cruds", true)},
		{name: "patient v1 all read", scope: "patient/*.read", patient: true, grants: all("rs", true)},
		{name: "patient v1 all write", scope: "patient/*.write", patient: true, grants: all("cud", true)},
		{name: "patient v1 all star", scope: "patient/*.*", patient: true, grants: all("cruds", true)},
		{name: "patient one type", scope: "patient/Observation.rs", patient: true,
			grants: []grant{{typ: "Observation", perms: "rs", patient: true}}},
		{name: "patient and user contexts", scope: "patient/Observation.crs user/Patient.rs", patient: true,
			grants: []grant{{typ: "Observation", perms: "crs", patient: true}, {typ: "Patient", perms: "rs"}}},
		{name: "user granular vital-signs read", scope: "user/Observation.rs" + vital,
			grants: []grant{{typ: "Observation", perms: "rs", category: vitalSigns}}},
		{name: "user granular vital-signs write", scope: "user/Observation.cruds" + vital,
			grants: []grant{{typ: "Observation", perms: "cruds", category: vitalSigns}}},
		{name: "patient granular laboratory", scope: "patient/Observation.rs" + lab, patient: true,
			grants: []grant{{typ: "Observation", perms: "rs", patient: true, category: laboratory}}},
		{name: "union of patient and granular user", scope: "patient/Observation.rs user/Observation.rs" + vital, patient: true,
			grants: []grant{{typ: "Observation", perms: "rs", patient: true}, {typ: "Observation", perms: "rs", category: vitalSigns}}},
		{name: "compliance officer", scope: "user/AuditEvent.rs", grants: []grant{{typ: "AuditEvent", perms: "rs"}}},
		{name: "AuditEvent every letter", scope: "user/AuditEvent.cruds", grants: []grant{{typ: "AuditEvent", perms: "cruds"}}},
		{name: "administrator", scope: adminScope, grants: []grant{{typ: "*", perms: "cruds"}, {typ: "AuditEvent", perms: "rs"}}},
		{name: "patient reads own audit trail", scope: "patient/AuditEvent.rs", patient: true,
			grants: []grant{{typ: "AuditEvent", perms: "rs", patient: true}}},
		{name: "no resource scopes", scope: "openid fhirUser launch/patient offline_access"},
		{name: "no token", refused: "none"},
		{name: "expired token", scope: "user/*.cruds", refused: "expired"},
		{name: "token signed with another key", scope: "user/*.cruds", refused: "wrong-key"},
	}
}

// world holds the fixtures of one server.
type world struct {
	s     *server
	admin string
	pat   map[string]string // side → Patient id
	spec  map[string]string // Patient id → its Specimen id
	ids   map[target]string
	seq   atomic.Int64
}

func (w *world) marker() string {
	return fmt.Sprintf("m%d-%d", time.Now().UnixNano(), w.seq.Add(1))
}

// body is a realistic resource of typ in the compartment of patient pid,
// identified by marker.
func (w *world) body(typ, pid, category, marker string) string {
	ident := []any{map[string]any{"system": matrixSystem, "value": marker}}
	subject := map[string]any{"reference": "Patient/" + pid}
	var doc map[string]any
	switch typ {
	case "Patient":
		doc = map[string]any{"identifier": ident, "active": true, "name": []any{map[string]any{"family": "Matrix", "given": []any{"Mia"}}},
			"gender": "female", "birthDate": "1980-02-29"}
	case "Observation":
		cat := []any{map[string]any{"coding": []any{map[string]any{"system": obsCategory, "code": category}}}}
		if category == vitalSigns {
			doc = map[string]any{"identifier": ident, "status": "final", "category": cat,
				"code":              map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "8867-4", "display": "Heart rate"}}},
				"subject":           subject,
				"effectiveDateTime": "2024-03-01T09:30:00Z",
				"valueQuantity":     map[string]any{"value": 72, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}}
		} else {
			doc = map[string]any{"identifier": ident, "status": "final", "category": cat,
				"code":              map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": "718-7", "display": "Hemoglobin [Mass/volume] in Blood"}}},
				"subject":           subject,
				"specimen":          map[string]any{"reference": "Specimen/" + w.spec[pid]},
				"effectiveDateTime": "2024-03-01T09:30:00Z",
				"valueQuantity":     map[string]any{"value": 13.2, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"}}
		}
	case "Specimen":
		doc = map[string]any{"identifier": ident, "status": "available",
			"accessionIdentifier": map[string]any{"system": "http://clinic.example.org/accession", "value": marker},
			"type":                map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "119297000", "display": "Blood specimen"}}},
			"subject":             subject,
			"collection":          map[string]any{"collectedDateTime": "2024-03-01T09:00:00Z"}}
	case "MedicationAdministration":
		doc = map[string]any{"identifier": ident, "status": "completed",
			"medicationCodeableConcept": map[string]any{"coding": []any{map[string]any{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "197361", "display": "amlodipine 5 MG Oral Tablet"}}},
			"subject":                   subject,
			"effectiveDateTime":         "2024-03-01T10:00:00Z",
			"performer":                 []any{map[string]any{"actor": map[string]any{"reference": "Practitioner/nurse-" + marker}}},
			"request":                   map[string]any{"reference": "MedicationRequest/order-" + marker},
			"dosage": map[string]any{
				"route": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "26643006", "display": "Oral route"}}},
				"dose":  map[string]any{"value": 5, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"}}}
	case "Appointment":
		// Each appointment has its own practitioner, so none is double-booked.
		doc = map[string]any{"identifier": ident, "status": "booked",
			"start": "2030-05-01T09:00:00Z", "end": "2030-05-01T09:20:00Z",
			"participant": []any{
				map[string]any{"actor": subject, "status": "accepted"},
				map[string]any{"actor": map[string]any{"reference": "Practitioner/dr-" + marker}, "status": "accepted"},
			}}
	case "AuditEvent":
		doc = map[string]any{"type": map[string]any{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110110"},
			"recorded": "2024-03-01T10:00:00Z", "agent": []any{map[string]any{"requestor": true, "who": map[string]any{"display": marker}}},
			"source": map[string]any{"observer": map[string]any{"display": "forged"}},
			"entity": []any{map[string]any{"what": subject}}}
	}
	doc["resourceType"] = typ
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// make creates a resource with the administrator's token.
func (w *world) make(t *testing.T, typ, pid, category string) string {
	t.Helper()
	r := w.s.as(t).do("POST", "/fhir/"+typ, w.admin, w.body(typ, pid, category, w.marker()))
	if r.Status != http.StatusCreated {
		t.Fatalf("fixture %s for %s: status %d: %s", typ, pid, r.Status, r.Body)
	}
	return r.json(t)["id"].(string)
}

func newWorld(t *testing.T, s *server) *world {
	t.Helper()
	w := &world{s: s, admin: token(t, adminScope, ""), pat: map[string]string{}, spec: map[string]string{}, ids: map[target]string{}}
	for _, side := range []string{"A", "B"} {
		pid := w.make(t, "Patient", "", "")
		w.pat[side] = pid
		w.spec[pid] = w.make(t, "Specimen", pid, "")
	}
	for _, tg := range matrixTargets {
		pid := w.pat[tg.side]
		switch tg.typ {
		case "Patient":
			w.ids[tg] = pid
		case "Specimen":
			w.ids[tg] = w.spec[pid]
		case "AuditEvent":
			r := must(t, s.as(t).do("GET", "/fhir/AuditEvent?patient=Patient/"+pid+"&_count=1", w.admin, nil), http.StatusOK)
			found := ids(t, r)
			if len(found) == 0 {
				t.Fatalf("no AuditEvent in the compartment of %s", pid)
			}
			w.ids[tg] = found[0]
		default:
			w.ids[tg] = w.make(t, tg.typ, pid, tg.category)
		}
	}
	return w
}

// tokenFor mints the row's token, naming patient as the context.
func (r authzRow) tokenFor(t *testing.T, patient string) string {
	t.Helper()
	now := time.Now()
	switch r.refused {
	case "none":
		return ""
	case "expired":
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "matrix", "scope": r.scope, "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix(),
		}).SignedString([]byte(testSecret))
		return tok
	case "wrong-key":
		tok, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "matrix", "scope": r.scope, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		}).SignedString([]byte("not-the-server-secret-not-the-server-secret"))
		return tok
	}
	if !r.patient {
		patient = ""
	}
	return token(t, r.scope, patient)
}

// stored is a resource as the administrator reads it.
func (w *world) stored(t *testing.T, typ, id string) *reply {
	t.Helper()
	return w.s.as(t).do("GET", "/fhir/"+typ+"/"+id, w.admin, nil)
}

// checkRefusal checks a 4xx answer's form.
func checkRefusal(t *testing.T, r *reply, want int) {
	t.Helper()
	if r.json(t)["resourceType"] != "OperationOutcome" {
		t.Errorf("error without OperationOutcome: %s", r.Body)
	}
	wa := r.Header.Get("WWW-Authenticate")
	switch want {
	case http.StatusUnauthorized:
		if !strings.HasPrefix(wa, "Bearer") {
			t.Errorf("401 with WWW-Authenticate %q", wa)
		}
	case http.StatusForbidden:
		if !strings.Contains(wa, `error="insufficient_scope"`) {
			t.Errorf("403 with WWW-Authenticate %q, want insufficient_scope", wa)
		}
	}
}

// mirrorID is a well-formed id of the same length that names nothing.
func mirrorID(id string) string {
	b := []byte(id)
	slices.Reverse(b)
	if string(b) == id {
		b[0] ^= 1
	}
	return "x" + string(b[1:])
}

// checkLikeMissing compares a 404 for an existing resource outside the
// token's reach with the 404 for a resource that does not exist: status,
// headers and body must not tell them apart.
func checkLikeMissing(t *testing.T, s *server, tok, path, id string, got *reply) {
	t.Helper()
	fake := mirrorID(id)
	ref := s.as(t).do("GET", strings.Replace(path, id, fake, 1), tok, nil)
	if ref.Status != got.Status {
		t.Errorf("outside the compartment: %d; missing: %d", got.Status, ref.Status)
		return
	}
	norm := func(b []byte, id string) string { return strings.ReplaceAll(string(b), id, "{id}") }
	if a, b := norm(got.Body, id), norm(ref.Body, fake); a != b {
		t.Errorf("bodies differ:\noutside: %s\nmissing: %s", a, b)
	}
	keys := func(h http.Header) []string {
		var out []string
		for k, vs := range h {
			if k == "Date" || k == "X-Request-Id" {
				continue
			}
			out = append(out, k+": "+strings.Join(vs, ","))
		}
		sort.Strings(out)
		return out
	}
	if a, b := keys(got.Header), keys(ref.Header); !slices.Equal(a, b) {
		t.Errorf("headers differ:\noutside: %v\nmissing: %v", a, b)
	}
}

func TestAuthorizationMatrix(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			// Each row gets a server of its own, so that no backend carries
			// the audit trail of the whole matrix (lungo slows down as its
			// collections grow).
			for _, row := range authzRows() {
				t.Run(row.name, func(t *testing.T) {
					w := newWorld(t, newServerWith(t, b.url(t), map[string]string{"EHR_RATE_LIMIT": "0"}))
					for _, typ := range matrixTypes {
						t.Run(typ, func(t *testing.T) { w.runType(t, row, typ) })
					}
				})
			}
		})
	}
}

// runType runs every cell of one row on one type.
func (w *world) runType(t *testing.T, row authzRow, typ string) {
	s := w.s
	own := w.pat["A"]
	var targets []target
	for _, tg := range matrixTargets {
		if tg.typ == typ {
			targets = append(targets, tg)
		}
	}
	tok := row.tokenFor(t, own)

	for _, tg := range targets {
		id := w.ids[tg]
		for _, op := range []string{"read", "vread", "history"} {
			t.Run(op+" "+tg.String(), func(t *testing.T) {
				path := map[string]string{
					"read":    "/fhir/" + typ + "/" + id,
					"vread":   "/fhir/" + typ + "/" + id + "/_history/1",
					"history": "/fhir/" + typ + "/" + id + "/_history",
				}[op]
				want := row.expect(op, tg)
				r := s.as(t).do("GET", path, tok, nil)
				if r.Status != want {
					t.Fatalf("GET %s: status %d, want %d: %s", path, r.Status, want, r.Body)
				}
				switch {
				case want == http.StatusOK:
					if op != "history" && r.json(t)["id"] != id {
						t.Errorf("read returned another resource: %s", r.Body)
					}
					if op == "history" && len(entries(t, r)) == 0 {
						t.Errorf("empty history")
					}
				case want == http.StatusNotFound:
					checkRefusal(t, r, want)
					checkLikeMissing(t, s, tok, path, id, r)
				default:
					checkRefusal(t, r, want)
				}
			})
		}

		t.Run("update "+tg.String(), func(t *testing.T) {
			before := w.stored(t, typ, id)
			must(t, before, http.StatusOK)
			var doc map[string]any
			if err := json.Unmarshal(before.Body, &doc); err != nil {
				t.Fatal(err)
			}
			if typ != "AuditEvent" {
				list, _ := doc["identifier"].([]any)
				doc["identifier"] = append(list, map[string]any{"system": matrixSystem, "value": w.marker()})
			}
			body, _ := json.Marshal(doc)
			want := row.expect("update", tg)
			r := s.as(t).do("PUT", "/fhir/"+typ+"/"+id, tok, string(body))
			if r.Status != want {
				t.Errorf("PUT: status %d, want %d: %s", r.Status, want, r.Body)
			}
			after := w.stored(t, typ, id)
			if want != http.StatusOK {
				checkRefusal(t, r, want)
				if string(after.Body) != string(before.Body) {
					t.Errorf("a refused update changed the resource:\nbefore: %s\nafter:  %s", before.Body, after.Body)
				}
			} else if after.Header.Get("ETag") == before.Header.Get("ETag") {
				t.Errorf("an accepted update made no new version")
			}
		})

		t.Run("delete "+tg.String(), func(t *testing.T) {
			// A fresh resource like the target, so that the fixtures stay.
			victim, victimTok, victimTarget := id, tok, tg
			switch typ {
			case "AuditEvent":
			case "Patient":
				victim = w.make(t, "Patient", "", "")
				if tg.side == "A" {
					victimTok = row.tokenFor(t, victim) // the new patient is the context
				}
			default:
				victim = w.make(t, typ, w.pat[tg.side], tg.category)
			}
			before := w.stored(t, typ, victim)
			want := row.expect("delete", victimTarget)
			r := s.as(t).do("DELETE", "/fhir/"+typ+"/"+victim, victimTok, nil)
			if r.Status != want {
				t.Errorf("DELETE: status %d, want %d: %s", r.Status, want, r.Body)
			}
			after := w.stored(t, typ, victim)
			if want == http.StatusNoContent {
				if after.Status != http.StatusGone {
					t.Errorf("after an accepted delete the resource reads %d", after.Status)
				}
				return
			}
			checkRefusal(t, r, want)
			if after.Status != http.StatusOK || string(after.Body) != string(before.Body) {
				t.Errorf("a refused delete changed the resource: %d %s", after.Status, after.Body)
			}
		})

		t.Run("create like "+tg.String(), func(t *testing.T) {
			marker := w.marker()
			created := tg
			if typ == "Patient" {
				created.side = "new" // a new Patient is in no one's compartment but its own
			}
			want := row.expect("create", created)
			r := s.as(t).do("POST", "/fhir/"+typ, tok, w.body(typ, w.pat[tg.side], tg.category, marker))
			if r.Status != want {
				t.Errorf("POST: status %d, want %d: %s", r.Status, want, r.Body)
			}
			if want == http.StatusCreated || typ == "AuditEvent" {
				return
			}
			checkRefusal(t, r, want)
			found := must(t, s.as(t).do("GET", "/fhir/"+typ+"?identifier="+url.QueryEscape(matrixSystem+"|"+marker), w.admin, nil), http.StatusOK)
			if got := ids(t, found); len(got) > 0 {
				t.Errorf("a refused create stored %s/%v", typ, got)
			}
		})
	}

	var all []string
	for _, tg := range targets {
		all = append(all, w.ids[tg])
	}
	for _, op := range []string{"search", "search-post"} {
		t.Run(op, func(t *testing.T) {
			want := row.expect(op, targets[0])
			var r *reply
			if op == "search" {
				r = s.as(t).do("GET", "/fhir/"+typ+"?_id="+strings.Join(all, ","), tok, nil)
			} else {
				r = formPost(s.as(t), "/fhir/"+typ+"/_search", tok, url.Values{"_id": {strings.Join(all, ",")}})
			}
			if r.Status != want {
				t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
			}
			if want != http.StatusOK {
				checkRefusal(t, r, want)
				return
			}
			got := ids(t, r)
			for _, tg := range targets {
				perm := interactionPerm[op]
				reach := slices.ContainsFunc(row.grants, func(g grant) bool { return g.covers(typ, perm) && g.reaches(tg) })
				if in := slices.Contains(got, w.ids[tg]); in != reach {
					t.Errorf("%s in the results: %v, want %v (got %v)", tg, in, reach, got)
				}
			}
		})
	}
}

// TestAuthorizationEdges covers the ways around the matrix: moving a
// resource between compartments, references and includes that cross them,
// conditional and batch interactions.
func TestAuthorizationEdges(t *testing.T) {
	eachBackendWith(t, map[string]string{"EHR_RATE_LIMIT": "0"}, func(t *testing.T, s *server) {
		w := newWorld(t, s)
		a, b := w.pat["A"], w.pat["B"]
		obsA, obsB := w.ids[target{"Observation", "A", vitalSigns}], w.ids[target{"Observation", "B", vitalSigns}]
		labA := w.ids[target{"Observation", "A", laboratory}]
		patientAll := token(t, "patient/*.cruds", a)

		move := func(t *testing.T, id, to string) {
			before := w.stored(t, "Observation", id)
			var doc map[string]any
			_ = json.Unmarshal(before.Body, &doc)
			doc["subject"] = map[string]any{"reference": "Patient/" + to}
			body, _ := json.Marshal(doc)
			r := s.as(t).do("PUT", "/fhir/Observation/"+id, patientAll, string(body))
			if r.Status != http.StatusForbidden {
				t.Errorf("status %d, want 403: %s", r.Status, r.Body)
			}
			if after := w.stored(t, "Observation", id); string(after.Body) != string(before.Body) {
				t.Errorf("the refused move changed the resource")
			}
		}
		t.Run("move own resource out of the compartment", func(t *testing.T) { move(t, obsA, b) })
		t.Run("pull a foreign resource into the compartment", func(t *testing.T) { move(t, obsB, a) })

		t.Run("reference to a foreign record reads like a missing one", func(t *testing.T) {
			post := func(specimen string) *reply {
				doc := map[string]any{}
				_ = json.Unmarshal([]byte(w.body("Observation", a, laboratory, w.marker())), &doc)
				doc["specimen"] = map[string]any{"reference": "Specimen/" + specimen}
				body, _ := json.Marshal(doc)
				return s.as(t).do("POST", "/fhir/Observation", patientAll, string(body))
			}
			foreign := post(w.spec[b])
			missing := post(mirrorID(w.spec[b]))
			if foreign.Status < 400 || missing.Status < 400 {
				t.Fatalf("a lab result on another patient's specimen was accepted: %d / %d", foreign.Status, missing.Status)
			}
			if foreign.Status != missing.Status {
				t.Errorf("existing foreign specimen: %d; missing specimen: %d: the answer tells that it exists\n%s\n%s",
					foreign.Status, missing.Status, foreign.Body, missing.Body)
			}
		})

		t.Run("total counts only what the token reaches", func(t *testing.T) {
			r := must(t, s.as(t).do("GET", "/fhir/Observation?_total=accurate&_id="+strings.Join([]string{obsA, obsB, labA}, ","), patientAll, nil), http.StatusOK)
			if total := r.json(t)["total"]; total != float64(2) {
				t.Errorf("total = %v, want 2", total)
			}
		})

		t.Run("_include does not reach types outside the scopes", func(t *testing.T) {
			tok := token(t, "user/Observation.rs", "")
			r := must(t, s.as(t).do("GET", "/fhir/Observation?_id="+labA+"&_include=Observation:subject&_include=Observation:specimen", tok, nil), http.StatusOK)
			for _, e := range entries(t, r) {
				res, _ := e["resource"].(map[string]any)
				if rt := res["resourceType"]; rt == "Patient" || rt == "Specimen" {
					t.Errorf("_include returned a %s the token has no scope for", rt)
				}
			}
		})
		t.Run("_include does not leave the compartment", func(t *testing.T) {
			// An Appointment of A that also names B: B must not come along.
			appt := w.body("Appointment", a, "", w.marker())
			appt = strings.Replace(appt, `"participant":[`, `"participant":[{"actor":{"reference":"Patient/`+b+`"},"status":"accepted"},`, 1)
			r := must(t, s.as(t).do("POST", "/fhir/Appointment", w.admin, appt), http.StatusCreated)
			apptID := r.json(t)["id"].(string)
			got := must(t, s.as(t).do("GET", "/fhir/Appointment?_id="+apptID+"&_include=Appointment:actor", patientAll, nil), http.StatusOK)
			if strings.Contains(string(got.Body), `"id":"`+b+`"`) {
				t.Errorf("_include returned patient B to a token of patient A")
			}
		})
		t.Run("_revinclude does not leave the compartment or the scopes", func(t *testing.T) {
			r := must(t, s.as(t).do("GET", "/fhir/Patient?_id="+a+","+b+"&_revinclude=Observation:subject", patientAll, nil), http.StatusOK)
			for _, e := range entries(t, r) {
				res, _ := e["resource"].(map[string]any)
				if strings.Contains(mustJSON(res), b) {
					t.Errorf("_revinclude returned something of patient B: %s", mustJSON(res))
				}
			}
			onlyPatient := token(t, "patient/Patient.rs", a)
			r = must(t, s.as(t).do("GET", "/fhir/Patient?_id="+a+"&_revinclude=Observation:subject", onlyPatient, nil), http.StatusOK)
			for _, e := range entries(t, r) {
				if res, _ := e["resource"].(map[string]any); res["resourceType"] == "Observation" {
					t.Errorf("_revinclude returned Observations to a token without Observation scopes")
				}
			}
		})

		t.Run("conditional create does not match foreign records", func(t *testing.T) {
			stored := w.stored(t, "Observation", obsB)
			var doc map[string]any
			_ = json.Unmarshal(stored.Body, &doc)
			ident := doc["identifier"].([]any)[0].(map[string]any)
			criteria := "identifier=" + url.QueryEscape(ident["system"].(string)+"|"+ident["value"].(string))
			r := s.as(t).do("POST", "/fhir/Observation", patientAll, w.body("Observation", a, vitalSigns, w.marker()), "If-None-Exist", criteria)
			if r.Status == http.StatusOK || strings.Contains(string(r.Body), obsB) || strings.Contains(r.Header.Get("Location"), obsB) {
				t.Errorf("conditional create matched patient B's record: %d %v %s", r.Status, r.Header, r.Body)
			}
		})

		t.Run("$everything stays in the compartment", func(t *testing.T) {
			r := s.as(t).do("GET", "/fhir/Patient/"+b+"/$everything", patientAll, nil)
			if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
				t.Errorf("$everything of another patient: %d", r.Status)
			}
			if strings.Contains(string(r.Body), obsB) {
				t.Errorf("$everything of another patient returned their records")
			}
		})

		t.Run("batch entries are authorized one by one", func(t *testing.T) {
			before := w.stored(t, "Observation", obsB)
			var doc map[string]any
			_ = json.Unmarshal(before.Body, &doc)
			doc["status"] = "amended"
			bundle := map[string]any{"resourceType": "Bundle", "type": "batch", "entry": []any{
				map[string]any{"request": map[string]any{"method": "GET", "url": "Observation/" + obsB}},
				map[string]any{"request": map[string]any{"method": "GET", "url": "Patient/" + b}},
				map[string]any{"request": map[string]any{"method": "PUT", "url": "Observation/" + obsB}, "resource": doc},
				map[string]any{"request": map[string]any{"method": "DELETE", "url": "Specimen/" + w.spec[b]}},
			}}
			r := s.as(t).do("POST", "/fhir", patientAll, bundle)
			if strings.Contains(string(r.Body), `"id":"`+obsB+`"`) || strings.Contains(string(r.Body), `"id":"`+b+`"`) {
				t.Errorf("the batch returned patient B's records: %s", r.Body)
			}
			if after := w.stored(t, "Observation", obsB); string(after.Body) != string(before.Body) {
				t.Errorf("the batch changed patient B's Observation")
			}
			must(t, w.stored(t, "Specimen", w.spec[b]), http.StatusOK)
		})
	})
}
