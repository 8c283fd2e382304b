package load

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/clinic/ehr/internal/fhirjson"
)

// The FHIR R4 documents the tool writes, as JSON-shaped maps. They satisfy
// the rules the server enforces (fhir/data/vitals.json, workflow.json):
// real LOINC codes and UCUM units, the vital-signs category and profile,
// lab results naming their specimen, appointments with start and end.

const (
	loinc      = "http://loinc.org"
	ucum       = "http://unitsofmeasure.org"
	obsCatSys  = "http://terminology.hl7.org/CodeSystem/observation-category"
	vitalsProf = "http://hl7.org/fhir/StructureDefinition/vitalsigns"
	fhirTime   = "2006-01-02T15:04:05Z07:00"
)

type doc = map[string]any

func coding(system, code, display string) doc {
	return doc{"coding": []any{doc{"system": system, "code": code, "display": display}}}
}

func quantity(v float64, unit string) doc {
	return doc{"value": v, "unit": unit, "system": ucum, "code": unit}
}

func ref(typ, id string) doc { return doc{"reference": typ + "/" + id} }

// PatientDoc is patient i as seeded.
func (d *Dataset) PatientDoc(i int) doc {
	p := d.Person(i)
	return doc{
		"resourceType": "Patient",
		"id":           d.PatientID(i),
		"identifier": []any{doc{
			"use":    "usual",
			"type":   coding("http://terminology.hl7.org/CodeSystem/v2-0203", "MR", "Medical record number"),
			"system": "http://clinic.example.org/mrn",
			"value":  fmt.Sprintf("MRN-%07d", i),
		}},
		"active":    true,
		"name":      []any{doc{"use": "official", "family": p.Family, "given": []any{p.Given}}},
		"gender":    p.Gender,
		"birthDate": p.BirthDate.Format(time.DateOnly),
		"telecom":   []any{doc{"system": "phone", "value": fmt.Sprintf("+1 555 %04d", i%10000), "use": "mobile"}},
		"address": []any{doc{"use": "home", "line": []any{fmt.Sprintf("%d Elm Street", 1+i%900)},
			"city": "Springfield", "state": "IL", "postalCode": "62704", "country": "US"}},
		"generalPractitioner": []any{ref("Practitioner", d.PractitionerID(d.ApptPractitioner(i)))},
	}
}

// VitalDoc is a vital-sign Observation of patient (an id) at t; id may be
// empty for a create.
func VitalDoc(r *rand.Rand, sign *VitalSign, patient, id string, t time.Time) doc {
	o := doc{
		"resourceType":      "Observation",
		"meta":              doc{"profile": []any{vitalsProf}},
		"status":            "final",
		"category":          []any{coding(obsCatSys, "vital-signs", "Vital Signs")},
		"code":              coding(loinc, sign.Code, sign.Display),
		"subject":           ref("Patient", patient),
		"effectiveDateTime": t.Format(fhirTime),
	}
	if id != "" {
		o["id"] = id
	}
	if len(sign.Components) == 0 {
		o["valueQuantity"] = quantity(sign.value(r), sign.Unit)
		return o
	}
	var comps []any
	for i := range sign.Components {
		c := &sign.Components[i]
		comps = append(comps, doc{"code": coding(loinc, c.Code, c.Display), "valueQuantity": quantity(c.value(r), c.Unit)})
	}
	o["component"] = comps
	return o
}

// SeedVitalDoc is patient i's j-th seeded measurement.
func (d *Dataset) SeedVitalDoc(i, j int) doc {
	r := rand.New(rand.NewPCG(d.Seed, uint64(i)<<24|uint64(j)<<2|2))
	return VitalDoc(r, d.ObsSign(i, j), d.PatientID(i), d.ObservationID(i, j), d.ObsTime(i, j))
}

// AppointmentDoc is patient i's k-th appointment, fulfilled (a status that
// occupies no slot, so seeding never runs into the double-booking rule).
func (d *Dataset) AppointmentDoc(i, k int) doc {
	start := d.ApptTime(i, k)
	return doc{
		"resourceType":    "Appointment",
		"id":              d.AppointmentID(i, k),
		"status":          "fulfilled",
		"serviceCategory": []any{coding("http://terminology.hl7.org/CodeSystem/service-category", "17", "General Practice")},
		"appointmentType": coding("http://terminology.hl7.org/CodeSystem/v2-0276", "FOLLOWUP", "A follow up visit from a previous appointment"),
		"description":     "Follow-up visit",
		"start":           start.Format(fhirTime),
		"end":             start.Add(20 * time.Minute).Format(fhirTime),
		"minutesDuration": 20,
		"participant": []any{
			doc{"actor": ref("Patient", d.PatientID(i)), "required": "required", "status": "accepted"},
			doc{
				"type":     []any{coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "ATND", "attender")},
				"actor":    ref("Practitioner", d.PractitionerID(d.ApptPractitioner(i))),
				"required": "required", "status": "accepted",
			},
		},
	}
}

// LabBundle is a transaction of one Specimen and a result per LabPanel test
// of patient, the results naming the specimen by its urn:uuid. types lists
// the entries' resource types in order, for the reply's check.
func LabBundle(r *rand.Rand, patient string, t time.Time) (b doc, types []string) {
	specURN := "urn:uuid:" + uuid(r)
	accession := fmt.Sprintf("ACC-%010d", r.Uint64N(1e10))
	entries := []any{doc{
		"fullUrl": specURN,
		"resource": doc{
			"resourceType":        "Specimen",
			"accessionIdentifier": doc{"system": "http://lab.example.org/accession", "value": accession},
			"status":              "available",
			"type":                coding("http://snomed.info/sct", "122555007", "Venous blood specimen"),
			"subject":             ref("Patient", patient),
			"collection": doc{
				"collector":         ref("Practitioner", "pr-lab"),
				"collectedDateTime": t.Format(fhirTime),
				"quantity":          quantity(5, "mL"),
			},
		},
		"request": doc{"method": "POST", "url": "Specimen"},
	}}
	types = append(types, "Specimen")
	issued := t.Add(3 * time.Hour).Format(fhirTime)
	for i := range LabPanel {
		test := &LabPanel[i]
		entries = append(entries, doc{
			"fullUrl": "urn:uuid:" + uuid(r),
			"resource": doc{
				"resourceType":      "Observation",
				"status":            "final",
				"category":          []any{coding(obsCatSys, "laboratory", "Laboratory")},
				"code":              coding(loinc, test.Code, test.Display),
				"subject":           ref("Patient", patient),
				"effectiveDateTime": t.Format(fhirTime),
				"issued":            issued,
				"valueQuantity":     quantity(test.value(r), test.Unit),
				"specimen":          doc{"reference": specURN},
				"referenceRange":    []any{doc{"low": quantity(test.Lo, test.Unit), "high": quantity(test.Hi, test.Unit)}},
			},
			"request": doc{"method": "POST", "url": "Observation"},
		})
		types = append(types, "Observation")
	}
	return doc{"resourceType": "Bundle", "type": "transaction", "entry": entries}, types
}

// uuid draws a version-4 UUID from r (not crypto: these only need to be
// distinct within a Bundle).
func uuid(r *rand.Rand) string {
	a, b := r.Uint64(), r.Uint64()
	a = a&^0xf000 | 0x4000           // version 4
	b = b&^(0xc000<<48) | 0x8000<<48 // RFC 4122 variant
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", a>>32, a>>16&0xffff, a&0xffff, b>>48, b&0xffffffffffff)
}

// asServerSees encodes a document and decodes it as the server's request
// reader does (numbers stay json.Number), for the paths that hand a
// document to the engine without HTTP: rules read the decoded shapes.
func asServerSees(d doc) (map[string]any, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("encode %v: %w", d["resourceType"], err)
	}
	m, err := fhirjson.Decode(raw, fhirjson.Options{})
	if err != nil {
		return nil, fmt.Errorf("decode %v: %w", d["resourceType"], err)
	}
	return m, nil
}
