package search

import (
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fixedNow is the clock of ap on dates in these tests.
var fixedNow = time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)

func init() { now = func() time.Time { return fixedNow } }

// instants in expected S-expressions: @2024-01-01T00:00:00.000Z stands for
// its Unix milliseconds as the tree prints them (a float64).
var instant = regexp.MustCompile(`@(\d{4}-\d\d-\d\dT[0-9:.]+Z)`)

func expand(t *testing.T, s string) string {
	return instant.ReplaceAllStringFunc(s, func(m string) string {
		tm, err := time.Parse(time.RFC3339Nano, m[1:])
		if err != nil {
			t.Fatalf("bad instant %s: %v", m, err)
		}
		return literal(float64(tm.UnixMilli()))
	})
}

func parse(t *testing.T, typ, query string, opts Options) (*Request, error) {
	t.Helper()
	params, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("bad test query %q: %v", query, err)
	}
	return registry(t).Parse(typ, params, opts)
}

// TestParseWhere: query → expression tree, one line each. The tree reads
// (match PARAM (OP FIELD VALUE)...), fields s system, c code, t text, lo/hi
// range, u unit, us unit system, clo/chi/cu canonical; see prefix.go for
// how prefixes become conditions on lo and hi.
func TestParseWhere(t *testing.T) {
	tests := []struct{ typ, query, want string }{
		// string: folded prefix, :exact, :contains, OR, AND, escapes
		{"Patient", "name=Zoë", `(match name (prefix c "zoe"))`},
		{"Patient", "name=zoë,MÜLLER", `(or (match name (prefix c "zoe")) (match name (prefix c "muller")))`},
		{"Patient", "family=a&family=b", `(and (match family (prefix c "a")) (match family (prefix c "b")))`},
		{"Patient", "name:exact=Zoë", `(match name (eq t "Zoë"))`},
		{"Patient", "name:contains=ÜLL", `(match name (contains c "ull"))`},
		{"Patient", `name=a\,b`, `(match name (prefix c "a,b"))`},
		{"Patient", "address-city=montreal", `(match address-city (prefix c "montreal"))`},
		{"Patient", "phonetic=Mueller", `(match phonetic (eq c "M460"))`},
		{"Patient", "name=", ``}, // empty parameters are ignored

		// token: code, system|code, |code, system|, :text, :not, :of-type
		{"Patient", "gender=female", `(match gender (eq c "female"))`},
		{"Patient", "identifier=http://hl7.org/fhir/sid/us-ssn|123-45-6789", `(match identifier (eq s "http://hl7.org/fhir/sid/us-ssn") (eq c "123-45-6789"))`},
		{"Patient", "identifier=|MRN-00042", `(match identifier (eq s "") (eq c "MRN-00042"))`},
		{"Patient", "identifier=http://clinic.example/mrn|", `(match identifier (eq s "http://clinic.example/mrn"))`},
		{"Patient", `identifier=urn:x\|y|1`, `(match identifier (eq s "urn:x|y") (eq c "1"))`},
		{"Patient", "identifier:text=MRN", `(match identifier (prefix t "mrn"))`},
		{"Patient", "identifier:of-type=http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-00042", `(match identifier:of-type (eq s "http://terminology.hl7.org/CodeSystem/v2-0203") (eq c "MR") (eq t "MRN-00042"))`},
		{"Patient", "gender:not=male", `(not (match gender (eq c "male")))`},
		{"Patient", "gender:not=male,other", `(not (or (match gender (eq c "male")) (match gender (eq c "other"))))`},
		{"Patient", "active=true", `(match active (eq c "true"))`},
		{"Patient", "deceased=false", `(match deceased (eq c "false"))`},
		{"Patient", "phone=555-0100", `(match phone (eq c "555-0100"))`},
		{"Patient", "_tag=http://clinic.example/tags|import-2024", `(match _tag (eq s "http://clinic.example/tags") (eq c "import-2024"))`},

		// _id and :missing
		{"Patient", "_id=p1", `(id "p1")`},
		{"Patient", "_id=p1,p2&_id=p3", `(and (id "p1" "p2") (id "p3"))`},
		{"Patient", "_id:not=p1", `(not (match _id (eq c "p1")))`},
		{"Patient", "birthdate:missing=true", `(missing birthdate true)`},
		{"Patient", "name:missing=false", `(missing name false)`},
		{"Observation", "code-value-quantity:missing=true", `(missing code-value-quantity true)`},

		// date: precision ranges and every prefix
		{"Patient", "birthdate=1984", `(match birthdate (ge lo @1984-01-01T00:00:00.000Z) (le hi @1984-12-31T23:59:59.999Z))`},
		{"Patient", "birthdate=eq1984-03-07", `(match birthdate (ge lo @1984-03-07T00:00:00.000Z) (le hi @1984-03-07T23:59:59.999Z))`},
		{"Patient", "birthdate=ne1984-03", `(and (missing birthdate false) (not (match birthdate (ge lo @1984-03-01T00:00:00.000Z) (le hi @1984-03-31T23:59:59.999Z))))`},
		{"Patient", "birthdate=gt1990-01", `(match birthdate (gt hi @1990-01-31T23:59:59.999Z))`},
		{"Patient", "birthdate=ge1990-01-01", `(match birthdate (ge hi @1990-01-01T00:00:00.000Z))`},
		{"Patient", "birthdate=lt1990-01-01", `(match birthdate (lt lo @1990-01-01T00:00:00.000Z))`},
		{"Patient", "birthdate=le1990", `(match birthdate (le lo @1990-12-31T23:59:59.999Z))`},
		{"Patient", "birthdate=sa1990", `(match birthdate (gt lo @1990-12-31T23:59:59.999Z))`},
		{"Patient", "birthdate=eb1990", `(match birthdate (lt hi @1990-01-01T00:00:00.000Z))`},
		// ap: 10% of the distance to now (2024-06-01) on each side: 1 day here
		{"Patient", "birthdate=ap2024-05-22", `(match birthdate (le lo @2024-05-23T23:59:59.999Z) (ge hi @2024-05-21T00:00:00.000Z))`},
		{"Patient", "death-date=2023-11-02T14:00:00+01:00", `(match death-date (ge lo @2023-11-02T13:00:00.000Z) (le hi @2023-11-02T13:00:00.999Z))`},
		{"Patient", "_lastUpdated=gt2024-05-01T12:00:00Z", `(match _lastUpdated (gt hi @2024-05-01T12:00:00.999Z))`},
		{"Appointment", "date=ge2024-06-03&date=lt2024-06-04&status=booked", `(and (match date (ge hi @2024-06-03T00:00:00.000Z)) (match date (lt lo @2024-06-04T00:00:00.000Z)) (match status (eq c "booked")))`},
		{"MedicationAdministration", "effective-time=2024-05-01", `(match effective-time (ge lo @2024-05-01T00:00:00.000Z) (le hi @2024-05-01T23:59:59.999Z))`},
		{"Specimen", "collected=le2024-05-01T08:00:00Z", `(match collected (le lo @2024-05-01T08:00:00.999Z))`},
		{"AuditEvent", "date=ge2024-05-01&date=le2024-05-31&patient=p1", `(and (match date (ge hi @2024-05-01T00:00:00.000Z)) (match date (le lo @2024-05-31T23:59:59.999Z)) (match patient (eq s "Patient") (eq c "p1")))`},

		// quantity: canonical UCUM, unit only, system and unit, value only
		{"Observation", "value-quantity=70|http://unitsofmeasure.org|kg", `(match value-quantity (eq cu "g") (ge clo 69500) (le chi 70500))`},
		{"Observation", "value-quantity=gt5.4|http://unitsofmeasure.org|mg", `(match value-quantity (eq cu "g") (gt chi 0.0054))`},
		{"Observation", "value-quantity=le100|http://unitsofmeasure.org|/min", `(match value-quantity (eq cu "s-1") (le clo 1.66666666666667))`},
		{"Observation", "value-quantity=5.4||mg", `(match value-quantity (eq u "mg") (ge lo 5.35) (le hi 5.45))`},
		{"Observation", "value-quantity=5|http://snomed.info/sct|258684004", `(match value-quantity (eq us "http://snomed.info/sct") (eq u "258684004") (ge lo 4.5) (le hi 5.5))`},
		{"Observation", "value-quantity=7|http://unitsofmeasure.org|{nonsense", `(match value-quantity (eq us "http://unitsofmeasure.org") (eq u "{nonsense") (ge lo 6.5) (le hi 7.5))`},
		{"Observation", "value-quantity=5.4", `(match value-quantity (ge lo 5.35) (le hi 5.45))`},
		{"Observation", "value-quantity=gt100", `(match value-quantity (gt hi 100))`},
		{"Observation", "value-quantity=ap100", `(match value-quantity (le lo 110) (ge hi 90))`},
		{"Observation", "value-quantity=ap1", `(match value-quantity (le lo 1.5) (ge hi 0.5))`}, // precision wider than 10%
		{"Observation", "value-quantity=ne5", `(and (missing value-quantity false) (not (match value-quantity (ge lo 4.5) (le hi 5.5))))`},

		// reference: id, Type/id, absolute URL, :type, :identifier
		{"Observation", "subject=Patient/p1", `(match subject (eq s "Patient") (eq c "p1"))`},
		{"Observation", "subject=https://ehr.example/fhir/Patient/p1", `(match subject (eq s "Patient") (eq c "p1"))`},
		{"Observation", "subject=p1", `(match subject (eq c "p1"))`}, // several targets: any type
		{"Observation", "subject:Patient=p1", `(match subject (eq s "Patient") (eq c "p1"))`},
		{"Observation", "specimen=sp1", `(match specimen (eq s "Specimen") (eq c "sp1"))`}, // single target
		{"Observation", "subject=urn:uuid:0a1b", `(match subject (eq c "urn:uuid:0a1b"))`},
		{"Observation", "based-on:identifier=http://orders.example|ORD-77", `(match based-on:identifier (eq s "http://orders.example") (eq c "ORD-77"))`},
		{"Observation", "patient=p1,p2", `(or (match patient (eq s "Patient") (eq c "p1")) (match patient (eq s "Patient") (eq c "p2")))`},
		{"Appointment", "actor:Location=room-2", `(match actor (eq s "Location") (eq c "room-2"))`},

		// uri
		{"Patient", "_profile=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient", `(match _profile (eq c "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"))`},
		{"Patient", "_profile:below=http://hl7.org/fhir/us/core", `(match _profile (prefix c "http://hl7.org/fhir/us/core"))`},
		{"AuditEvent", "policy:above=http://clinic.example/policy/treatment", `(or (match policy (eq c "http://clinic.example/policy/treatment")) (match policy (eq c "http://clinic.example/policy")) (match policy (eq c "http://clinic.example")))`},

		// composite: the parts of one entry in one match
		{"Observation", "code-value-quantity=http://loinc.org|29463-7$gt150|http://unitsofmeasure.org|[lb_av]", `(match code-value-quantity (eq s "http://loinc.org") (eq c "29463-7") (eq cu "g") (gt chi 68038.8555))`},
		{"Observation", "component-code-value-quantity=http://loinc.org|8480-6$ge140", `(match component-code-value-quantity (eq s "http://loinc.org") (eq c "8480-6") (ge hi 140))`},
		{"Observation", "combo-code-value-quantity=8480-6$lt90,8462-4$lt60", `(or (match combo-code-value-quantity (eq c "8480-6") (lt lo 90)) (match combo-code-value-quantity (eq c "8462-4") (lt lo 60)))`},
		{"Observation", "code-value-concept=http://loinc.org|94500-6$http://snomed.info/sct|260373001", `(match code-value-concept (eq s "http://loinc.org") (eq c "94500-6") (eq us "http://snomed.info/sct") (eq u "260373001"))`},
		{"Observation", "code-value-string=http://loinc.org|5778-6$Yellow", `(match code-value-string (eq s "http://loinc.org") (eq c "5778-6") (prefix t "yellow"))`},
		{"Observation", "code-value-date=8665-2$ge2024-01", `(match code-value-date (eq c "8665-2") (ge hi @2024-01-01T00:00:00.000Z))`},
		{"Observation", "code-value-quantity=8480-6$ne120", `(and (missing code-value-quantity false) (not (match code-value-quantity (eq c "8480-6") (ge lo 119.5) (le hi 120.5))))`},
		{"Observation", `code-value-string=x$a\$b`, `(match code-value-string (eq c "x") (prefix t "a$b"))`},

		// chaining and reverse chaining, one level
		{"Observation", "subject:Patient.name=zoe", `(chain subject Patient (match name (prefix c "zoe")))`},
		{"Observation", "patient.birthdate=ge1980&patient.birthdate=lt1990", `(and (chain patient Patient (match birthdate (ge hi @1980-01-01T00:00:00.000Z))) (chain patient Patient (match birthdate (lt lo @1990-01-01T00:00:00.000Z))))`},
		{"Observation", "specimen.accession=ACC-1,ACC-2", `(chain specimen Specimen (or (match accession (eq c "ACC-1")) (match accession (eq c "ACC-2"))))`},
		{"Observation", "patient._id=p1", `(chain patient Patient (id "p1"))`},
		{"Observation", "patient.name:exact=Zoë", `(chain patient Patient (match name (eq t "Zoë")))`},
		{"Patient", "_has:Observation:patient:code=http://loinc.org|85354-9", `(has Observation patient (match code (eq s "http://loinc.org") (eq c "85354-9")))`},
		{"Patient", "_has:Appointment:patient:status=noshow", `(has Appointment patient (match status (eq c "noshow")))`},
		{"Patient", "_has:Observation:subject:code:text=blood", `(has Observation subject (match code (prefix t "blood")))`},
		{"Specimen", "_has:Observation:specimen:code=2345-7&type=122555007", `(and (has Observation specimen (match code (eq c "2345-7"))) (match type (eq c "122555007")))`},

		// result parameters do not filter
		{"Observation", "_count=10&_sort=-date&_format=json&_pretty=true", ``},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query, func(t *testing.T) {
			req, err := parse(t, tt.typ, tt.query, Options{Strict: true})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if req.Where != nil {
				got = req.Where.String()
			}
			if want := expand(t, tt.want); got != want {
				t.Errorf("\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestParseErrors: malformed values are refused naming the parameter, in
// lenient mode too; so are unknown parameters and modifiers when strict.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		typ, query string
		strict     bool
		param, msg string
	}{
		{"Patient", "birthdate=1984-13", false, "birthdate", "is not a date"},
		{"Patient", "birthdate=xx2020", false, "birthdate", `unknown prefix "xx"`},
		{"Patient", "birthdate=2020-01-01T10:00", false, "", ""}, // minutes are fine
		{"Patient", "birthdate:missing=maybe", false, "birthdate:missing", "true or false"},
		{"Observation", "value-quantity=abc|http://unitsofmeasure.org|mg", false, "value-quantity", `unknown prefix "ab"`},
		{"Observation", "value-quantity=1a|http://unitsofmeasure.org|mg", false, "value-quantity", "not a decimal"},
		{"Observation", "value-quantity=|http://unitsofmeasure.org|mg", false, "value-quantity", "not a decimal"},
		{"Observation", "value-quantity=5|mg", false, "value-quantity", "not a quantity"},
		{"Observation", "value-quantity=gt", false, "value-quantity", "not a decimal"},
		{"Observation", "code-value-quantity=http://loinc.org|8480-6", false, "code-value-quantity", "takes 2 values"},
		{"Observation", "code-value-quantity=8480-6$x", false, "code-value-quantity", "not a decimal"},
		{"Patient", "identifier=a|b|c", false, "identifier", "not a token"},
		{"Patient", "identifier=|", false, "identifier", "not a token"},
		{"Patient", "identifier:of-type=MR|x", false, "identifier:of-type", "typeSystem|typeCode|value"},
		{"Observation", "subject:Patient=Group/g1", false, "subject:Patient", "does not point to a Patient"},
		{"Observation", "subject.name=zoe", false, "subject.name", "name the type"},
		{"Observation", "subject:Practitioner2.name=x", false, "subject:Practitioner2.name", "cannot point to Practitioner2"},
		{"Patient", "_has:Observation:patient=x", false, "_has:Observation:patient", "_has:Type:reference:parameter"},
		{"Patient", "_has:Observation:specimen:code=x", false, "_has:Observation:specimen:code", "not a reference to Patient"},
		{"Patient", "_count=-1", false, "_count", "non-negative"},
		{"Patient", "_count=ten", false, "_count", "non-negative"},
		{"Patient", "_count=1&_count=2", false, "_count", "more than once"},
		{"Patient", "_sort=shoe-size", false, "_sort", `unknown search parameter "shoe-size"`},
		{"Observation", "_sort=code-value-quantity", false, "_sort", "composite"},
		{"Patient", "_total=all", false, "_total", "not one of none, estimate, accurate"},
		{"Patient", "_summary=yes", false, "_summary", "not one of"},
		{"Patient", "_elements=na me", false, "_elements", "not an element name"},
		{"Patient", "_format=xml", false, "_format", "only JSON"},
		{"Observation", "_include=Observation:foo", false, "_include", "not a reference parameter"},
		{"Observation", "_include=Observation:status", false, "_include", "not a reference parameter"},
		{"Observation", "_include=Patient:general-practitioner", false, "_include", "source type must be Observation"},
		{"Observation", "_include=Observation:subject:Practitioner", false, "_include", "cannot point to Practitioner"},
		{"Observation", "_include=Observation:*", false, "_include", "wildcard"},
		{"Observation", "_include=Observation", false, "_include", "SourceType:parameter"},
		{"Observation", "_include:deep=Observation:subject", false, "_include:deep", "only :iterate"},
		{"Patient", "_revinclude=Observation:specimen", false, "_revinclude", "cannot point to Patient"},
		{"Patient", "_revinclude=Practitioner:x", false, "_revinclude", "not served"},
		// strict: the server refuses what it would otherwise ignore
		{"Patient", "shoe-size=42", true, "shoe-size", `unknown search parameter "shoe-size" for Patient`},
		{"Patient", "name:above=x", true, "name:above", "modifier :above is not supported for name"},
		{"Patient", "phonetic:contains=x", true, "phonetic:contains", "modifier :contains is not supported"},
		{"Patient", "gender:below=x", true, "gender:below", "modifier :below"},
		{"Patient", "birthdate:exact=2000", true, "birthdate:exact", "modifier :exact"},
		{"Patient", "_text=cough", true, "_text", "Patient._text is not supported"},
		{"Patient", "_query=x", true, "_query", "not supported"},
		{"Patient", "name[0]=x", true, "name[0]", "unknown search parameter"},
		{"Patient", "a$b=x", true, "a$b", "unknown search parameter"},
		{"Patient", "general-practitioner:Practitioner.name=house", true, "general-practitioner:Practitioner.name", "does not store Practitioner"},
		{"Observation", "patient.link.name=x", true, "patient.link.name", "more than one level"},
		{"Observation", "status.name=x", true, "status.name", "not a reference"},
		{"Patient", "_has:Observation:patient:_has:Observation:x:y=1", true, "_has:Observation:patient:_has:Observation:x:y", "nested"},
		{"Patient", "_has:Practitioner:x:y=1", true, "_has:Practitioner:x:y", "does not store Practitioner"},
		{"Patient", "_list=x", true, "_list", "unknown search parameter"},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query, func(t *testing.T) {
			_, err := parse(t, tt.typ, tt.query, Options{Strict: tt.strict})
			if tt.param == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			var pe *ParamError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *ParamError", err, err)
			}
			if pe.Param != tt.param || !strings.Contains(pe.Msg, tt.msg) {
				t.Errorf("got ParamError{%q, %q}, want param %q and a message with %q", pe.Param, pe.Msg, tt.param, tt.msg)
			}
		})
	}
}

// TestParseWarnings: lenient mode ignores what it cannot honour and says so.
func TestParseWarnings(t *testing.T) {
	tests := []struct {
		typ, query, where string
		warnings          []string // "param: message"
	}{
		{"Patient", "shoe-size=42&name=zoe", `(match name (prefix c "zoe"))`, []string{`shoe-size: unknown search parameter "shoe-size" for Patient`}},
		{"Patient", "name:above=x", "", []string{"name:above: modifier :above is not supported for name"}},
		{"Patient", "phonetic:contains=x", "", []string{"phonetic:contains: modifier :contains is not supported for phonetic"}},
		{"Patient", "_content=x&_text=y", "", []string{
			"_content: Patient._content is not supported (the specification gives it no FHIRPath expression)",
			"_text: Patient._text is not supported (the specification gives it no FHIRPath expression)",
		}},
		{"Patient", "general-practitioner:Practitioner.name=house", "", []string{
			"general-practitioner:Practitioner.name: chaining into Practitioner is not supported: the server does not store Practitioner",
		}},
		{"Observation", "subject:Patient.shoe-size=1", "", []string{`subject:Patient.shoe-size: unknown search parameter "shoe-size" for Patient`}},
		{"Patient", "_filter=name eq x", "", []string{`_filter: unknown search parameter "_filter" for Patient`}},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"?"+tt.query, func(t *testing.T) {
			req, err := parse(t, tt.typ, tt.query, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if req.Where != nil {
				got = req.Where.String()
			}
			if got != tt.where {
				t.Errorf("where %s, want %s", got, tt.where)
			}
			var warnings []string
			for _, w := range req.Warnings {
				warnings = append(warnings, w.Param+": "+w.Msg)
			}
			if !slices.Equal(warnings, tt.warnings) {
				t.Errorf("warnings\n got %q\nwant %q", warnings, tt.warnings)
			}
		})
	}
}

func TestParseResultParams(t *testing.T) {
	q := "_sort=-date,_id&_count=5000&_total=none&_summary=data&_elements=id,status&_elements=status,code" +
		"&_include=Observation:subject:Patient&_include:iterate=Patient:general-practitioner" +
		"&_revinclude=Observation:has-member&_revinclude:iterate=Specimen:parent&_format=application/fhir+json&_pretty=true"
	req, err := parse(t, "Observation", q, Options{Strict: true, MaxCount: 100})
	if err != nil {
		t.Fatal(err)
	}
	if req.Type != "Observation" || req.Where != nil {
		t.Errorf("type %q where %v", req.Type, req.Where)
	}
	if want := []SortSpec{{"date", true}, {"_id", false}}; !slices.Equal(req.Sort, want) {
		t.Errorf("sort %v, want %v", req.Sort, want)
	}
	if req.Count != 100 || req.Total != "none" || req.Summary != "data" {
		t.Errorf("count %d total %q summary %q", req.Count, req.Total, req.Summary)
	}
	if want := []string{"id", "status", "code"}; !slices.Equal(req.Elements, want) {
		t.Errorf("elements %v, want %v", req.Elements, want)
	}
	wantInc := []Include{
		{SourceType: "Observation", Param: "subject", TargetType: "Patient"},
		{SourceType: "Patient", Param: "general-practitioner", Iterate: true},
	}
	if !slices.Equal(req.Include, wantInc) {
		t.Errorf("include %+v, want %+v", req.Include, wantInc)
	}
	wantRev := []Include{
		{SourceType: "Observation", Param: "has-member"},
		{SourceType: "Specimen", Param: "parent", Iterate: true},
	}
	if !slices.Equal(req.RevInclude, wantRev) {
		t.Errorf("revinclude %+v, want %+v", req.RevInclude, wantRev)
	}

	// Defaults.
	req, err = parse(t, "Patient", "", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if req.Count != 20 || req.Total != "accurate" || req.Summary != "" || req.Where != nil || len(req.Warnings) != 0 {
		t.Errorf("defaults: %+v", req)
	}
	if req, _ := parse(t, "Patient", "_count=0", Options{}); req.Count != 0 {
		t.Errorf("_count=0 gave %d", req.Count)
	}
	if req, _ := parse(t, "Patient", "", Options{DefaultCount: 50, MaxCount: 10}); req.Count != 10 {
		t.Errorf("default count above the cap gave %d", req.Count)
	}
	if _, err := registry(t).Parse("Practitioner", nil, Options{}); err == nil {
		t.Error("a type not served parsed")
	}
}
