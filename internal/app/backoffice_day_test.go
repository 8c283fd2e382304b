package app_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// A day in the back office, replayed through the API. The same steps are
// the curl walk-through of docs/backoffice-day.md: the test renders them
// and fails when the document differs, so the two cannot drift apart.
// After changing a step, rewrite the document with
//
//	go test ./internal/app -run TestBackOfficeDay -update-doc

var updateDoc = flag.Bool("update-doc", false, "rewrite docs/backoffice-day.md from TestBackOfficeDay")

const (
	dayDoc      = "../../docs/backoffice-day.md"
	dayBegin    = "<!-- begin: written by TestBackOfficeDay (internal/app/backoffice_day_test.go) -->\n"
	dayEnd      = "<!-- end -->\n"
	dayScope    = "user/*.cruds"
	curlBase    = "http://localhost:8080/fhir"
	curlHeaders = `-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/fhir+json"`
)

// dayStep is one request of the day.
type dayStep struct {
	say    string // what happens, for the document
	method string
	path   string // below the FHIR base, with $VARIABLES
	body   string // JSON with $VARIABLES; no other '$', backquote or backslash (a shell here-document)
	prefer bool   // ask for the OperationOutcome (warnings) instead of the resource
	save   string // the variable that takes the created resource's id
	status int
	says   string // text the answer must hold, with $VARIABLES
	found  int    // for a search: how many matches
}

// idOfSaved is the README's sed command: the last "id" of the response,
// which in stored JSON (keys sorted, ids of [a-z2-7]) is the resource's own.
var idOfSaved = regexp.MustCompile(`^.*"id":"([a-z2-7]+)".*$`)

var backOfficeDay = []dayStep{
	{say: "8:05. Register the 9:00 patient.", method: "POST", path: "/Patient", save: "PID", status: 201, body: `{
  "resourceType": "Patient",
  "identifier": [{"system": "http://clinic.example.org/mrn", "value": "MRN-3107"}],
  "name": [{"family": "Okafor", "given": ["Ngozi"]}],
  "gender": "female",
  "birthDate": "1969-05-02",
  "telecom": [{"system": "phone", "value": "+1 555 0142", "use": "mobile"}]
}`},
	{say: "Register the 10:00 patient.", method: "POST", path: "/Patient", save: "PID2", status: 201, body: `{
  "resourceType": "Patient",
  "identifier": [{"system": "http://clinic.example.org/mrn", "value": "MRN-3108"}],
  "name": [{"family": "Lindqvist", "given": ["Erik"]}],
  "gender": "male",
  "birthDate": "1990-11-23"
}`},
	{say: "Book both with Dr. Adams in exam room 1, 20 minutes each.", method: "POST", path: "/Appointment", save: "APPT", status: 201, body: appointmentDay("booked", "$PID", "09:00", "09:20", "")},
	{method: "POST", path: "/Appointment", save: "APPT2", status: 201, body: appointmentDay("booked", "$PID2", "10:00", "10:20", "")},
	{say: "Double booking is refused (409): the answer names the appointment that holds the slot.", method: "POST", path: "/Appointment", status: 409, says: "Appointment/$APPT",
		body: appointmentDay("booked", "$PID2", "09:10", "09:30", "")},
	{say: "8:58. The patient arrives: check in.", method: "PUT", path: "/Appointment/$APPT", status: 200, body: appointmentDay("arrived", "$PID", "09:00", "09:20", "$APPT")},
	{say: "Vital signs. Blood pressure is one panel with systolic and diastolic components.", method: "POST", path: "/Observation", save: "BP", status: 201,
		body: vitalDay("85354-9", "Blood pressure panel with all children optional", `"component": [
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}]},
     "valueQuantity": {"value": 138, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4", "display": "Diastolic blood pressure"}]},
     "valueQuantity": {"value": 86, "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
  ]`)},
	{say: "Heart rate.", method: "POST", path: "/Observation", save: "HR", status: 201, body: vitalDay("8867-4", "Heart rate", quantityDay(76, "beats/minute", "/min"))},
	{say: "Body temperature, in degrees Fahrenheit (the limits are in Celsius; the server converts).", method: "POST", path: "/Observation", save: "TEMP", status: 201,
		body: vitalDay("8310-5", "Body temperature", quantityDay(98.9, "degF", "[degF]"))},
	{say: "A typo: 400 beats per minute cannot be physiological, so it is refused (422).", method: "POST", path: "/Observation", status: 422, says: "350 /min",
		body: vitalDay("8867-4", "Heart rate", quantityDay(400, "beats/minute", "/min"))},
	{say: "Oxygen saturation 87 %: possible but unusual, so it is stored with a warning.", method: "POST", path: "/Observation", prefer: true, status: 201,
		body: vitalDay("2708-6", "Oxygen saturation in Arterial blood", quantityDay(87, "%", "%"))},
	{say: "Measured again after the patient has rested: 96 %.", method: "POST", path: "/Observation", save: "SPO2", status: 201,
		body: vitalDay("2708-6", "Oxygen saturation in Arterial blood", quantityDay(96, "%", "%"))},
	{say: "Weight, height and body mass index.", method: "POST", path: "/Observation", save: "WEIGHT", status: 201, body: vitalDay("29463-7", "Body weight", quantityDay(78.4, "kg", "kg"))},
	{method: "POST", path: "/Observation", save: "HEIGHT", status: 201, body: vitalDay("8302-2", "Body height", quantityDay(167, "cm", "cm"))},
	{method: "POST", path: "/Observation", save: "BMI", status: 201, body: vitalDay("39156-5", "Body mass index (BMI) [Ratio]", quantityDay(28.1, "kg/m2", "kg/m2"))},
	{say: "The vital signs panel groups the set.", method: "POST", path: "/Observation", save: "VITALS", status: 201,
		body: vitalDay("85353-1", "Vital signs, weight, height, head circumference, oxygen saturation and BMI panel", `"hasMember": [
    {"reference": "Observation/$BP"}, {"reference": "Observation/$HR"}, {"reference": "Observation/$TEMP"},
    {"reference": "Observation/$SPO2"}, {"reference": "Observation/$WEIGHT"}, {"reference": "Observation/$HEIGHT"},
    {"reference": "Observation/$BMI"}
  ]`)},
	{say: "9:25. Draw blood for the lab: a specimen with its accession number.", method: "POST", path: "/Specimen", save: "SPEC", status: 201, body: `{
  "resourceType": "Specimen",
  "status": "available",
  "accessionIdentifier": {"system": "http://lab.example.org/accession", "value": "ACC-2025-0603-017"},
  "type": {"coding": [{"system": "http://snomed.info/sct", "code": "122555007", "display": "Venous blood specimen"}]},
  "subject": {"reference": "Patient/$PID"},
  "collection": {
    "collector": {"reference": "Practitioner/ma-1"},
    "collectedDateTime": "2025-06-03T09:25:00-05:00",
    "quantity": {"value": 4, "unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"},
    "bodySite": {"coding": [{"system": "http://snomed.info/sct", "code": "368208006", "display": "Left upper arm structure"}]},
    "method": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0488", "code": "LNV", "display": "Line, Venous"}]}
  },
  "container": [{
    "type": {"coding": [{"system": "http://snomed.info/sct", "code": "702281005", "display": "Evacuated blood collection tube"}]},
    "specimenQuantity": {"value": 4, "unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"}
  }]
}`},
	{say: "9:35. A flu shot on Dr. Adams's order (CVX 140), in the left deltoid.", method: "POST", path: "/MedicationAdministration", save: "VAX", status: 201, body: `{
  "resourceType": "MedicationAdministration",
  "status": "completed",
  "medicationCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "140", "display": "Influenza, seasonal, injectable, preservative free"}]},
  "subject": {"reference": "Patient/$PID"},
  "effectiveDateTime": "2025-06-03T09:35:00-05:00",
  "performer": [{"actor": {"reference": "Practitioner/ma-1"}}],
  "request": {"reference": "MedicationRequest/flu-2025-3107"},
  "dosage": {
    "site": {"coding": [{"system": "http://snomed.info/sct", "code": "368208006", "display": "Left upper arm structure"}]},
    "route": {"coding": [{"system": "http://snomed.info/sct", "code": "78421000", "display": "Intramuscular route"}]},
    "dose": {"value": 0.5, "unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"}
  }
}`},
	{say: "10:20. The 10:00 patient did not come: mark the no-show.", method: "PUT", path: "/Appointment/$APPT2", status: 200, body: appointmentDay("noshow", "$PID2", "10:00", "10:20", "$APPT2")},
	{say: "13:10. The lab's results arrive, each pointing to the specimen.", method: "POST", path: "/Observation", save: "GLU", status: 201,
		body: labDay("2339-0", "Glucose [Mass/volume] in Blood", quantityDay(104, "mg/dL", "mg/dL"))},
	{method: "POST", path: "/Observation", save: "HGB", status: 201, body: labDay("718-7", "Hemoglobin [Mass/volume] in Blood", quantityDay(12.9, "g/dL", "g/dL"))},
	{say: "The visit is over.", method: "PUT", path: "/Appointment/$APPT", status: 200, body: appointmentDay("fulfilled", "$PID", "09:00", "09:20", "$APPT")},
	{say: "End of the day: everything is there.", method: "GET", path: "/Observation?patient=$PID&category=vital-signs", status: 200, found: 9},
	{method: "GET", path: "/Observation?patient=$PID&category=laboratory", status: 200, found: 2},
	{method: "GET", path: "/Specimen?patient=$PID", status: 200, found: 1},
	{method: "GET", path: "/MedicationAdministration?patient=$PID", status: 200, found: 1},
	{method: "GET", path: "/Appointment?status=noshow&date=2025-06-03", status: 200, found: 1},
	{method: "GET", path: "/Appointment?patient=$PID&status=fulfilled", status: 200, found: 1},
}

// appointmentDay is an appointment of patient with Dr. Adams in exam room 1
// on the day; id is "" for a new one.
func appointmentDay(status, patient, start, end, id string) string {
	idLine := ""
	if id != "" {
		idLine = fmt.Sprintf("\n  \"id\": %q,", id)
	}
	return fmt.Sprintf(`{
  "resourceType": "Appointment",%s
  "status": %q,
  "serviceCategory": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/service-category", "code": "17", "display": "General Practice"}]}],
  "appointmentType": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0276", "code": "ROUTINE", "display": "Routine appointment"}]},
  "start": "2025-06-03T%s:00-05:00",
  "end": "2025-06-03T%s:00-05:00",
  "minutesDuration": 20,
  "participant": [
    {"actor": {"reference": "Patient/%s"}, "required": "required", "status": "accepted"},
    {"actor": {"reference": "Practitioner/dr-adams", "display": "Dr. Amy Adams"}, "required": "required", "status": "accepted"},
    {"actor": {"reference": "Location/exam-1", "display": "Exam room 1"}, "required": "required", "status": "accepted"}
  ]
}`, idLine, status, start, end, patient)
}

func quantityDay(value float64, unit, code string) string {
	return fmt.Sprintf(`"valueQuantity": {"value": %v, "unit": %q, "system": "http://unitsofmeasure.org", "code": %q}`, value, unit, code)
}

func vitalDay(code, display, value string) string {
	return observationDay("vital-signs", "Vital Signs", code, display, "2025-06-03T09:05:00-05:00", value)
}

func labDay(code, display, value string) string {
	return observationDay("laboratory", "Laboratory", code, display, "2025-06-03T09:25:00-05:00",
		`"specimen": {"reference": "Specimen/$SPEC"},`+"\n  "+value)
}

func observationDay(category, categoryDisplay, code, display, when, rest string) string {
	return fmt.Sprintf(`{
  "resourceType": "Observation",
  "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": %q, "display": %q}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": %q, "display": %q}]},
  "subject": {"reference": "Patient/$PID"},
  "effectiveDateTime": %q,
  %s
}`, category, categoryDisplay, code, display, when, rest)
}

func TestBackOfficeDay(t *testing.T) {
	t.Run("document", func(t *testing.T) { checkDayDocument(t, renderDay()) })
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, dayScope, "")
		vars := map[string]string{}
		for i, st := range backOfficeDay {
			var headers []string
			if st.prefer {
				headers = []string{"Prefer", "return=OperationOutcome"}
			}
			var body any
			if st.body != "" {
				body = expand(t, st.body, vars)
			}
			r := s.do(st.method, "/fhir"+expand(t, st.path, vars), tok, body, headers...)
			if r.Status != st.status {
				t.Fatalf("step %d (%s %s): status %d, want %d: %s", i+1, st.method, st.path, r.Status, st.status, r.Body)
			}
			if st.says != "" && !strings.Contains(string(r.Body), expand(t, st.says, vars)) {
				t.Errorf("step %d: the answer does not say %q: %s", i+1, st.says, r.Body)
			}
			switch {
			case st.save != "":
				vars[st.save] = savedID(t, r)
			case st.prefer && len(warningExpressions(t, r)) == 0:
				t.Errorf("step %d: no warning: %s", i+1, r.Body)
			case st.method == "GET":
				if got := len(ids(t, r)); got != st.found {
					t.Errorf("step %d (%s): %d matches, want %d: %s", i+1, st.path, got, st.found, r.Body)
				}
			}
		}
	})
}

// savedID takes the new resource's id the way the document does (sed), and
// checks that it is the id indeed.
func savedID(t *testing.T, r *reply) string {
	t.Helper()
	id, _ := r.json(t)["id"].(string)
	m := idOfSaved.FindSubmatch(r.Body)
	if bytes.Contains(r.Body, []byte("\n")) || m == nil || string(m[1]) != id {
		t.Fatalf("sed would not capture the id %q from %s", id, r.Body)
	}
	return id
}

// renderDay writes the steps as a shell session.
func renderDay() string {
	var b strings.Builder
	b.WriteString("```sh\nmake build\n")
	fmt.Fprintf(&b, "TOKEN=$(bin/ehrctl token --secret \"$(cat data/quickstart.secret)\" --sub ma-1 --scope %q)\n", dayScope)
	for _, st := range backOfficeDay {
		if st.say != "" || st.method != "GET" { // searches without a word of their own stay together
			b.WriteString("\n")
		}
		if st.say != "" {
			fmt.Fprintf(&b, "# %s\n", st.say)
		}
		if st.method == "GET" {
			fmt.Fprintf(&b, "curl -s \"%s%s\" -H \"Authorization: Bearer $TOKEN\"; echo\n", curlBase, st.path)
			continue
		}
		fmt.Fprintf(&b, "curl -s -X %s %s%s \\\n  %s", st.method, curlBase, st.path, curlHeaders)
		if st.prefer {
			b.WriteString(` -H "Prefer: return=OperationOutcome"`)
		}
		out := "; echo"
		if st.save != "" {
			out = " > " + strings.ToLower(st.save) + ".json"
		}
		fmt.Fprintf(&b, " \\\n  --data-binary @- <<EOF%s\n%s\nEOF\n", out, st.body)
		if st.save != "" {
			fmt.Fprintf(&b, "%s=$(sed -E 's/.*\"id\":\"([a-z2-7]+)\".*/\\1/' %s.json)\n", st.save, strings.ToLower(st.save))
			fmt.Fprintf(&b, "echo \"created %s/$%s\"\n", typeOf(st.path), st.save)
		}
	}
	b.WriteString("```\n")
	return b.String()
}

func typeOf(path string) string {
	typ, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return typ
}

// checkDayDocument compares the walk-through in the document with the
// steps, or rewrites it with -update-doc.
func checkDayDocument(t *testing.T, script string) {
	raw, err := os.ReadFile(dayDoc)
	if err != nil {
		t.Fatalf("read the walk-through: %v", err)
	}
	doc := string(raw)
	head, rest, okBegin := strings.Cut(doc, dayBegin)
	current, tail, okEnd := strings.Cut(rest, dayEnd)
	if !okBegin || !okEnd {
		t.Fatalf("%s lacks the markers %q and %q", dayDoc, dayBegin, dayEnd)
	}
	if current == script {
		return
	}
	if !*updateDoc {
		t.Fatalf("%s is out of date with the steps of this test; run go test ./internal/app -run TestBackOfficeDay -update-doc", dayDoc)
	}
	if err := os.WriteFile(dayDoc, []byte(head+dayBegin+script+dayEnd+tail), 0o644); err != nil {
		t.Fatalf("rewrite the walk-through: %v", err)
	}
}
