package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The back office's clinical rules (internal/rules) over HTTP: vital signs,
// lab results, specimens, medication administrations, appointments and
// references. Fixtures use real LOINC, UCUM, SNOMED CT, RxNorm and CVX codes.

const (
	loinc      = "http://loinc.org"
	ucumSystem = "http://unitsofmeasure.org"
	obsCat     = "http://terminology.hl7.org/CodeSystem/observation-category"
)

// expand fills $NAME placeholders in a fixture. An unknown name is a bug in
// the test, so it fails.
func expand(t *testing.T, s string, vars map[string]string) string {
	t.Helper()
	return os.Expand(s, func(name string) string {
		v, ok := vars[name]
		if !ok {
			t.Fatalf("fixture uses $%s, which is not set", name)
		}
		return v
	})
}

// edit is one change to a JSON fixture: value at a dotted path
// (component[0].valueQuantity.value), or the removal of the element when
// value is drop.
type edit struct {
	path  string
	value any
}

var drop = &struct{}{}

func set(path string, value any) edit { return edit{path, value} }
func del(path string) edit            { return edit{path, drop} }

// with applies edits to a JSON fixture.
func with(t *testing.T, body string, edits ...edit) string {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("fixture is not JSON: %v\n%s", err, body)
	}
	for _, e := range edits {
		if err := apply(doc, strings.Split(e.path, "."), e.value); err != nil {
			t.Fatalf("edit %s: %v", e.path, err)
		}
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func apply(node any, path []string, value any) error {
	name, index, hasIndex := strings.Cut(strings.TrimSuffix(path[0], "]"), "[")
	m, ok := node.(map[string]any)
	if !ok {
		return fmt.Errorf("%s: parent is not an object", path[0])
	}
	last := len(path) == 1
	if !hasIndex {
		switch {
		case last && value == drop:
			delete(m, name)
		case last:
			m[name] = value
		default:
			if m[name] == nil {
				m[name] = map[string]any{}
			}
			return apply(m[name], path[1:], value)
		}
		return nil
	}
	list, _ := m[name].([]any)
	i, err := strconv.Atoi(index)
	if err != nil || i < 0 || i >= len(list) {
		return fmt.Errorf("%s: no item %s", name, index)
	}
	switch {
	case last && value == drop:
		m[name] = slices.Delete(list, i, i+1)
	case last:
		list[i] = value
	default:
		return apply(list[i], path[1:], value)
	}
	return nil
}

// outcomeCheck is what a write must answer.
type outcomeCheck struct {
	status int
	expr   string // an issue expression the OperationOutcome must hold ("" = none checked)
	says   string // text the OperationOutcome must contain
	warn   string // on success: a warning at this expression (asked for with Prefer)
}

// check sends a write and checks its answer; it returns the reply.
func (c outcomeCheck) check(t *testing.T, s *server, tok, method, path, body string) *reply {
	t.Helper()
	var headers []string
	if c.warn != "" {
		headers = []string{"Prefer", "return=OperationOutcome"}
	}
	r := must(t, s.do(method, path, tok, body, headers...), c.status)
	if c.expr != "" {
		if exprs := issueExpressions(t, r); !slices.Contains(exprs, c.expr) {
			t.Errorf("issues name %v, want %s: %s", exprs, c.expr, r.Body)
		}
	}
	if c.says != "" && !strings.Contains(string(r.Body), c.says) {
		t.Errorf("response does not say %q: %s", c.says, r.Body)
	}
	if c.warn != "" {
		if ws := warningExpressions(t, r); !slices.Contains(ws, c.warn) {
			t.Errorf("warnings at %v, want one at %s: %s", ws, c.warn, r.Body)
		}
	}
	return r
}

// warningExpressions collects the expressions of warning issues.
func warningExpressions(t *testing.T, r *reply) []string {
	t.Helper()
	var out []string
	list, _ := r.json(t)["issue"].([]any)
	for _, is := range list {
		m := is.(map[string]any)
		if m["severity"] != "warning" {
			continue
		}
		exprs, _ := m["expression"].([]any)
		for _, e := range exprs {
			out = append(out, e.(string))
		}
	}
	return out
}

// Common answers.
var created = outcomeCheck{status: http.StatusCreated}

func unprocessable(expr string) outcomeCheck {
	return outcomeCheck{status: http.StatusUnprocessableEntity, expr: expr}
}

// createCase is one create and what it must answer.
type createCase struct {
	name string
	body string
	outcomeCheck
}

func runCreates(t *testing.T, s *server, tok, typ string, cases []createCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.check(t, s, tok, "POST", "/fhir/"+typ, c.body)
		})
	}
}

// statusStep moves a resource to a status by update.
type statusStep struct {
	status string
	outcomeCheck
}

// walkStatuses creates body, then updates its status step by step.
func walkStatuses(t *testing.T, s *server, tok, typ, body string, steps []statusStep) {
	t.Helper()
	id := create(t, s, tok, typ, body)["id"].(string)
	for _, st := range steps {
		t.Run("to "+st.status, func(t *testing.T) {
			st.check(t, s, tok, "PUT", "/fhir/"+typ+"/"+id, with(t, body, set("id", id), set("status", st.status)))
		})
	}
}

// Fixtures. $PID is the patient, $PRAC a practitioner.

func vitalSign(code, display string, value float64, unit string) string {
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",`+
		`"category":[{"coding":[{"system":%q,"code":"vital-signs","display":"Vital Signs"}]}],`+
		`"code":{"coding":[{"system":%q,"code":%q,"display":%q}]},`+
		`"subject":{"reference":"Patient/$PID"},"effectiveDateTime":"2025-06-02T09:05:00-05:00",`+
		`"valueQuantity":{"value":%v,"unit":%q,"system":%q,"code":%q}}`,
		obsCat, loinc, code, display, value, unit, ucumSystem, unit)
}

func bloodPressure(systolic, diastolic float64) string {
	component := func(code, display string, v float64) string {
		return fmt.Sprintf(`{"code":{"coding":[{"system":%q,"code":%q,"display":%q}]},`+
			`"valueQuantity":{"value":%v,"unit":"mmHg","system":%q,"code":"mm[Hg]"}}`, loinc, code, display, v, ucumSystem)
	}
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",`+
		`"category":[{"coding":[{"system":%q,"code":"vital-signs"}]}],`+
		`"code":{"coding":[{"system":%q,"code":"85354-9","display":"Blood pressure panel with all children optional"}]},`+
		`"subject":{"reference":"Patient/$PID"},"effectiveDateTime":"2025-06-02T09:06:00-05:00",`+
		`"bodySite":{"coding":[{"system":"http://snomed.info/sct","code":"368209003","display":"Right upper arm structure"}]},`+
		`"component":[%s,%s]}`, obsCat, loinc,
		component("8480-6", "Systolic blood pressure", systolic), component("8462-4", "Diastolic blood pressure", diastolic))
}

func labResult(code, display string, value float64, unit string) string {
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",`+
		`"category":[{"coding":[{"system":%q,"code":"laboratory"}]}],`+
		`"code":{"coding":[{"system":%q,"code":%q,"display":%q}]},`+
		`"subject":{"reference":"Patient/$PID"},"specimen":{"reference":"Specimen/$SPEC"},`+
		`"effectiveDateTime":"2025-06-02T09:30:00-05:00","issued":"2025-06-02T13:02:00-05:00",`+
		`"valueQuantity":{"value":%v,"unit":%q,"system":%q,"code":%q}}`,
		obsCat, loinc, code, display, value, unit, ucumSystem, unit)
}

const specimenJSON = `{"resourceType":"Specimen","status":"available",
 "accessionIdentifier":{"system":"http://lab.example.org/accession","value":"$ACC"},
 "type":{"coding":[{"system":"http://snomed.info/sct","code":"122555007","display":"Venous blood specimen"}]},
 "subject":{"reference":"Patient/$PID"},
 "collection":{"collector":{"reference":"Practitioner/ma-1"},"collectedDateTime":"2025-06-02T09:30:00-05:00",
  "quantity":{"value":4,"unit":"mL","system":"http://unitsofmeasure.org","code":"mL"},
  "bodySite":{"coding":[{"system":"http://snomed.info/sct","code":"368209003","display":"Right upper arm structure"}]},
  "method":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v2-0488","code":"LNV","display":"Line, Venous"}]}},
 "container":[{"type":{"coding":[{"system":"http://snomed.info/sct","code":"702281005","display":"Evacuated blood collection tube"}]},
  "specimenQuantity":{"value":4,"unit":"mL","system":"http://unitsofmeasure.org","code":"mL"}}]}`

// amlodipine is RxNorm 197361, amlodipine 5 MG Oral Tablet, given by mouth.
const amlodipineJSON = `{"resourceType":"MedicationAdministration","status":"completed",
 "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"197361","display":"amlodipine 5 MG Oral Tablet"}]},
 "subject":{"reference":"Patient/$PID"},"effectiveDateTime":"2025-06-02T09:40:00-05:00",
 "performer":[{"actor":{"reference":"Practitioner/ma-1"}}],
 "request":{"reference":"MedicationRequest/rx-1001"},
 "dosage":{"route":{"coding":[{"system":"http://snomed.info/sct","code":"26643006","display":"Oral route"}]},
  "dose":{"value":1,"unit":"tablet","system":"http://unitsofmeasure.org","code":"{tbl}"}}}`

func vaccine(t *testing.T, cvx, display string) string {
	return with(t, amlodipineJSON,
		set("medicationCodeableConcept", map[string]any{"coding": []any{map[string]any{"system": "http://hl7.org/fhir/sid/cvx", "code": cvx, "display": display}}}),
		set("dosage", map[string]any{
			"site":  map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "368208006", "display": "Left upper arm structure"}}},
			"route": map[string]any{"coding": []any{map[string]any{"system": "http://snomed.info/sct", "code": "78421000", "display": "Intramuscular route"}}},
			"dose":  map[string]any{"value": 0.5, "unit": "mL", "system": ucumSystem, "code": "mL"},
		}))
}

// appointment books $PID with a practitioner and a room from start to end
// (local times on 2025-06-02, 20 minutes unless said otherwise).
func appointment(status, practitioner, room, start, end string) string {
	return fmt.Sprintf(`{"resourceType":"Appointment","status":%q,
 "serviceCategory":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/service-category","code":"17","display":"General Practice"}]}],
 "start":"2025-06-02T%s:00-05:00","end":"2025-06-02T%s:00-05:00",
 "participant":[{"actor":{"reference":"Patient/$PID"},"required":"required","status":"accepted"},
  {"actor":{"reference":"Practitioner/%s"},"required":"required","status":"accepted"},
  {"actor":{"reference":"Location/%s"},"required":"required","status":"accepted"}]}`, status, start, end, practitioner, room)
}

// newPatient registers a patient and returns its id.
func newPatient(t *testing.T, s *server, tok, family string) string {
	t.Helper()
	return create(t, s, tok, "Patient", patientJSON(family, "Alex", "female", "1980-04-01", "MRN-"+family))["id"].(string)
}

func TestClinicalVitalSigns(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		vars := map[string]string{"PID": newPatient(t, s, tok, "Vitals")}
		hr := expand(t, vitalSign("8867-4", "Heart rate", 72, "/min"), vars)
		temp := expand(t, vitalSign("8310-5", "Body temperature", 37.2, "Cel"), vars)
		spo2 := expand(t, vitalSign("2708-6", "Oxygen saturation in Arterial blood", 98, "%"), vars)
		weight := expand(t, vitalSign("29463-7", "Body weight", 72.5, "kg"), vars)
		height := expand(t, vitalSign("8302-2", "Body height", 170, "cm"), vars)
		bp := expand(t, bloodPressure(128, 82), vars)
		hrID := create(t, s, tok, "Observation", hr)["id"].(string)
		absent := map[string]any{"coding": []any{map[string]any{"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "not-performed"}}}
		warns := func(expr string) outcomeCheck { return outcomeCheck{status: 201, warn: expr} }
		const value = "Observation.valueQuantity.value"

		runCreates(t, s, tok, "Observation", []createCase{
			{"heart rate", hr, created},
			{"heart rate in /s", with(t, hr, set("valueQuantity.code", "/s")), unprocessable("Observation.valueQuantity.code")},
			{"heart rate not in UCUM", with(t, hr, set("valueQuantity.system", "http://example.org/units")), unprocessable("Observation.valueQuantity.system")},
			{"heart rate 400", with(t, hr, set("valueQuantity.value", 400)), outcomeCheck{status: 422, expr: value, says: "350 /min"}},
			{"heart rate negative", with(t, hr, set("valueQuantity.value", -5)), unprocessable(value)},
			{"heart rate 190 warns", with(t, hr, set("valueQuantity.value", 190)), warns(value)},
			{"heart rate 30 warns", with(t, hr, set("valueQuantity.value", 30)), warns(value)},
			{"no value", with(t, hr, del("valueQuantity")), unprocessable("Observation.valueQuantity")},
			{"quantity without a value", with(t, hr, del("valueQuantity.value")), unprocessable(value)},
			{"dataAbsentReason instead", with(t, hr, del("valueQuantity"), set("dataAbsentReason", absent)), created},
			{"value and dataAbsentReason", with(t, hr, set("dataAbsentReason", absent)), unprocessable("Observation.dataAbsentReason")},
			{"value as a string", with(t, hr, del("valueQuantity"), set("valueString", "72")), unprocessable("Observation.valueString")},
			{"code outside the profile", with(t, hr, set("code.coding[0].code", "2339-0")), unprocessable("Observation.code")},
			{"no subject", with(t, hr, del("subject")), unprocessable("Observation.subject")},
			{"subject not a patient", with(t, hr, set("subject.reference", "Group/ward-3")), unprocessable("Observation.subject")},
			{"no time", with(t, hr, del("effectiveDateTime")), unprocessable("Observation.effective[x]")},
			{"not a vital sign: not checked", with(t, hr, set("category[0].coding[0].code", "exam"), set("valueQuantity.value", 400)), created},
			{"temperature", temp, created},
			{"temperature 98.6 degF", with(t, temp, set("valueQuantity.value", 98.6), set("valueQuantity.code", "[degF]")), created},
			{"temperature 120 degF", with(t, temp, set("valueQuantity.value", 120), set("valueQuantity.code", "[degF]")), outcomeCheck{status: 422, expr: value, says: "48.9 Cel"}},
			{"temperature 104.5 degF warns", with(t, temp, set("valueQuantity.value", 104.5), set("valueQuantity.code", "[degF]")), warns(value)},
			{"temperature 24 Cel", with(t, temp, set("valueQuantity.value", 24)), unprocessable(value)},
			{"temperature in K", with(t, temp, set("valueQuantity.value", 310), set("valueQuantity.code", "K")), unprocessable("Observation.valueQuantity.code")},
			{"oxygen saturation", spo2, created},
			{"oxygen saturation by pulse oximetry", with(t, spo2, set("code.coding[0].code", "59408-5")), created},
			{"oxygen saturation 101", with(t, spo2, set("valueQuantity.value", 101)), unprocessable(value)},
			{"oxygen saturation 85 warns", with(t, spo2, set("valueQuantity.value", 85)), warns(value)},
			{"weight", weight, created},
			{"weight in g", with(t, weight, set("valueQuantity.value", 80000), set("valueQuantity.code", "g")), created},
			{"weight 1600 lb", with(t, weight, set("valueQuantity.value", 1600), set("valueQuantity.code", "[lb_av]")), outcomeCheck{status: 422, expr: value, says: "700 kg"}},
			{"weight 701 kg", with(t, weight, set("valueQuantity.value", 701)), unprocessable(value)},
			{"height", height, created},
			{"height in inches", with(t, height, set("valueQuantity.value", 70), set("valueQuantity.code", "[in_i]")), created},
			{"height 310 cm", with(t, height, set("valueQuantity.value", 310)), unprocessable(value)},
			{"respiratory rate", expand(t, vitalSign("9279-1", "Respiratory rate", 16, "/min"), vars), created},
			{"body mass index", expand(t, vitalSign("39156-5", "Body mass index (BMI) [Ratio]", 25.1, "kg/m2"), vars), created},
			{"head circumference", expand(t, vitalSign("9843-4", "Head Occipital-frontal circumference", 35, "cm"), vars), created},
			{"blood pressure", bp, created},
			{"blood pressure without diastolic", with(t, bp, del("component[1]")), unprocessable("Observation.component")},
			{"systolic without value", with(t, bp, del("component[0].valueQuantity")), unprocessable("Observation.component[0].valueQuantity")},
			{"systolic not measured", with(t, bp, del("component[0].valueQuantity"), set("component[0].dataAbsentReason", absent)), created},
			{"systolic 410", with(t, bp, set("component[0].valueQuantity.value", 410)), unprocessable("Observation.component[0].valueQuantity.value")},
			{"systolic 190 warns", with(t, bp, set("component[0].valueQuantity.value", 190)), warns("Observation.component[0].valueQuantity.value")},
			{"diastolic in kPa", with(t, bp, set("component[1].valueQuantity.code", "kPa")), unprocessable("Observation.component[1].valueQuantity.code")},
			{"diastolic above systolic", expand(t, bloodPressure(80, 90), vars), unprocessable("Observation.component[1].valueQuantity.value")},
			{"blood pressure with a value of its own", with(t, bp, set("valueQuantity", map[string]any{"value": 128, "system": ucumSystem, "code": "mm[Hg]"})), unprocessable("Observation.valueQuantity")},
			{"vital signs panel", with(t, hr, set("code.coding[0].code", "85353-1"), del("valueQuantity"), set("hasMember", []any{map[string]any{"reference": "Observation/" + hrID}})), created},
			{"vital signs panel without members", with(t, hr, set("code.coding[0].code", "85353-1"), del("valueQuantity")), unprocessable("Observation.hasMember")},
		})
	})
}

func TestClinicalLabResults(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid, other := newPatient(t, s, tok, "Labs"), newPatient(t, s, tok, "Other")
		vars := map[string]string{"PID": pid, "ACC": "ACC-1"}
		vars["SPEC"] = create(t, s, tok, "Specimen", expand(t, specimenJSON, vars))["id"].(string)
		otherSpec := create(t, s, tok, "Specimen", expand(t, specimenJSON, map[string]string{"PID": other, "ACC": "ACC-2"}))["id"].(string)
		glucose := expand(t, labResult("2339-0", "Glucose [Mass/volume] in Blood", 95, "mg/dL"), vars)
		notOf := outcomeCheck{status: 400, expr: "Observation.specimen", says: "is not a current record of Patient/" + pid}

		runCreates(t, s, tok, "Observation", []createCase{
			{"glucose", glucose, created},
			{"hemoglobin", expand(t, labResult("718-7", "Hemoglobin [Mass/volume] in Blood", 13.8, "g/dL"), vars), created},
			{"no specimen", with(t, glucose, del("specimen")), unprocessable("Observation.specimen")},
			{"no subject", with(t, glucose, del("subject")), unprocessable("Observation.subject")},
			{"subject not a patient", with(t, glucose, set("subject.reference", "Group/ward-3")), unprocessable("Observation.subject")},
			// Another patient's specimen reads like a missing one: the answer does
			// not tell that it exists.
			{"specimen of another patient", with(t, glucose, set("specimen.reference", "Specimen/"+otherSpec)), notOf},
			{"specimen that does not exist", with(t, glucose, set("specimen.reference", "Specimen/nope")), notOf},
			{"local code only", with(t, glucose, set("code.coding[0].system", "http://lab.example.org/codes")), unprocessable("Observation.code")},
		})
	})
}

func TestClinicalSpecimen(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		spec := expand(t, specimenJSON, map[string]string{"PID": newPatient(t, s, tok, "Specimen"), "ACC": "ACC-7781"})

		runCreates(t, s, tok, "Specimen", []createCase{
			{"venous blood", spec, created},
			{"no status", with(t, spec, del("status")), unprocessable("Specimen.status")},
			{"no type", with(t, spec, del("type")), unprocessable("Specimen.type")},
			{"no subject", with(t, spec, del("subject")), unprocessable("Specimen.subject")},
			{"no accession", with(t, spec, del("accessionIdentifier")), unprocessable("Specimen.accessionIdentifier")},
			{"accession without value", with(t, spec, del("accessionIdentifier.value")), unprocessable("Specimen.accessionIdentifier.value")},
			{"volume in cc", with(t, spec, set("collection.quantity.code", "cc")), unprocessable("Specimen.collection.quantity.code")},
			{"unknown patient", with(t, spec, set("subject.reference", "Patient/nope")), outcomeCheck{status: 400, expr: "Specimen.subject"}},
		})
	})
}

func TestClinicalMedicationAdministration(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		vars := map[string]string{"PID": newPatient(t, s, tok, "Meds")}
		tablet := expand(t, amlodipineJSON, vars)

		runCreates(t, s, tok, "MedicationAdministration", []createCase{
			{"amlodipine tablet (RxNorm)", tablet, created},
			{"influenza vaccine (CVX 140)", expand(t, vaccine(t, "140", "Influenza, seasonal, injectable, preservative free"), vars), created},
			{"COVID-19 vaccine (CVX 208)", expand(t, vaccine(t, "208", "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose"), vars), created},
			{"in progress, nobody named yet", with(t, tablet, set("status", "in-progress"), del("performer"), del("dosage")), created},
			{"NDC only", with(t, tablet, set("medicationCodeableConcept.coding[0].system", "http://hl7.org/fhir/sid/ndc")), unprocessable("MedicationAdministration.medicationCodeableConcept")},
			{"no medication", with(t, tablet, del("medicationCodeableConcept")), unprocessable("MedicationAdministration.medication[x]")},
			{"no time", with(t, tablet, del("effectiveDateTime")), unprocessable("MedicationAdministration.effective[x]")},
			{"no status", with(t, tablet, del("status")), unprocessable("MedicationAdministration.status")},
			{"status outside the value set", with(t, tablet, set("status", "given")), outcomeCheck{status: 400, expr: "MedicationAdministration.status"}},
			{"completed without performer", with(t, tablet, del("performer")), unprocessable("MedicationAdministration.performer")},
			{"completed without order", with(t, tablet, del("request")), unprocessable("MedicationAdministration.request")},
			{"completed without route", with(t, tablet, del("dosage.route")), unprocessable("MedicationAdministration.dosage.route")},
			{"dose without UCUM", with(t, tablet, del("dosage.dose.system")), unprocessable("MedicationAdministration.dosage.dose.system")},
			{"dose in tablets", with(t, tablet, set("dosage.dose.code", "tablets")), unprocessable("MedicationAdministration.dosage.dose.code")},
		})

		t.Run("lifecycle", func(t *testing.T) {
			wrong := outcomeCheck{status: 422, expr: "MedicationAdministration.status"}
			walkStatuses(t, s, tok, "MedicationAdministration", with(t, tablet, set("status", "in-progress")), []statusStep{
				{"on-hold", outcomeCheck{status: 200}},
				{"in-progress", outcomeCheck{status: 200}},
				{"completed", outcomeCheck{status: 200}},
				{"in-progress", wrong},
				{"stopped", wrong},
				{"entered-in-error", outcomeCheck{status: 200}},
				{"completed", wrong},
			})
		})
		t.Run("not done is final", func(t *testing.T) {
			walkStatuses(t, s, tok, "MedicationAdministration", with(t, tablet, set("status", "not-done")), []statusStep{
				{"completed", outcomeCheck{status: 422, expr: "MedicationAdministration.status"}},
				{"entered-in-error", outcomeCheck{status: 200}},
			})
		})
	})
}

func TestClinicalAppointments(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		vars := map[string]string{"PID": newPatient(t, s, tok, "Appointments")}
		booked := expand(t, appointment("booked", "dr-adams", "room-1", "08:00", "08:20"), vars)

		runCreates(t, s, tok, "Appointment", []createCase{
			{"booked", booked, created},
			{"proposed without times", with(t, booked, set("status", "proposed"), del("start"), del("end")), created},
			{"end before start", with(t, booked, set("end", "2025-06-02T07:50:00-05:00")), unprocessable("Appointment.end")},
			{"end equal to start", with(t, booked, set("end", "2025-06-02T08:00:00-05:00")), unprocessable("Appointment.end")},
			{"start without end", with(t, booked, set("status", "proposed"), del("end")), unprocessable("Appointment.end")},
			{"booked without times", with(t, booked, del("start"), del("end")), unprocessable("Appointment.start")},
			{"minutesDuration disagrees", with(t, booked, set("minutesDuration", 30)), unprocessable("Appointment.minutesDuration")},
			{"participant without status", with(t, booked, del("participant[1].status")), unprocessable("Appointment.participant[1].status")},
			{"participant without type or actor", with(t, booked, del("participant[2].actor")), unprocessable("Appointment.participant[2]")},
			{"status outside the value set", with(t, booked, set("status", "confirmed")), outcomeCheck{status: 400, expr: "Appointment.status"}},
		})

		wrong := outcomeCheck{status: 422, expr: "Appointment.status"}
		t.Run("visit", func(t *testing.T) {
			walkStatuses(t, s, tok, "Appointment", expand(t, appointment("booked", "dr-adams", "room-1", "10:00", "10:20"), vars), []statusStep{
				{"arrived", outcomeCheck{status: 200}},
				{"fulfilled", outcomeCheck{status: 200}},
				{"booked", wrong},
			})
		})
		t.Run("no-show", func(t *testing.T) {
			walkStatuses(t, s, tok, "Appointment", expand(t, appointment("booked", "dr-adams", "room-1", "11:00", "11:20"), vars), []statusStep{
				{"noshow", outcomeCheck{status: 200}},
				{"fulfilled", wrong},
			})
			got := ids(t, must(t, s.do("GET", "/fhir/Appointment?status=noshow&date=2025-06-02", tok, nil), http.StatusOK))
			if len(got) != 1 {
				t.Errorf("no-shows of the day = %v, want one", got)
			}
		})
	})
}

func TestClinicalDoubleBooking(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		vars := map[string]string{"PID": newPatient(t, s, tok, "Booking")}
		book := func(status, prac, room, start, end string) string {
			return expand(t, appointment(status, prac, room, start, end), vars)
		}
		first := create(t, s, tok, "Appointment", book("booked", "dr-adams", "room-1", "09:00", "09:20"))["id"].(string)
		long := create(t, s, tok, "Appointment", book("booked", "dr-baker", "room-9", "13:00", "17:00"))["id"].(string)
		clashWith := func(id, expr string) outcomeCheck {
			return outcomeCheck{status: 409, expr: expr, says: "Appointment/" + id}
		}
		const pracExpr, roomExpr = "Appointment.participant[1].actor", "Appointment.participant[2].actor"

		runCreates(t, s, tok, "Appointment", []createCase{
			{"same practitioner, overlapping", book("booked", "dr-adams", "room-2", "09:10", "09:30"), clashWith(first, pracExpr)},
			{"same room, overlapping", book("booked", "dr-cole", "room-1", "09:15", "09:45"), clashWith(first, roomExpr)},
			{"same practitioner, arrived", book("arrived", "dr-adams", "room-2", "08:50", "09:05"), clashWith(first, pracExpr)},
			{"inside a long appointment", book("booked", "dr-baker", "room-2", "14:00", "14:30"), clashWith(long, pracExpr)},
			{"ending inside a long appointment", book("booked", "dr-baker", "room-2", "12:30", "13:30"), clashWith(long, pracExpr)},
			{"back to back", book("booked", "dr-adams", "room-2", "09:20", "09:40"), created},
			{"before the long one", book("booked", "dr-baker", "room-2", "11:00", "12:00"), created},
			{"proposed may overlap", book("proposed", "dr-adams", "room-3", "09:00", "09:20"), created},
			{"declined practitioner is free", with(t, book("booked", "dr-adams", "room-3", "09:00", "09:20"), set("participant[1].status", "declined")), created},
		})

		// A room taken for three days: a booking two days in still clashes,
		// though it starts long after the room's booking began.
		threeDays := create(t, s, tok, "Appointment", with(t, book("booked", "dr-evans", "room-7", "08:00", "08:20"),
			set("end", "2025-06-05T08:00:00-05:00"), set("minutesDuration", 3*24*60)))["id"].(string)
		runCreates(t, s, tok, "Appointment", []createCase{
			{"days into a multi-day booking", with(t, book("booked", "dr-frank", "room-7", "08:00", "08:20"),
				set("start", "2025-06-04T10:00:00-05:00"), set("end", "2025-06-04T10:20:00-05:00")), clashWith(threeDays, roomExpr)},
			{"the day after it ends", with(t, book("booked", "dr-frank", "room-7", "08:00", "08:20"),
				set("start", "2025-06-05T08:00:00-05:00"), set("end", "2025-06-05T08:20:00-05:00")), created},
		})

		t.Run("reschedule over its own slot", func(t *testing.T) {
			moved := with(t, book("booked", "dr-adams", "room-1", "08:50", "09:10"), set("id", first))
			must(t, s.do("PUT", "/fhir/Appointment/"+first, tok, moved), http.StatusOK)
		})
		t.Run("booking a proposed appointment checks", func(t *testing.T) {
			walkStatuses(t, s, tok, "Appointment", book("proposed", "dr-adams", "room-4", "09:00", "09:20"), []statusStep{
				{"booked", clashWith(first, pracExpr)},
			})
		})
		t.Run("a cancelled appointment frees its slot", func(t *testing.T) {
			cancel := with(t, book("cancelled", "dr-adams", "room-1", "08:50", "09:10"), set("id", first))
			must(t, s.do("PUT", "/fhir/Appointment/"+first, tok, cancel), http.StatusOK)
			create(t, s, tok, "Appointment", book("booked", "dr-adams", "room-2", "09:00", "09:15"))
		})
	})
}

// Two clients book the same slot at the same moment: the check runs inside
// the storage transaction, so exactly one wins.
func TestClinicalDoubleBookingConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		patients := []string{newPatient(t, s, tok, "First"), newPatient(t, s, tok, "Second")}
		for round := range 10 {
			start := fmt.Sprintf("%02d:00", 8+round)
			end := fmt.Sprintf("%02d:30", 8+round)
			statuses := make([]int, len(patients))
			ready := make(chan struct{})
			var wg sync.WaitGroup
			for i, pid := range patients {
				body := expand(t, appointment("booked", "dr-adams", "room-"+strconv.Itoa(i), start, end), map[string]string{"PID": pid})
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-ready
					statuses[i] = s.do("POST", "/fhir/Appointment", tok, body).Status
				}()
			}
			close(ready)
			wg.Wait()
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusConflict}) {
				t.Errorf("round %d: statuses %v, want one 201 and one 409", round, statuses)
			}
		}
		got := ids(t, must(t, s.do("GET", "/fhir/Appointment?practitioner=Practitioner/dr-adams&_count=100", tok, nil), http.StatusOK))
		if len(got) != 10 {
			t.Errorf("dr-adams has %d appointments, want 10", len(got))
		}
	})
}

func TestClinicalReferences(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid, gone := newPatient(t, s, tok, "Refs"), newPatient(t, s, tok, "Gone")
		must(t, s.do("DELETE", "/fhir/Patient/"+gone, tok, nil), http.StatusNoContent)
		vars := map[string]string{"PID": pid, "ACC": "ACC-9"}
		hr := expand(t, vitalSign("8867-4", "Heart rate", 72, "/min"), vars)
		vars["SPEC"] = "unused"
		lab := with(t, expand(t, labResult("718-7", "Hemoglobin [Mass/volume] in Blood", 13.8, "g/dL"), vars),
			set("specimen.reference", "#tube"),
			set("contained", []any{map[string]any{"resourceType": "Specimen", "id": "tube", "status": "available",
				"type":    map[string]any{"text": "Venous blood"},
				"subject": map[string]any{"reference": "Patient/" + pid}}}))
		invalid := func(expr, says string) outcomeCheck { return outcomeCheck{status: 400, expr: expr, says: says} }
		extension := []any{map[string]any{"url": "http://clinic.example.org/fhir/StructureDefinition/measured-for", "valueReference": map[string]any{"reference": "Patient/nope"}}}

		runCreates(t, s, tok, "Observation", []createCase{
			{"unknown patient", with(t, hr, set("subject.reference", "Patient/nope")), invalid("Observation.subject", "Patient/nope does not exist")},
			{"deleted patient", with(t, hr, set("subject.reference", "Patient/"+gone)), invalid("Observation.subject", "was deleted")},
			{"malformed", with(t, hr, set("subject.reference", "Patient/")), invalid("Observation.subject", "")},
			{"too many segments", with(t, hr, set("subject.reference", "Patient/a/b")), invalid("Observation.subject", "")},
			{"in an extension", with(t, hr, set("extension", extension)), invalid("Observation.extension[0].valueReference", "")},
			{"in a component's extension", with(t, expand(t, bloodPressure(120, 80), vars), set("component[0].extension", extension)), invalid("Observation.component[0].extension[0].valueReference", "")},
			{"in a contained resource", with(t, lab, set("contained[0].subject.reference", "Patient/nope")), invalid("Observation.contained[0].subject", "")},
			{"contained specimen", lab, created},
			{"types not served are taken as they are", with(t, hr, set("performer", []any{map[string]any{"reference": "Practitioner/unknown"}}), set("encounter", map[string]any{"reference": "Encounter/e-1"})), created},
			{"absolute and urn references are not looked up", with(t, hr, set("performer", []any{map[string]any{"reference": "https://other.example.org/fhir/Practitioner/9"}, map[string]any{"reference": "urn:uuid:1f0c2b6e-2f0a-4c4b-9d39-3c9e0b7c0d11"}})), created},
		})
	})
}

func TestClinicalDeleteReferenced(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid := newPatient(t, s, tok, "Busy")
		hr := expand(t, vitalSign("8867-4", "Heart rate", 72, "/min"), map[string]string{"PID": pid})
		var obs []string
		for range 12 {
			obs = append(obs, create(t, s, tok, "Observation", hr)["id"].(string))
		}
		r := must(t, s.do("DELETE", "/fhir/Patient/"+pid, tok, nil), http.StatusConflict)
		if n := strings.Count(string(r.Body), "still referenced by Observation/"); n != 10 {
			t.Errorf("the refusal names %d referrers, want the first 10: %s", n, r.Body)
		}
		must(t, s.do("GET", "/fhir/Patient/"+pid, tok, nil), http.StatusOK)
		for _, id := range obs {
			must(t, s.do("DELETE", "/fhir/Observation/"+id, tok, nil), http.StatusNoContent)
		}
		must(t, s.do("DELETE", "/fhir/Patient/"+pid, tok, nil), http.StatusNoContent)
	})
}
