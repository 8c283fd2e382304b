package app_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The search conformance suite, over HTTP, on every backend: in the manner
// of Microsoft fhir-server's search tests, the fixtures of one test carry a
// fresh meta.tag and every query adds _tag=<system>|<code>, so that nothing
// else in the database can match; each case is a query and the fixtures it
// must return, worked out by hand from the fixtures below, never taken from
// the server's answers.
//
// Every case runs as GET [type]?query and as POST [type]/_search with the
// same form body, and both must agree. The fixtures obey the clinic's
// business rules: vital signs follow the vital-signs profile, lab results
// name an existing Patient and Specimen of that patient, Specimens carry an
// accession number, type, subject and status.

const (
	scTagSystem = "http://clinic.example.org/fhir/test-run"
	scLOINC     = "http://loinc.org"
	scUCUM      = "http://unitsofmeasure.org"
	scSNOMED    = "http://snomed.info/sct"
	scCategory  = "http://terminology.hl7.org/CodeSystem/observation-category"
	scMRN       = "http://clinic.example.org/mrn"
	scSSN       = "http://hl7.org/fhir/sid/us-ssn"
	scV2ID      = "http://terminology.hl7.org/CodeSystem/v2-0203"
	scLocal     = "http://clinic.example.org/codes"
	scProfileVS = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
	scProfileBP = "http://hl7.org/fhir/StructureDefinition/bp"
	scSourceReg = "http://clinic.example.org/feeds/registration/kiosk-2"
	scSourceLab = "http://clinic.example.org/feeds/lab"
	scSubsetted = "SUBSETTED"
)

// scFixtures is one test's data: the tag, and the server id of every
// fixture by its key (P0…P5 patients, S0, S1 specimens, O0…O10 observations).
type scFixtures struct {
	s       *server
	tok     string
	tag     string // code of the meta.tag
	id      map[string]string
	key     map[string]string // id → key
	acc     map[string]string // specimen key → accession number
	started time.Time         // before the first write, to the second
}

// newTag returns a code no other test run uses.
func newTag(t *testing.T) string {
	t.Helper()
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "run-" + hex.EncodeToString(b[:])
}

// tagParam is the _tag value that selects the test's fixtures.
func (fx *scFixtures) tagParam() string { return scTagSystem + "|" + fx.tag }

// create stores a fixture under key, tagged, and remembers its id.
func (fx *scFixtures) create(t *testing.T, key, typ string, doc map[string]any) {
	t.Helper()
	meta, _ := doc["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		doc["meta"] = meta
	}
	meta["tag"] = []any{map[string]any{"system": scTagSystem, "code": fx.tag}}
	r := must(t, fx.do("POST", "/fhir/"+typ, doc), http.StatusCreated)
	id, _ := r.json(t)["id"].(string)
	if id == "" {
		t.Fatalf("create %s: no id: %s", key, r.Body)
	}
	fx.id[key], fx.key[id] = id, key
}

// doc parses a fixture written as JSON, after replacing {KEY} by ids.
func (fx *scFixtures) doc(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(fx.expand(s)), &m); err != nil {
		t.Fatalf("fixture: %v\n%s", err, s)
	}
	return m
}

// expand replaces {KEY} by the id of fixture KEY, {ACC0}/{ACC1} by the
// accession numbers, {BASE} by the server's base URL and {TAG} by the tag.
func (fx *scFixtures) expand(s string) string {
	var pairs []string
	for k, id := range fx.id {
		pairs = append(pairs, "{"+k+"}", id)
	}
	for k, acc := range fx.acc {
		pairs = append(pairs, "{ACC"+strings.TrimPrefix(k, "S")+"}", acc)
	}
	pairs = append(pairs, "{BASE}", fx.s.URL+"/fhir", "{TAG}", fx.tag)
	return strings.NewReplacer(pairs...).Replace(s)
}

func patientDoc(family, given, gender, birth, mrn, extra string) string {
	var b strings.Builder
	b.WriteString(`{"resourceType":"Patient"`)
	fmt.Fprintf(&b, `,"identifier":[{"system":%q,"value":%q}]`, scMRN, mrn)
	fmt.Fprintf(&b, `,"name":[{"family":%q,"given":[%q]}]`, family, given)
	if gender != "" {
		fmt.Fprintf(&b, `,"gender":%q`, gender)
	}
	if birth != "" {
		fmt.Fprintf(&b, `,"birthDate":%q`, birth)
	}
	b.WriteString(extra)
	b.WriteString("}")
	return b.String()
}

// vitalDoc is a vital sign of the vital-signs profile.
func vitalDoc(code, display string, value float64, unit, effective, patient, extra string) string {
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",`+
		`"category":[{"coding":[{"system":%q,"code":"vital-signs","display":"Vital Signs"}]}],`+
		`"code":{"coding":[{"system":%q,"code":%q,"display":%q}]},`+
		`"subject":{"reference":"Patient/{%s}"},%s,`+
		`"valueQuantity":{"value":%v,"unit":%q,"system":%q,"code":%q}%s}`,
		scCategory, scLOINC, code, display, patient, effective, value, unit, scUCUM, unit, extra)
}

func bpDoc(systolic, diastolic float64, effective, patient, extra string) string {
	comp := func(code, display string, v float64) string {
		return fmt.Sprintf(`{"code":{"coding":[{"system":%q,"code":%q,"display":%q}]},`+
			`"valueQuantity":{"value":%v,"unit":"mmHg","system":%q,"code":"mm[Hg]"}}`, scLOINC, code, display, v, scUCUM)
	}
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",`+
		`"category":[{"coding":[{"system":%q,"code":"vital-signs","display":"Vital Signs"}]}],`+
		`"code":{"coding":[{"system":%q,"code":"85354-9","display":"Blood pressure panel with all children optional"}]},`+
		`"subject":{"reference":"Patient/{%s}"},"effectiveDateTime":%q,"component":[%s,%s]%s}`,
		scCategory, scLOINC, patient, effective,
		comp("8480-6", "Systolic blood pressure", systolic), comp("8462-4", "Diastolic blood pressure", diastolic), extra)
}

// labDoc is a lab result on a specimen of the same patient.
func labDoc(code, display string, value float64, unit, effective, status, patient, specimen string) string {
	return fmt.Sprintf(`{"resourceType":"Observation","status":%q,`+
		`"category":[{"coding":[{"system":%q,"code":"laboratory","display":"Laboratory"}]}],`+
		`"code":{"coding":[{"system":%q,"code":%q,"display":%q}]},`+
		`"subject":{"reference":"Patient/{%s}"},"specimen":{"reference":"Specimen/{%s}"},"effectiveDateTime":%q,`+
		`"valueQuantity":{"value":%v,"unit":%q,"system":%q,"code":%q}}`,
		status, scCategory, scLOINC, code, display, patient, specimen, effective, value, unit, scUCUM, unit)
}

func specimenDoc(patient, acc, collected string) string {
	return fmt.Sprintf(`{"resourceType":"Specimen","status":"available",
	 "accessionIdentifier":{"system":"http://lab.example.org/accession","value":%q},
	 "type":{"coding":[{"system":%q,"code":"122555007","display":"Venous blood specimen"}]},
	 "subject":{"reference":"Patient/{%s}"},
	 "collection":{"collectedDateTime":%q,"quantity":{"value":4,"unit":"mL","system":%q,"code":"mL"}}}`,
		acc, scSNOMED, patient, collected, scUCUM)
}

// seedSearch stores the fixtures. Instants in the comments are UTC.
func seedSearch(t *testing.T, s *server) *scFixtures {
	t.Helper()
	fx := &scFixtures{s: s, tok: token(t, "user/*.cruds", ""), tag: newTag(t),
		id: map[string]string{}, key: map[string]string{}, acc: map[string]string{},
		started: time.Now().UTC().Truncate(time.Second)}
	time.Sleep(time.Until(fx.started.Add(time.Second))) // every write is after started, by a whole second

	mr := fmt.Sprintf(`"type":{"coding":[{"system":%q,"code":"MR","display":"Medical record number"}]},`, scV2ID)
	patients := []struct{ key, body string }{
		{"P0", `{"resourceType":"Patient","active":true,` +
			`"identifier":[{` + mr + `"system":"` + scMRN + `","value":"MRN-100"}],` +
			`"name":[{"family":"Müller","given":["Zoë"]}],` +
			`"telecom":[{"system":"email","value":"zoe.muller@example.org"},{"system":"phone","value":"+41 44 555 0100"}],` +
			`"gender":"female","birthDate":"1984-03-12","deceasedBoolean":false,` +
			`"address":[{"city":"Zürich","country":"CH"}]}`},
		{"P1", patientDoc("Muller", "Hans", "male", "1990-07-01", "MRN-101",
			`,"active":false,"meta":{"source":"`+scSourceReg+`"},"telecom":[{"system":"phone","value":"555-0101"}]`)},
		{"P2", patientDoc("Smith", "Anna", "female", "1990-12-31", "MRN-102",
			`,"deceasedDateTime":"2020-05-01T10:00:00Z","meta":{"source":"`+scSourceLab+`"},"address":[{"city":"Springfield","country":"US"}]`)},
		{"P3", patientDoc("Smithson", "Jon", "male", "2001-01-01", "MRN-103", "")},
		{"P4", patientDoc("Osei", "Kwame", "", "", "MRN-104", "")},               // no gender, no birth date
		{"P5", patientDoc("O'Brien", "Siobhán", "other", "1975", "MRN-105", "")}, // a partial date
	}
	for _, p := range patients {
		fx.create(t, p.key, "Patient", fx.doc(t, p.body))
	}
	// P1 also has a social security number.
	p1 := fx.doc(t, patientDoc("Muller", "Hans", "male", "1990-07-01", "MRN-101",
		`,"active":false,"meta":{"source":"`+scSourceReg+`"},"telecom":[{"system":"phone","value":"555-0101"}]`))
	p1["id"] = fx.id["P1"]
	p1["identifier"] = append(p1["identifier"].([]any), map[string]any{"system": scSSN, "value": "123-45-6789"})
	p1["meta"].(map[string]any)["tag"] = []any{map[string]any{"system": scTagSystem, "code": fx.tag}}
	must(t, fx.do("PUT", "/fhir/Patient/"+fx.id["P1"], p1), http.StatusOK)

	for i, p := range []string{"P0", "P1"} {
		key := fmt.Sprintf("S%d", i)
		fx.acc[key] = fmt.Sprintf("ACC-%s-%d", fx.tag, i)
		collected := []string{"2024-03-10T09:25:00-05:00", "2024-03-15T07:00:00Z"}[i]
		fx.create(t, key, "Specimen", fx.doc(t, specimenDoc(p, fx.acc[key], collected)))
	}

	profile := func(url string) string { return `,"meta":{"profile":["` + url + `"]}` }
	observations := []struct{ key, body string }{
		// O0: 2024-03-11T04:30Z, the 11th in UTC though the 10th where it was taken
		{"O0", vitalDoc("8867-4", "Heart rate", 72, "/min", `"effectiveDateTime":"2024-03-10T23:30:00-05:00"`, "P0", profile(scProfileVS))},
		{"O1", vitalDoc("29463-7", "Body weight", 72.5, "kg", `"effectiveDateTime":"2024-03-11T08:00:00Z"`, "P0", profile(scProfileVS))},
		// O2: 165 [lb_av] = 74.84 kg; 2024-03-12T08:00Z
		{"O2", vitalDoc("29463-7", "Body weight", 165, "[lb_av]", `"effectiveDateTime":"2024-03-12T09:00:00+01:00"`, "P1", "")},
		{"O3", bpDoc(142, 91, "2024-04-01T10:00:00Z", "P1", profile(scProfileBP))},
		{"O4", bpDoc(118, 76, "2024-04-02T10:00:00Z", "P2", "")},
		{"O5", vitalDoc("8310-5", "Body temperature", 37.2, "Cel", `"effectiveDateTime":"2023-12-31T23:59:59Z"`, "P2", "")},
		{"O6", vitalDoc("29463-7", "Body weight", 68, "kg", `"effectivePeriod":{"start":"2024-05-01T08:00:00Z","end":"2024-05-03T08:00:00Z"}`, "P3", "")},
		// O7: 2024-03-10T14:30Z
		{"O7", labDoc("2339-0", "Glucose [Mass/volume] in Blood", 95, "mg/dL", "2024-03-10T09:30:00-05:00", "final", "P0", "S0")},
		{"O8", labDoc("718-7", "Hemoglobin [Mass/volume] in Blood", 13.8, "g/dL", "2024-03-15", "amended", "P1", "S1")},
		// O9: no time, a local code, a string value, a practitioner the server does not store
		{"O9", `{"resourceType":"Observation","status":"final",` +
			`"category":[{"coding":[{"system":"` + scCategory + `","code":"exam","display":"Exam"}]}],` +
			`"code":{"coding":[{"system":"` + scLocal + `","code":"lung-auscultation","display":"Lung auscultation"}]},` +
			`"subject":{"reference":"Patient/{P3}"},"performer":[{"reference":"Practitioner/dr-osei"}],` +
			`"valueString":"Clear to auscultation, no wheeze"}`},
		// O10: a coded value; the subject also by identifier
		{"O10", `{"resourceType":"Observation","status":"final",` +
			`"category":[{"coding":[{"system":"` + scCategory + `","code":"social-history","display":"Social History"}]}],` +
			`"code":{"coding":[{"system":"` + scLOINC + `","code":"72166-2","display":"Tobacco smoking status"}]},` +
			`"subject":{"reference":"Patient/{P4}","identifier":{"system":"` + scMRN + `","value":"MRN-104"}},` +
			`"effectiveDateTime":"2024-06-01T12:00:00Z",` +
			`"valueCodeableConcept":{"coding":[{"system":"` + scSNOMED + `","code":"266919005","display":"Never smoked tobacco"}],"text":"Never smoker"}}`},
	}
	for _, o := range observations {
		fx.create(t, o.key, "Observation", fx.doc(t, o.body))
	}

	// P3 is written last, so that _sort=-_lastUpdated puts it first.
	time.Sleep(5 * time.Millisecond)
	p3 := fx.doc(t, patientDoc("Smithson", "Jon", "male", "2001-01-01", "MRN-103", ""))
	p3["id"] = fx.id["P3"]
	p3["meta"] = map[string]any{"tag": []any{map[string]any{"system": scTagSystem, "code": fx.tag}}}
	must(t, fx.do("PUT", "/fhir/Patient/"+fx.id["P3"], p3), http.StatusOK)
	return fx
}

// scCase is one search and what it must return.
type scCase struct {
	query   string   // as a person writes it; the runner encodes each value
	want    []string // fixture keys of the matches
	ordered bool     // want is the order the matches must come in
	include []string // fixture keys of the included resources
	status  int      // 0 means 200
	expr    string   // the parameter a 400 (or, with 200, a warning) must name
	strict  bool     // send Prefer: handling=strict
	raw     bool     // send the query exactly as written (an unencoded '+')
	bug     string   // a known defect: a wrong answer skips instead of failing
}

// scEncode escapes each name and value of a query written as a person
// would, so that '|', '+', '$', '%' and friends arrive as written.
func scEncode(q string) string {
	var parts []string
	for _, kv := range strings.Split(q, "&") {
		k, v, _ := strings.Cut(kv, "=")
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return strings.Join(parts, "&")
}

// search runs one query under the fixtures' tag, as GET and as POST, and
// checks that both agree; it returns the GET reply.
func (fx *scFixtures) search(t *testing.T, typ, query string, raw bool, headers ...string) *reply {
	t.Helper()
	q := fx.expand(query)
	if !raw {
		q = scEncode(q)
	}
	q += "&_tag=" + url.QueryEscape(fx.tagParam())
	get := fx.do("GET", "/fhir/"+typ+"?"+q, nil, headers...)
	post := fx.do("POST", "/fhir/"+typ+"/_search", q,
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
	if get.Status != post.Status {
		t.Fatalf("GET %d, POST _search %d:\n%s\n%s", get.Status, post.Status, get.Body, post.Body)
	}
	if get.Status == http.StatusOK {
		g, p := fx.entryKeys(t, get), fx.entryKeys(t, post)
		if !slices.Equal(g, p) {
			t.Errorf("GET returned %v, POST _search %v", g, p)
		}
	}
	return get
}

// do sends a request with the fixtures' token.
func (fx *scFixtures) do(method, path string, body any, headers ...string) *reply {
	fx.s.t.Helper()
	return scDo(fx.s, fx.tok, method, path, body, headers...)
}

// scDo sends a request; a 429 from the per-client rate limit is waited out
// and retried: these tests send hundreds of requests with one token, and
// throttling is not what they test.
func scDo(s *server, tok, method, path string, body any, headers ...string) *reply {
	s.t.Helper()
	for attempt := 0; ; attempt++ {
		r := s.do(method, path, tok, body, headers...)
		if r.Status != http.StatusTooManyRequests || attempt == 20 {
			return r
		}
		time.Sleep(retryAfter(r.Header))
	}
}

func retryAfter(h http.Header) time.Duration {
	if secs, err := strconv.Atoi(h.Get("Retry-After")); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	return time.Second
}

// entryKeys lists a searchset's entries as mode:key (unknown ids as mode:?id).
func (fx *scFixtures) entryKeys(t *testing.T, r *reply) []string {
	t.Helper()
	var out []string
	for _, e := range entries(t, r) {
		mode := "match"
		if s, _ := e["search"].(map[string]any); s != nil {
			mode, _ = s["mode"].(string)
		}
		res, _ := e["resource"].(map[string]any)
		if mode == "outcome" {
			continue
		}
		id, _ := res["id"].(string)
		key, ok := fx.key[id]
		if !ok {
			key = "?" + id
		}
		out = append(out, mode+":"+key)
	}
	return out
}

// keysOf returns the keys of the entries in the given mode, in order.
func (fx *scFixtures) keysOf(t *testing.T, r *reply, mode string) []string {
	t.Helper()
	var out []string
	for _, e := range fx.entryKeys(t, r) {
		if k, ok := strings.CutPrefix(e, mode+":"); ok {
			out = append(out, k)
		}
	}
	return out
}

// warnings returns the expressions of the warnings of a searchset's
// OperationOutcome entry.
func scWarnings(t *testing.T, r *reply) []string {
	t.Helper()
	var out []string
	for _, e := range entries(t, r) {
		if s, _ := e["search"].(map[string]any); s == nil || s["mode"] != "outcome" {
			continue
		}
		issues, _ := e["resource"].(map[string]any)["issue"].([]any)
		for _, is := range issues {
			m := is.(map[string]any)
			if m["severity"] != "warning" {
				continue
			}
			exprs, _ := m["expression"].([]any)
			for _, x := range exprs {
				out = append(out, x.(string))
			}
		}
	}
	return out
}

// run checks each case of one resource type.
func (fx *scFixtures) run(t *testing.T, typ string, cases []scCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			var headers []string
			if c.strict {
				headers = []string{"Prefer", "handling=strict"}
			}
			r := fx.search(t, typ, c.query, c.raw, headers...)
			status := c.status
			if status == 0 {
				status = http.StatusOK
			}
			if r.Status != status {
				t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
			}
			if status != http.StatusOK {
				if c.expr != "" && !slices.Contains(issueExpressions(t, r), c.expr) {
					t.Errorf("the OperationOutcome names %v, want %q: %s", issueExpressions(t, r), c.expr, r.Body)
				}
				return
			}
			if c.expr != "" && !slices.Contains(scWarnings(t, r), c.expr) {
				t.Errorf("warnings name %v, want %q: %s", scWarnings(t, r), c.expr, r.Body)
			}
			if c.expr == "" && len(scWarnings(t, r)) > 0 {
				t.Errorf("unexpected warnings %v", scWarnings(t, r))
			}
			got, incl := fx.keysOf(t, r, "match"), fx.keysOf(t, r, "include")
			want := slices.Clone(c.want)
			wantIncl := slices.Clone(c.include)
			if !c.ordered {
				slices.Sort(got)
				slices.Sort(want)
			}
			slices.Sort(incl)
			slices.Sort(wantIncl)
			ok := slices.Equal(got, want) && slices.Equal(incl, wantIncl)
			if total, has := r.json(t)["total"].(float64); has && !strings.Contains(c.query, "_count") && int(total) != len(c.want) {
				ok = false
				t.Logf("total %v, want %d", total, len(c.want))
			}
			switch {
			case !ok && c.bug != "":
				t.Skipf("known defect (%s): matches %v, want %v; included %v, want %v", c.bug, got, want, incl, wantIncl)
			case !ok:
				t.Errorf("matches %v, want %v; included %v, want %v", got, want, incl, wantIncl)
			case c.bug != "":
				t.Logf("the known defect (%s) is fixed: drop the marker", c.bug)
			}
		})
	}
}

// keys is a readable way to write a list of fixture keys.
func keys(s string) []string { return strings.Fields(s) }

func TestSearchConformance(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		fx := seedSearch(t, s)
		started := fx.started.Format("2006-01-02T15:04:05Z")

		t.Run("Patient", func(t *testing.T) {
			fx.run(t, "Patient", []scCase{
				// _id, _lastUpdated
				{query: "_id={P2}", want: keys("P2")},
				{query: "_id={P2},{P3}", want: keys("P2 P3")},
				{query: "_id:not={P0}", want: keys("P1 P2 P3 P4 P5")},
				{query: "_id=no-such-id", want: nil},
				{query: "_lastUpdated=ge" + started, want: keys("P0 P1 P2 P3 P4 P5")},
				{query: "_lastUpdated=lt" + started, want: nil},
				{query: "_lastUpdated=gt2000-01-01&_lastUpdated=lt2999", want: keys("P0 P1 P2 P3 P4 P5")},

				// string: prefix, case and accent folding, :exact, :contains, :missing
				{query: "family=muller", want: keys("P0 P1")},
				{query: "family=MÜL", want: keys("P0 P1")},
				{query: "family:exact=Müller", want: keys("P0")},
				{query: "family:exact=muller", want: nil},
				{query: "family:contains=ITH", want: keys("P2 P3")},
				{query: "family=smith", want: keys("P2 P3")},
				{query: "given=zoe", want: keys("P0")},
				{query: "given=SIOBHAN", want: keys("P5")},
				{query: "name=o'b", want: keys("P5")},
				{query: "name=o", want: keys("P4 P5")},
				{query: "address-city=zur", want: keys("P0")},
				{query: "address=springfield", want: keys("P2")},
				{query: "address:missing=true", want: keys("P1 P3 P4 P5")},
				{query: "family=nobody", want: nil},

				// OR with a comma, AND by repeating
				{query: "name=smith,osei", want: keys("P2 P3 P4")},
				{query: "name=smith&gender=male", want: keys("P3")},
				{query: "family=smith&family=smiths", want: keys("P3")},
				{query: "given=an&given=anna", want: keys("P2")},

				// token: code, system|code, |code, system|, :not, :text, :of-type, :missing
				{query: "identifier=MRN-100", want: keys("P0")},
				{query: "identifier=" + scMRN + "|MRN-100", want: keys("P0")},
				{query: "identifier=|MRN-100", want: nil}, // |code: no system
				{query: "identifier=" + scSSN + "|", want: keys("P1")},
				{query: "identifier=" + scSSN + "|123-45-6789", want: keys("P1")},
				{query: "identifier=" + scMRN + "|", want: keys("P0 P1 P2 P3 P4 P5")},
				{query: "identifier:of-type=" + scV2ID + "|MR|MRN-100", want: keys("P0")},
				{query: "identifier:of-type=" + scV2ID + "|MR|MRN-101", want: nil},
				{query: "identifier:text=medical rec", want: keys("P0")},
				{query: "gender=female", want: keys("P0 P2")},
				{query: "gender=male,other", want: keys("P1 P3 P5")},
				{query: "gender:not=male", want: keys("P0 P2 P4 P5")}, // :not includes the missing
				{query: "gender:missing=true", want: keys("P4")},
				{query: "gender=http://hl7.org/fhir/administrative-gender|female", want: keys("P0 P2")},
				{query: "gender=http://hl7.org/fhir/administrative-gender|", want: keys("P0 P1 P2 P3 P5")},
				{query: "gender=|female", want: nil}, // the required binding gives gender its system
				{query: "active=true", want: keys("P0")},
				{query: "active=false", want: keys("P1")},
				{query: "active:missing=true", want: keys("P2 P3 P4 P5")},
				{query: "email=zoe.muller@example.org", want: keys("P0")},
				{query: "phone=+41 44 555 0100", want: keys("P0")},
				{query: "telecom=phone|555-0101", want: keys("P1")},
				{query: "deceased=true", want: keys("P2")},
				{query: "deceased=false", want: keys("P0 P1 P3 P4 P5")},

				// date: partial dates and every prefix
				{query: "birthdate=1990", want: keys("P1 P2")},
				{query: "birthdate=1990-07", want: keys("P1")},
				{query: "birthdate=1990-07-01", want: keys("P1")},
				{query: "birthdate=eq1975", want: keys("P5")},
				{query: "birthdate=1975-06-15", want: nil}, // the day does not contain the whole year
				{query: "birthdate=ap1975-06-15", want: keys("P5")},
				{query: "birthdate=gt1990-07-01", want: keys("P2 P3")},
				{query: "birthdate=ge1990-07-01", want: keys("P1 P2 P3")},
				{query: "birthdate=lt1984-03-12", want: keys("P5")},
				{query: "birthdate=le1984-03-12", want: keys("P0 P5")},
				{query: "birthdate=sa1990-07-01", want: keys("P2 P3")},
				{query: "birthdate=eb1990-07-01", want: keys("P0 P5")},
				{query: "birthdate=gt1975-06", want: keys("P0 P1 P2 P3 P5")}, // some of 1975 is after June
				{query: "birthdate=sa1975-06", want: keys("P0 P1 P2 P3")},    // 1975 does not start after June
				{query: "birthdate=lt1975-06", want: keys("P5")},
				{query: "birthdate=eb1975-06", want: nil},
				{query: "birthdate=le1975-06", want: keys("P5")},
				{query: "birthdate=ge1975-06", want: keys("P0 P1 P2 P3 P5")},
				{query: "birthdate=ne1990-07-01", want: keys("P0 P2 P3 P5")},
				{query: "birthdate=ge1980&birthdate=lt1991", want: keys("P0 P1 P2")},
				{query: "birthdate:missing=true", want: keys("P4")},
				{query: "death-date=2020-05", want: keys("P2")},

				// uri: _source, :below, :above
				{query: "_source=" + scSourceReg, want: keys("P1")},
				{query: "_source:below=http://clinic.example.org/feeds/", want: keys("P1 P2")},
				{query: "_source:above=" + scSourceReg + "/session-9", want: keys("P1")},
				{query: "_source:above=http://clinic.example.org/feeds/lab/2024/03", want: keys("P2")},
				{query: "_source:missing=true", want: keys("P0 P3 P4 P5")},

				// reverse chaining
				{query: "_has:Observation:patient:code=29463-7", want: keys("P0 P1 P3")},
				{query: "_has:Observation:subject:code=" + scLOINC + "|2339-0", want: keys("P0")},
				{query: "_has:Observation:patient:combo-code=8480-6", want: keys("P1 P2")},
				{query: "_has:Observation:patient:component-code-value-quantity=" + scLOINC + "|8480-6$gt140|" + scUCUM + "|mm[Hg]", want: keys("P1")},
				{query: "_has:Observation:patient:code=29463-7&_has:Observation:patient:code=8867-4", want: keys("P0")},
				{query: "_has:Specimen:patient:type=" + scSNOMED + "|122555007", want: keys("P0 P1")},
				{query: "_has:Observation:specimen:code=2339-0", status: 400, expr: "_has:Observation:specimen:code"},

				// _revinclude, with :iterate
				{query: "_id={P1}&_revinclude=Observation:patient", want: keys("P1"), include: keys("O2 O3 O8")},
				{query: "_id={P0}&_revinclude=Specimen:patient&_revinclude:iterate=Observation:specimen", want: keys("P0"), include: keys("S0 O7")},
				{query: "_id={P0}&_revinclude=Specimen:patient", want: keys("P0"), include: keys("S0")},

				// _sort on several keys, descending; missing values last either way
				{query: "_sort=birthdate", want: keys("P5 P0 P1 P2 P3 P4"), ordered: true},
				{query: "_sort=-birthdate", want: keys("P3 P2 P1 P0 P5 P4"), ordered: true},
				{query: "_sort=gender,-birthdate", want: keys("P2 P0 P3 P1 P5 P4"), ordered: true},
				{query: "_sort=family,given", want: keys("P1 P0 P5 P4 P2 P3"), ordered: true},
				{query: "_sort=-family,given", want: keys("P3 P2 P4 P5 P1 P0"), ordered: true},
				{query: "_sort=-_lastUpdated&_count=1", want: keys("P3"), ordered: true},

				// unknown parameters and modifiers: a warning, or 400 when strict
				{query: "foo=bar&gender=female", want: keys("P0 P2"), expr: "foo"},
				{query: "foo=bar&gender=female", status: 400, expr: "foo", strict: true},
				{query: "family:fuzzy=mul&gender=male", want: keys("P1 P3"), expr: "family:fuzzy"},
				{query: "family:fuzzy=mul", status: 400, expr: "family:fuzzy", strict: true},
				{query: "_text=smith&gender=male", want: keys("P1 P3"), expr: "_text"},

				// malformed values: 400 naming the parameter, strict or not
				{query: "birthdate=1984-02-30", status: 400, expr: "birthdate"},
				{query: "birthdate=1990-13", status: 400, expr: "birthdate"},
				{query: "birthdate=xx1990", status: 400, expr: "birthdate"},
				{query: "birthdate=1990-07-01T25:00:00Z", status: 400, expr: "birthdate"},
				{query: "gender:missing=maybe", status: 400, expr: "gender:missing"},
				{query: "_count=many", status: 400, expr: "_count"},
				{query: "_sort=shoe-size", status: 400, expr: "_sort"},
				{query: "_total=all", status: 400, expr: "_total"},
				{query: "_summary=yes", status: 400, expr: "_summary"},
			})
		})

		t.Run("Observation", func(t *testing.T) {
			weights := scLOINC + "|29463-7"
			fx.run(t, "Observation", []scCase{
				// token
				{query: "code=8867-4", want: keys("O0")},
				{query: "code=" + weights, want: keys("O1 O2 O6")},
				{query: "code=|29463-7", want: nil},
				{query: "code=" + scLOINC + "|", want: keys("O0 O1 O2 O3 O4 O5 O6 O7 O8 O10")},
				{query: "code=29463-7,8867-4", want: keys("O0 O1 O2 O6")},
				{query: "code:text=body", want: keys("O1 O2 O5 O6")},
				{query: "code:text=BODY WEIGHT", want: keys("O1 O2 O6")},
				{query: "code:not=29463-7", want: keys("O0 O3 O4 O5 O7 O8 O9 O10")},
				{query: "category=vital-signs", want: keys("O0 O1 O2 O3 O4 O5 O6")},
				{query: "category=" + scCategory + "|laboratory", want: keys("O7 O8")},
				{query: "category:text=lab", want: keys("O7 O8")},
				{query: "status=final", want: keys("O0 O1 O2 O3 O4 O5 O6 O7 O9 O10")},
				{query: "status:not=final", want: keys("O8")},
				{query: "combo-code=8480-6", want: keys("O3 O4")},
				{query: "component-code=8462-4", want: keys("O3 O4")},
				{query: "value-concept=" + scSNOMED + "|266919005", want: keys("O10")},
				{query: "value-concept:text=never", want: keys("O10")},

				// string
				{query: "value-string=clear", want: keys("O9")},
				{query: "value-string:contains=WHEEZE", want: keys("O9")},
				{query: "value-string=never", want: keys("O10")}, // the concept's text

				// date: time zones, partial dates, every prefix
				{query: "date=2024-03-11", want: keys("O0 O1")}, // O0 was the evening of the 10th at UTC-5
				{query: "date=2024-03-10", want: keys("O7")},
				{query: "date=2024-03", want: keys("O0 O1 O2 O7 O8")},
				{query: "date=2024", want: keys("O0 O1 O2 O3 O4 O6 O7 O8 O10")},
				{query: "date=2024-03-15", want: keys("O8")},
				{query: "date=2024-03-15T10:00:00Z", want: nil}, // the instant does not contain the day
				{query: "date=2024-03-10T23:30:00-05:00", want: keys("O0")},
				{query: "date=2024-03-11T04:30:00Z", want: keys("O0")},
				{query: "date=2024-03-12T09:00:00+01:00", want: keys("O2")},
				{query: "date=2024-03-12T09:00:00+01:00", want: keys("O2"), raw: true}, // '+' arrives as a space
				{query: "date=ge2024-03-10T23:00:00-05:00", want: keys("O0 O1 O2 O3 O4 O6 O8 O10")},
				{query: "date=2024-05-02", want: nil},                                // O6's period is longer than the day
				{query: "date=ap2024-05-02", want: scApproximately(t, "2024-05-02")}, // ±10% of the time from now
				{query: "date=gt2024-04-01", want: keys("O4 O6 O10")},
				{query: "date=lt2024-03-11", want: keys("O5 O7")},
				{query: "date=ge2024-05-02", want: keys("O6 O10")},
				{query: "date=le2024-05-02", want: keys("O0 O1 O2 O3 O4 O5 O6 O7 O8")},
				{query: "date=sa2024-04-01", want: keys("O4 O6 O10")},
				{query: "date=eb2024-03-11", want: keys("O5 O7")},
				{query: "date=ne2024-03", want: keys("O3 O4 O5 O6 O10")},
				{query: "date=ge2024-03-11&date=lt2024-03-12", want: keys("O0 O1")},
				{query: "date:missing=true", want: keys("O9")},

				// quantity: value alone, units, UCUM conversion, every prefix
				{query: "value-quantity=72", want: keys("O0")},
				{query: "value-quantity=72.5|" + scUCUM + "|kg", want: keys("O1")},
				{query: "value-quantity=gt74|" + scUCUM + "|kg", want: keys("O2")}, // 165 [lb_av]
				{query: "value-quantity=gt74000|" + scUCUM + "|g", want: keys("O2")},
				{query: "value-quantity=165|" + scUCUM + "|[lb_av]", want: keys("O2")},
				{query: "value-quantity=ge70|" + scUCUM + "|kg", want: keys("O1 O2")},
				{query: "value-quantity=ap75|" + scUCUM + "|kg", want: keys("O1 O2 O6")},
				{query: "value-quantity=gt98|" + scUCUM + "|[degF]", want: keys("O5")}, // 98 °F = 36.7 °C
				{query: "value-quantity=gt0.9|" + scUCUM + "|g/L", want: keys("O7 O8")},
				{query: "value-quantity=95||mg/dL", want: keys("O7")},
				{query: "value-quantity=gt100", want: keys("O2")},
				{query: "value-quantity=lt20", want: keys("O8")},
				{query: "value-quantity=ge95", want: keys("O2 O7")},
				{query: "value-quantity=le37.2", want: keys("O5 O8")},
				{query: "value-quantity=sa95", want: keys("O2")},
				{query: "value-quantity=eb37.2", want: keys("O8")},
				{query: "value-quantity=ap70", want: keys("O0 O1 O6")},
				{query: "value-quantity=ne72", want: keys("O1 O2 O5 O6 O7 O8")},
				{query: "value-quantity:missing=true", want: keys("O3 O4 O9 O10")},

				// composite: code and value of the same item
				{query: "code-value-quantity=" + weights + "$gt70|" + scUCUM + "|kg", want: keys("O1 O2")},
				{query: "code-value-quantity=" + weights + "$lt70|" + scUCUM + "|kg", want: keys("O6")},
				{query: "code-value-quantity=" + scLOINC + "|8480-6$gt100|" + scUCUM + "|mm[Hg]", want: nil},
				{query: "component-code-value-quantity=" + scLOINC + "|8480-6$gt140|" + scUCUM + "|mm[Hg]", want: keys("O3")},
				{query: "component-code-value-quantity=" + scLOINC + "|8462-4$lt80|" + scUCUM + "|mm[Hg]", want: keys("O4")},
				{query: "component-code-value-quantity=" + scLOINC + "|8462-4$gt100|" + scUCUM + "|mm[Hg]", want: nil},
				{query: "combo-code-value-quantity=" + weights + "$gt70|" + scUCUM + "|kg", want: keys("O1 O2")},
				{query: "combo-code-value-quantity=" + scLOINC + "|8480-6$gt100|" + scUCUM + "|mm[Hg]", want: keys("O3 O4")},
				{query: "code-value-concept=" + scLOINC + "|72166-2$" + scSNOMED + "|266919005", want: keys("O10")},
				{query: "code-value-string=" + scLocal + "|lung-auscultation$clear", want: keys("O9")},
				{query: "code-value-quantity=" + weights + "$gt70|" + scUCUM + "|kg,8867-4$gt60", want: keys("O0 O1 O2")},
				// code and value as two parameters: the planner adds the composite
				// they imply; the matches must be the same as without it
				{query: "code=" + weights + "&value-quantity=gt70|" + scUCUM + "|kg", want: keys("O1 O2")},
				{query: "code=" + weights + "&value-quantity=lt70|" + scUCUM + "|kg", want: keys("O6")},
				{query: "code=" + weights + "&value-quantity=gt70", want: keys("O1 O2")},
				{query: "code=" + scLOINC + "|8480-6&value-quantity=gt100|" + scUCUM + "|mm[Hg]", want: nil},
				{query: "code=" + scLOINC + "|72166-2&value-concept=" + scSNOMED + "|266919005", want: keys("O10")},
				{query: "code=" + weights + ",8867-4&value-quantity=gt70", want: keys("O0 O1 O2")},

				// reference: id, Type/id, absolute URL, :[type], :identifier, :missing
				{query: "subject=Patient/{P0}", want: keys("O0 O1 O7")},
				{query: "subject={P0}", want: keys("O0 O1 O7")},
				{query: "subject:Patient={P0}", want: keys("O0 O1 O7")},
				{query: "subject={BASE}/Patient/{P0}", want: keys("O0 O1 O7")},
				{query: "patient={P0}", want: keys("O0 O1 O7")},
				{query: "subject=Patient/{P0},Patient/{P1}", want: keys("O0 O1 O2 O3 O7 O8")},
				{query: "patient={P0}&code=29463-7", want: keys("O1")},
				{query: "specimen={S0}", want: keys("O7")},
				{query: "specimen=Specimen/{S1}", want: keys("O8")},
				{query: "specimen:missing=false", want: keys("O7 O8")},
				{query: "performer=Practitioner/dr-osei", want: keys("O9")},
				{query: "subject:identifier=" + scMRN + "|MRN-104", want: keys("O10")},

				// chaining
				{query: "subject:Patient.identifier=" + scMRN + "|MRN-100", want: keys("O0 O1 O7")},
				{query: "patient.birthdate=1990", want: keys("O2 O3 O8 O4 O5")},
				{query: "patient.family=smith", want: keys("O4 O5 O6 O9")},
				{query: "patient.gender:not=male", want: keys("O0 O1 O7 O4 O5 O10")},
				{query: "specimen.accession={ACC0}", want: keys("O7")},
				{query: "subject.name=smith", status: 400, expr: "subject.name"},

				// uri: _profile
				{query: "_profile=" + scProfileVS, want: keys("O0 O1")},
				{query: "_profile:below=http://hl7.org/fhir/StructureDefinition/", want: keys("O0 O1 O3")},
				{query: "_profile:above=" + scProfileVS + "/extra", want: keys("O0 O1")},
				{query: "_profile:missing=false", want: keys("O0 O1 O3")},

				// _include, with :iterate
				{query: "_id={O7}&_include=Observation:specimen", want: keys("O7"), include: keys("S0")},
				{query: "code=29463-7&_include=Observation:patient", want: keys("O1 O2 O6"), include: keys("P0 P1 P3")},
				{query: "code=29463-7&_include=Observation:subject:Patient", want: keys("O1 O2 O6"), include: keys("P0 P1 P3")},
				{query: "_id={O7}&_include=Observation:specimen&_include:iterate=Specimen:patient", want: keys("O7"), include: keys("S0 P0")},
				{query: "_id={O7}&_include=Specimen:patient", status: 400, expr: "_include"},

				// _sort
				{query: "code=29463-7&_sort=date", want: keys("O1 O2 O6"), ordered: true},
				{query: "code=29463-7&_sort=-date", want: keys("O6 O2 O1"), ordered: true},
				{query: "category=vital-signs&value-quantity:missing=false&_sort=value-quantity", want: keys("O5 O6 O0 O1 O2"), ordered: true},
				{query: "patient={P0}&_sort=-date", want: keys("O1 O0 O7"), ordered: true},

				// malformed values
				{query: "date=2024-02-30", status: 400, expr: "date"},
				{query: "date=xx2024", status: 400, expr: "date"},
				{query: "value-quantity=gt|" + scUCUM + "|kg", status: 400, expr: "value-quantity"},
				{query: "value-quantity=abc", status: 400, expr: "value-quantity"},
				{query: "code-value-quantity=" + weights, status: 400, expr: "code-value-quantity"},
				{query: "code-value-quantity=" + weights + "$heavy", status: 400, expr: "code-value-quantity"},
				{query: "_sort=code-value-quantity", status: 400, expr: "_sort"},
			})
		})

		t.Run("Specimen", func(t *testing.T) {
			fx.run(t, "Specimen", []scCase{
				{query: "accession={ACC0}", want: keys("S0")},
				{query: "type=" + scSNOMED + "|122555007", want: keys("S0 S1")},
				{query: "patient={P1}", want: keys("S1")},
				{query: "patient.gender=female", want: keys("S0")},
				{query: "collected=2024-03-10", want: keys("S0")},
				{query: "collected=2024-03-15", want: keys("S1")},
				{query: "_has:Observation:specimen:code=718-7", want: keys("S1")},
				{query: "_id={S0}&_include=Specimen:patient&_revinclude=Observation:specimen", want: keys("S0"), include: keys("P0 O7")},
			})
		})

		t.Run("SortById", func(t *testing.T) {
			ps := keys("P0 P1 P2 P3 P4 P5")
			slices.SortFunc(ps, func(a, b string) int { return strings.Compare(fx.id[a], fx.id[b]) })
			fx.run(t, "Patient", []scCase{{query: "_sort=_id", want: ps, ordered: true}})
			slices.Reverse(ps)
			fx.run(t, "Patient", []scCase{{query: "_sort=-_id", want: ps, ordered: true}})
		})

		t.Run("Paging", func(t *testing.T) { scPaging(t, fx) })
		t.Run("Total", func(t *testing.T) { scTotal(t, fx) })
		t.Run("Summary", func(t *testing.T) { scSummary(t, fx) })
		t.Run("Elements", func(t *testing.T) { scElements(t, fx) })
		t.Run("EmptyResult", func(t *testing.T) {
			r := must(t, fx.search(t, "Patient", "family=nobody", false), http.StatusOK)
			b := r.json(t)
			if b["resourceType"] != "Bundle" || b["type"] != "searchset" || b["total"] != float64(0) || b["entry"] != nil {
				t.Errorf("empty result = %s", r.Body)
			}
		})
	})
}

// scObservationTimes are the effective times of the Observations, as the
// inclusive ranges [first, last instant] they cover.
var scObservationTimes = map[string][2]string{
	"O0":  {"2024-03-11T04:30:00.000Z", "2024-03-11T04:30:00.999Z"},
	"O1":  {"2024-03-11T08:00:00.000Z", "2024-03-11T08:00:00.999Z"},
	"O2":  {"2024-03-12T08:00:00.000Z", "2024-03-12T08:00:00.999Z"},
	"O3":  {"2024-04-01T10:00:00.000Z", "2024-04-01T10:00:00.999Z"},
	"O4":  {"2024-04-02T10:00:00.000Z", "2024-04-02T10:00:00.999Z"},
	"O5":  {"2023-12-31T23:59:59.000Z", "2023-12-31T23:59:59.999Z"},
	"O6":  {"2024-05-01T08:00:00.000Z", "2024-05-03T08:00:00.999Z"},
	"O7":  {"2024-03-10T14:30:00.000Z", "2024-03-10T14:30:00.999Z"},
	"O8":  {"2024-03-15T00:00:00.000Z", "2024-03-15T23:59:59.999Z"},
	"O10": {"2024-06-01T12:00:00.000Z", "2024-06-01T12:00:00.999Z"},
}

// scApproximately returns the Observations that date=ap<day> finds: R4
// leaves the width of ap to the server; this one widens the day by a tenth
// of its distance from now on both sides and takes what overlaps.
func scApproximately(t *testing.T, day string) []string {
	t.Helper()
	lo, err := time.Parse(time.DateOnly, day)
	if err != nil {
		t.Fatal(err)
	}
	hi := lo.Add(24*time.Hour - time.Millisecond)
	gap := time.Since(lo).Abs() / 10
	lo, hi = lo.Add(-gap), hi.Add(gap)
	var out []string
	for k, r := range scObservationTimes {
		first, _ := time.Parse(time.RFC3339Nano, r[0])
		last, _ := time.Parse(time.RFC3339Nano, r[1])
		if !first.After(hi) && !last.Before(lo) {
			out = append(out, k)
		}
	}
	return out
}

// scPaging walks _count pages forwards by next links and back by previous.
func scPaging(t *testing.T, fx *scFixtures) {
	want := [][]string{keys("P5 P0"), keys("P1 P2"), keys("P3 P4")}
	r := must(t, fx.search(t, "Patient", "_sort=birthdate&_count=2", false), http.StatusOK)
	var pages []*reply
	for i := 0; ; i++ {
		if i == len(want) {
			t.Fatalf("more than %d pages", len(want))
		}
		if got := fx.keysOf(t, r, "match"); !slices.Equal(got, want[i]) {
			t.Errorf("page %d = %v, want %v", i, got, want[i])
		}
		if r.json(t)["total"] != float64(6) {
			t.Errorf("page %d: total %v, want 6", i, r.json(t)["total"])
		}
		if prev := link(t, r, "previous"); (prev != "") != (i > 0) {
			t.Errorf("page %d: previous link %q", i, prev)
		}
		pages = append(pages, r)
		next := link(t, r, "next")
		if next == "" {
			break
		}
		r = must(t, fx.getLink(t, next), http.StatusOK)
	}
	if len(pages) != len(want) {
		t.Fatalf("%d pages, want %d", len(pages), len(want))
	}
	back := must(t, fx.getLink(t, link(t, pages[2], "previous")), http.StatusOK)
	if got := fx.keysOf(t, back, "match"); !slices.Equal(got, want[1]) {
		t.Errorf("previous of the last page = %v, want %v", got, want[1])
	}

	// _count=0: the total alone.
	r = must(t, fx.search(t, "Patient", "_count=0", false), http.StatusOK)
	if b := r.json(t); b["total"] != float64(6) || b["entry"] != nil {
		t.Errorf("_count=0 = %s", r.Body)
	}
	// A cursor of another query is TestSearchInjection's.
}

// getLink follows a link of a Bundle.
func (fx *scFixtures) getLink(t *testing.T, link string) *reply {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return fx.do("GET", u.RequestURI(), nil)
}

func scTotal(t *testing.T, fx *scFixtures) {
	cases := []struct {
		query string
		total any // nil: absent
	}{
		{"gender=female", float64(2)},
		{"gender=female&_total=accurate", float64(2)},
		{"gender=female&_total=estimate", float64(2)},
		{"gender=female&_total=none", nil},
		{"gender=female&_count=1", float64(2)},
		{"gender=female&_summary=count", float64(2)},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			b := must(t, fx.search(t, "Patient", c.query, false), http.StatusOK).json(t)
			if b["total"] != c.total {
				t.Errorf("total %v, want %v", b["total"], c.total)
			}
			n := len(fx.keysOfBundle(b))
			switch {
			case strings.Contains(c.query, "_summary=count") && n != 0:
				t.Errorf("_summary=count returned %d entries", n)
			case strings.Contains(c.query, "_count=1") && n != 1:
				t.Errorf("_count=1 returned %d entries", n)
			}
		})
	}
}

func (fx *scFixtures) keysOfBundle(b map[string]any) []string {
	var out []string
	list, _ := b["entry"].([]any)
	for _, e := range list {
		res, _ := e.(map[string]any)["resource"].(map[string]any)
		id, _ := res["id"].(string)
		out = append(out, fx.key[id])
	}
	return out
}

// resources returns the match entries' resources by key.
func (fx *scFixtures) resources(t *testing.T, r *reply) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, e := range entries(t, r) {
		if s, _ := e["search"].(map[string]any); s != nil && s["mode"] != "match" {
			continue
		}
		res := e["resource"].(map[string]any)
		out[fx.key[res["id"].(string)]] = res
	}
	return out
}

func hasSubsetted(res map[string]any) bool {
	meta, _ := res["meta"].(map[string]any)
	tags, _ := meta["tag"].([]any)
	for _, tg := range tags {
		if m, _ := tg.(map[string]any); m["code"] == scSubsetted {
			return true
		}
	}
	return false
}

func memberNames(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// scSummary checks _summary=true, text and data against the isSummary
// flags of the R4 StructureDefinitions.
func scSummary(t *testing.T, fx *scFixtures) {
	cases := []struct {
		typ, query string
		key        string
		members    []string // top-level members of the summarised resource
		subsetted  bool
	}{
		// Observation: category, specimen and component.referenceRange are not summary elements.
		{"Observation", "_id={O7}&_summary=true", "O7", keys("code effectiveDateTime id meta resourceType status subject valueQuantity"), true},
		{"Observation", "_id={O7}&_summary=data", "O7", keys("category code effectiveDateTime id meta resourceType specimen status subject valueQuantity"), true},
		{"Observation", "_id={O7}&_summary=text", "O7", keys("code id meta resourceType status"), true},
		{"Observation", "_id={O7}&_summary=false", "O7", keys("category code effectiveDateTime id meta resourceType specimen status subject valueQuantity"), false},
		// Patient: the address is a summary element, the telecom too; active as well.
		{"Patient", "_id={P0}&_summary=true", "P0", keys("active address birthDate deceasedBoolean gender id identifier meta name resourceType telecom"), true},
		// Specimen: accessionIdentifier, status, type, subject are summary elements; collection is not.
		{"Specimen", "_id={S0}&_summary=true", "S0", keys("accessionIdentifier id meta resourceType status subject type"), true},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			r := must(t, fx.search(t, c.typ, c.query, false), http.StatusOK)
			res := fx.resources(t, r)[c.key]
			if res == nil {
				t.Fatalf("no %s in %s", c.key, r.Body)
			}
			if got := memberNames(res); !slices.Equal(got, c.members) {
				t.Errorf("members %v, want %v", got, c.members)
			}
			if hasSubsetted(res) != c.subsetted {
				t.Errorf("SUBSETTED tag %v, want %v: %v", hasSubsetted(res), c.subsetted, res["meta"])
			}
		})
	}
	t.Run("components keep their summary elements", func(t *testing.T) {
		r := must(t, fx.search(t, "Observation", "_id={O3}&_summary=true", false), http.StatusOK)
		comps, _ := fx.resources(t, r)["O3"]["component"].([]any)
		if len(comps) != 2 {
			t.Fatalf("components %v", comps)
		}
		for _, c := range comps {
			if got := memberNames(c.(map[string]any)); !slices.Equal(got, keys("code valueQuantity")) {
				t.Errorf("component members %v", got)
			}
		}
	})
}

func scElements(t *testing.T, fx *scFixtures) {
	r := must(t, fx.search(t, "Patient", "gender=female&_elements=gender,birthDate", false), http.StatusOK)
	res := fx.resources(t, r)
	if len(res) != 2 {
		t.Fatalf("%d matches", len(res))
	}
	for k, p := range res {
		if got := memberNames(p); !slices.Equal(got, keys("birthDate gender id meta resourceType")) {
			t.Errorf("%s members %v", k, got)
		}
		if !hasSubsetted(p) {
			t.Errorf("%s is not tagged SUBSETTED", k)
		}
	}
	must(t, fx.search(t, "Patient", "_elements=name.family", false), http.StatusBadRequest)
}

// TestSearchCapabilityStatement checks that the CapabilityStatement lists
// every parameter with its type, definition and modifiers, and that each
// parameter it lists is accepted by the server on both backends.
func TestSearchCapabilityStatement(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "") // AuditEvent is searched too
		cs := must(t, s.do("GET", "/fhir/metadata", "", nil), http.StatusOK).json(t)
		rest := cs["rest"].([]any)[0].(map[string]any)
		var result []string
		for _, p := range rest["searchParam"].([]any) {
			result = append(result, p.(map[string]any)["name"].(string))
		}
		for _, want := range keys("_count _sort _total _summary _elements _include _revinclude _has") {
			if !slices.Contains(result, want) {
				t.Errorf("rest.searchParam lacks %s: %v", want, result)
			}
		}
		types := map[string]bool{}
		for _, r := range rest["resource"].([]any) {
			res := r.(map[string]any)
			typ := res["type"].(string)
			for _, p := range res["searchParam"].([]any) {
				sp := p.(map[string]any)
				name, ptype := sp["name"].(string), sp["type"].(string)
				types[ptype] = true
				doc, _ := sp["documentation"].(string)
				if sp["definition"] == nil || !strings.Contains(doc, "Modifiers:") {
					t.Errorf("%s.%s lacks a definition or its modifiers: %v", typ, name, sp)
				}
				if ptype == "reference" && !strings.Contains(doc, ":identifier") {
					t.Errorf("%s.%s does not document :identifier: %s", typ, name, doc)
				}
				if ptype == "composite" {
					continue // composites take no modifier
				}
				// Every listed parameter is served: :missing is accepted by all.
				q := "/fhir/" + typ + "?" + url.QueryEscape(name+":missing") + "=false&_count=1"
				r := must(t, scDo(s, tok, "GET", q, nil, "Prefer", "handling=strict"), http.StatusOK)
				if len(scWarnings(t, r)) > 0 {
					t.Errorf("%s: %s", q, r.Body)
				}
			}
			includes, _ := res["searchInclude"].([]any)
			revs, _ := res["searchRevInclude"].([]any)
			switch typ {
			case "Observation":
				for _, want := range keys("Observation:patient Observation:specimen Observation:subject Observation:has-member") {
					if !slices.Contains(includes, any(want)) {
						t.Errorf("Observation searchInclude lacks %s: %v", want, includes)
					}
				}
				if slices.Contains(includes, any("Observation:device")) {
					t.Errorf("Observation:device points only to types the server does not store: %v", includes)
				}
			case "Patient":
				for _, want := range keys("Observation:patient Specimen:patient MedicationAdministration:patient Appointment:patient") {
					if !slices.Contains(revs, any(want)) {
						t.Errorf("Patient searchRevInclude lacks %s: %v", want, revs)
					}
				}
			}
		}
		// No served type has a number parameter; every other type occurs.
		for _, want := range keys("string token date quantity reference uri composite") {
			if !types[want] {
				t.Errorf("no %s parameter listed", want)
			}
		}
		if types["number"] {
			t.Error("a number parameter is listed: add number cases to TestSearchConformance")
		}
	})
}

// TestSearchPagingWhileWriting pages through a result with _count while
// another client creates matching resources and updates existing ones: no
// resource may appear twice, and every resource that existed at the start
// must appear (keyset paging on the sort key and the id).
func TestSearchPagingWhileWriting(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		for _, order := range []string{"", "family"} {
			t.Run("sort="+order, func(t *testing.T) {
				scPagingWhileWriting(t, s, order)
			})
		}
	})
}

func scPagingWhileWriting(t *testing.T, s *server, order string) {
	fx := &scFixtures{s: s, tok: token(t, "user/*.cruds", ""), tag: newTag(t), id: map[string]string{}, key: map[string]string{}}
	const initial = 60
	body := func(i int, given string) map[string]any {
		return fx.doc(t, patientDoc(fmt.Sprintf("Paging%03d", i), given, "female", "1980-01-01", fmt.Sprintf("PG-%d", i), ""))
	}
	for i := range initial {
		fx.create(t, fmt.Sprintf("I%02d", i), "Patient", body(i*2, "Initial"))
	}
	initialIDs := make(map[string]bool, initial)
	for _, id := range fx.id {
		initialIDs[id] = true
	}

	stop := make(chan struct{})
	wrote := make(chan struct{})
	var wg sync.WaitGroup
	var writeErr error
	var writes int
	tagMeta := map[string]any{"tag": []any{map[string]any{"system": scTagSystem, "code": fx.tag}}}
	ids := make([]string, 0, initial)
	for _, id := range fx.id {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	done := make(chan struct{})
	wg.Go(func() {
		defer close(done)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			// A new patient that sorts between existing ones, and an update
			// that keeps the sort key.
			doc := body((n*7)%(2*initial)+1, "Created")
			doc["meta"] = tagMeta
			if st, b, err := scRequestRetry(s, fx.tok, "POST", "/fhir/Patient", doc); err != nil || st != http.StatusCreated {
				writeErr = fmt.Errorf("create: %d %s %v", st, b, err)
				return
			}
			id := ids[(n*5)%len(ids)]
			upd := body(slices.Index(ids, id), "Updated")
			var cur map[string]any
			st, b, err := scRequestRetry(s, fx.tok, "GET", "/fhir/Patient/"+id, nil)
			if err == nil && st == http.StatusOK {
				err = json.Unmarshal(b, &cur)
			}
			if err != nil || st != http.StatusOK {
				writeErr = fmt.Errorf("read: %d %s %v", st, b, err)
				return
			}
			upd["id"], upd["meta"] = id, tagMeta
			upd["name"] = cur["name"] // the family, the sort key, stays
			upd["gender"] = []string{"female", "male"}[n%2]
			if st, b, err := scRequestRetry(s, fx.tok, "PUT", "/fhir/Patient/"+id, upd); err != nil || st != http.StatusOK {
				writeErr = fmt.Errorf("update: %d %s %v", st, b, err)
				return
			}
			if writes++; writes == 1 {
				close(wrote)
			}
		}
	})

	select { // the first page is read while the writer is at work
	case <-wrote:
	case <-done:
		t.Fatalf("the writer stopped: %v", writeErr)
	}
	query := "_count=5&_tag=" + url.QueryEscape(fx.tagParam())
	if order != "" {
		query += "&_sort=" + order
	}
	seen := map[string]int{}
	r := must(t, fx.do("GET", "/fhir/Patient?"+query, nil), http.StatusOK)
	pages := 0
	for {
		for _, e := range entries(t, r) {
			res, _ := e["resource"].(map[string]any)
			if id, _ := res["id"].(string); id != "" {
				seen[id]++
			}
		}
		pages++
		next := link(t, r, "next")
		if next == "" || pages > 100 {
			break
		}
		time.Sleep(5 * time.Millisecond) // let the writer in between pages
		r = must(t, fx.getLink(t, next), http.StatusOK)
	}
	close(stop)
	wg.Wait()
	if writeErr != nil {
		t.Fatal(writeErr)
	}
	if writes == 0 {
		t.Fatal("the writer wrote nothing while paging")
	}
	for id, n := range seen {
		if n > 1 {
			t.Errorf("%s appeared %d times", id, n)
		}
	}
	for id := range initialIDs {
		if seen[id] == 0 {
			t.Errorf("%s existed at the start and never appeared", id)
		}
	}
	t.Logf("%d pages, %d resources, %d writes during paging", pages, len(seen), writes)
}

// scRequest is a request that a goroutine other than the test's may send:
// it reports failures instead of stopping the test.
func scRequest(s *server, tok, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// scRequestRetry is scRequest waiting out 429s.
func scRequestRetry(s *server, tok, method, path string, body any) (int, []byte, error) {
	for attempt := 0; ; attempt++ {
		st, b, err := scRequest(s, tok, method, path, body)
		if err != nil || st != http.StatusTooManyRequests || attempt == 20 {
			return st, b, err
		}
		time.Sleep(time.Second)
	}
}

// TestSearchDocs checks that docs/search.md lists every parameter that the
// CapabilityStatement advertises, in the row of its type.
func TestSearchDocs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "docs", "search.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if typ, rest, ok := strings.Cut(strings.TrimPrefix(line, "| "), " | "); ok && strings.HasPrefix(line, "| ") {
			rows[typ] = rest
		}
	}
	s := newServer(t, "lungo:memory")
	cs := must(t, s.do("GET", "/fhir/metadata", "", nil), http.StatusOK).json(t)
	for _, r := range cs["rest"].([]any)[0].(map[string]any)["resource"].([]any) {
		res := r.(map[string]any)
		typ := res["type"].(string)
		row, ok := rows[typ]
		if !ok {
			t.Errorf("docs/search.md has no row for %s", typ)
			continue
		}
		for _, p := range res["searchParam"].([]any) {
			name := p.(map[string]any)["name"].(string)
			if !strings.Contains(row, "`"+name+"`") {
				t.Errorf("docs/search.md does not list %s.%s", typ, name)
			}
		}
	}
}
