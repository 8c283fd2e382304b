package search

import (
	"slices"
	"strings"
	"testing"
)

// TestExtract checks the exact entries of one parameter (or auxiliary
// name such as "subject:identifier") for realistic resources. Entries print
// as "param s=system c=code t=text lo= hi= u= us= clo= chi= cu=".
func TestExtract(t *testing.T) {
	tests := []struct {
		file, param string
		want        []string
	}{
		// Patient: names with accents, identifiers, telecom, birthDate with _birthDate.
		{"patient.json", "_id", []string{"_id c=p1"}},
		{"patient.json", "_lastUpdated", []string{"_lastUpdated lo=2024-05-01T12:30:00.250Z hi=2024-05-01T12:30:00.250Z"}},
		{"patient.json", "_tag", []string{"_tag s=http://clinic.example/tags c=import-2024"}},
		{"patient.json", "_profile", []string{"_profile c=http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"}},
		{"patient.json", "family", []string{"family c=muller t=Müller"}},
		{"patient.json", "given", []string{"given c=zoe t=Zoë", "given c=anne t=Anne"}},
		{"patient.json", "name", []string{
			"name c=muller t=Müller", "name c=zoe t=Zoë", "name c=anne t=Anne", "name c=dr. t=Dr.", "name c=zo t=Zo",
		}},
		{"patient.json", "phonetic", []string{"phonetic c=M460 t=Müller", "phonetic c=Z000 t=Zoë", "phonetic c=A500 t=Anne"}},
		{"patient.json", "identifier", []string{
			"identifier s=http://clinic.example/mrn c=MRN-00042 t=mrn",
			"identifier s=http://hl7.org/fhir/sid/us-ssn c=123-45-6789",
		}},
		{"patient.json", "identifier:of-type", []string{
			"identifier:of-type s=http://terminology.hl7.org/CodeSystem/v2-0203 c=MR t=MRN-00042",
			"identifier:of-type s=http://terminology.hl7.org/CodeSystem/v2-0203 c=SS t=123-45-6789",
		}},
		{"patient.json", "phone", []string{"phone s=phone c=+1 555 0100"}},
		{"patient.json", "email", []string{"email s=email c=zoe@example.org"}},
		{"patient.json", "telecom", []string{"telecom s=phone c=+1 555 0100", "telecom s=email c=zoe@example.org"}},
		{"patient.json", "birthdate", []string{"birthdate lo=1984-03-07T00:00:00.000Z hi=1984-03-07T23:59:59.999Z"}},
		{"patient.json", "death-date", nil},
		{"patient.json", "deceased", []string{"deceased c=false"}},
		{"patient.json", "active", []string{"active c=true"}},
		// A code element with a required binding to one code system has that
		// system; id, string and boolean values have none.
		{"patient.json", "gender", []string{"gender s=http://hl7.org/fhir/administrative-gender c=female"}},
		{"patient.json", "address", []string{
			"address c=12 rue de l'eglise t=12 Rue de l'Église", "address c=apt 3 t=Apt 3", "address c=montreal t=Montréal",
			"address c=qc t=QC", "address c=h2x 1y4 t=H2X 1Y4", "address c=ca t=CA",
		}},
		{"patient.json", "address-city", []string{"address-city c=montreal t=Montréal"}},
		{"patient.json", "address-postalcode", []string{"address-postalcode c=h2x 1y4 t=H2X 1Y4"}},
		{"patient.json", "address-use", []string{"address-use c=home"}}, // Address.use: a data type's element, not listed
		{"patient.json", "language", []string{"language s=urn:ietf:bcp:47 c=fr-CA t=french (canada)"}},
		{"patient.json", "general-practitioner", []string{"general-practitioner s=Practitioner c=dr-house"}},
		{"patient.json", "organization", []string{"organization s=Organization c=clinic-1"}}, // absolute URL
		{"patient.json", "link", []string{"link s=Patient c=p0"}},
		{"patient-deceased.json", "deceased", []string{"deceased c=true"}},
		{"patient-deceased.json", "death-date", []string{"death-date lo=2023-11-02T13:00:00.000Z hi=2023-11-02T13:00:00.999Z"}},
		{"patient-deceased.json", "given", []string{"given c=sean t=Seán"}},

		// Observation: blood pressure panel with components.
		{"observation-bp.json", "status", []string{"status s=http://hl7.org/fhir/observation-status c=final"}},
		{"observation-bp.json", "code", []string{"code s=http://loinc.org c=85354-9 t=blood pressure panel", "code t=blood pressure"}},
		{"observation-bp.json", "category", []string{"category s=http://terminology.hl7.org/CodeSystem/observation-category c=vital-signs t=vital signs"}},
		{"observation-bp.json", "component-code", []string{
			"component-code s=http://loinc.org c=8480-6 t=systolic blood pressure",
			"component-code s=http://loinc.org c=8462-4 t=diastolic blood pressure",
		}},
		{"observation-bp.json", "combo-code", []string{
			"combo-code s=http://loinc.org c=85354-9 t=blood pressure panel", "combo-code t=blood pressure",
			"combo-code s=http://loinc.org c=8480-6 t=systolic blood pressure",
			"combo-code s=http://loinc.org c=8462-4 t=diastolic blood pressure",
		}},
		{"observation-bp.json", "component-code-value-quantity", []string{
			"component-code-value-quantity s=http://loinc.org c=8480-6 lo=119.5 hi=120.5 u=mm[Hg] us=http://unitsofmeasure.org clo=1.5931979e+07 chi=1.6065301e+07 cu=g.m-1.s-2",
			"component-code-value-quantity s=http://loinc.org c=8462-4 lo=79.5 hi=80.5 u=mm[Hg] us=http://unitsofmeasure.org clo=1.0599099e+07 chi=1.0732421e+07 cu=g.m-1.s-2",
		}},
		{"observation-bp.json", "code-value-quantity", nil}, // the panel itself has no value
		{"observation-bp.json", "value-quantity", nil},
		{"observation-bp.json", "combo-code-value-quantity", []string{
			"combo-code-value-quantity s=http://loinc.org c=8480-6 lo=119.5 hi=120.5 u=mm[Hg] us=http://unitsofmeasure.org clo=1.5931979e+07 chi=1.6065301e+07 cu=g.m-1.s-2",
			"combo-code-value-quantity s=http://loinc.org c=8462-4 lo=79.5 hi=80.5 u=mm[Hg] us=http://unitsofmeasure.org clo=1.0599099e+07 chi=1.0732421e+07 cu=g.m-1.s-2",
		}},
		{"observation-bp.json", "date", []string{"date lo=2024-05-01T13:30:00.000Z hi=2024-05-01T13:30:00.999Z"}},
		{"observation-bp.json", "subject", []string{"subject s=Patient c=p1"}},
		{"observation-bp.json", "patient", []string{"patient s=Patient c=p1"}},
		{"observation-bp.json", "performer", []string{"performer s=Practitioner c=dr-house", "performer s=Organization c=clinic-1"}},
		{"observation-bp.json", "encounter", []string{"encounter s=Encounter c=e1"}},

		// Observation: body weight in [lb_av], canonical in grams.
		{"observation-weight.json", "value-quantity", []string{
			"value-quantity lo=149.95 hi=150.05 u=[lb_av] us=http://unitsofmeasure.org clo=68016.17588149999 chi=68061.5351185 cu=g",
		}},
		{"observation-weight.json", "code-value-quantity", []string{
			"code-value-quantity s=http://loinc.org c=29463-7 lo=149.95 hi=150.05 u=[lb_av] us=http://unitsofmeasure.org clo=68016.17588149999 chi=68061.5351185 cu=g",
		}},
		{"observation-weight.json", "date", []string{"date lo=2024-05-01T00:00:00.000Z hi=2024-05-01T23:59:59.999Z"}},

		// Observation: heart rate; fractional seconds keep their precision.
		{"observation-hr.json", "value-quantity", []string{
			"value-quantity lo=71.5 hi=72.5 u=/min us=http://unitsofmeasure.org clo=1.191666666666669 chi=1.208333333333336 cu=s-1",
		}},
		{"observation-hr.json", "date", []string{"date lo=2024-05-01T09:31:12.500Z hi=2024-05-01T09:31:12.599Z"}},

		// Observation: lab glucose in mg/dL with a specimen, open period, identifier-only reference.
		{"observation-glucose.json", "value-quantity", []string{
			"value-quantity lo=94.5 hi=95.5 u=mg/dL us=http://unitsofmeasure.org clo=945 chi=955 cu=g.m-3",
		}},
		{"observation-glucose.json", "specimen", []string{"specimen s=Specimen c=sp1"}},
		{"observation-glucose.json", "date", []string{"date lo=2024-05-01T08:00:00.000Z hi=9999-12-31T23:59:59.999Z"}},
		{"observation-glucose.json", "based-on", nil},
		{"observation-glucose.json", "based-on:identifier", []string{"based-on:identifier s=http://orders.example c=ORD-77"}},
		{"observation-glucose.json", "identifier", []string{"identifier s=http://lab.example/results c=R-2024-0001"}},

		// Specimen with accession, type, collection.
		{"specimen.json", "accession", []string{"accession s=http://lab.example/accession c=ACC-2024-0042"}},
		{"specimen.json", "type", []string{"type s=http://snomed.info/sct c=122555007 t=venous blood specimen"}},
		{"specimen.json", "collected", []string{"collected lo=2024-05-01T07:55:00.000Z hi=2024-05-01T07:55:00.999Z"}},
		{"specimen.json", "collector", []string{"collector s=Practitioner c=ma-1"}},
		{"specimen.json", "bodysite", []string{"bodysite s=http://snomed.info/sct c=49852007 t=median cubital vein"}},
		{"specimen.json", "container", []string{"container s=http://snomed.info/sct c=767384009 t=lithium heparin tube"}},
		{"specimen.json", "container-id", []string{"container-id c=TUBE-9"}},
		{"specimen.json", "patient", []string{"patient s=Patient c=p1"}},
		{"specimen.json", "parent", []string{"parent s=Specimen c=sp0"}},
		{"specimen.json", "status", []string{"status s=http://hl7.org/fhir/specimen-status c=available"}},

		// MedicationAdministration: RxNorm with a period, CVX with a dateTime.
		{"medadmin-rxnorm.json", "status", []string{"status s=http://terminology.hl7.org/CodeSystem/medication-admin-status c=completed"}},
		{"medadmin-rxnorm.json", "code", []string{"code s=http://www.nlm.nih.gov/research/umls/rxnorm c=1049221 t=acetaminophen 325 mg oral tablet"}},
		{"medadmin-rxnorm.json", "medication", nil}, // a concept, not a Reference
		{"medadmin-rxnorm.json", "effective-time", []string{"effective-time lo=2024-05-01T10:00:00.000Z hi=2024-05-01T10:05:00.999Z"}},
		{"medadmin-rxnorm.json", "performer", []string{"performer s=Practitioner c=ma-1"}},
		{"medadmin-rxnorm.json", "reason-given", []string{"reason-given t=headache"}},
		{"medadmin-rxnorm.json", "request", []string{"request s=MedicationRequest c=mr1"}},
		{"medadmin-rxnorm.json", "context", []string{"context s=Encounter c=e1"}},
		{"medadmin-cvx.json", "code", []string{"code s=http://hl7.org/fhir/sid/cvx c=140 t=influenza, seasonal, injectable, preservative free"}},
		{"medadmin-cvx.json", "effective-time", []string{"effective-time lo=2024-10-15T15:20:00.000Z hi=2024-10-15T15:20:00.999Z"}},
		{"medadmin-cvx.json", "performer", []string{"performer s=PractitionerRole c=ma-1-role"}},

		// Appointment with participants.
		{"appointment.json", "actor", []string{"actor s=Patient c=p1", "actor s=Practitioner c=dr-house", "actor s=Location c=room-2"}},
		{"appointment.json", "patient", []string{"patient s=Patient c=p1"}},
		{"appointment.json", "practitioner", []string{"practitioner s=Practitioner c=dr-house"}},
		{"appointment.json", "location", []string{"location s=Location c=room-2"}},
		{"appointment.json", "part-status", []string{
			"part-status s=http://hl7.org/fhir/participationstatus c=accepted", "part-status s=http://hl7.org/fhir/participationstatus c=tentative",
		}},
		{"appointment.json", "date", []string{"date lo=2024-06-03T13:00:00.000Z hi=2024-06-03T13:00:00.999Z"}},
		{"appointment.json", "status", []string{"status s=http://hl7.org/fhir/appointmentstatus c=booked"}},
		{"appointment.json", "service-type", []string{"service-type s=http://terminology.hl7.org/CodeSystem/service-type c=124 t=general practice"}},

		// AuditEvent with agent, entity and date.
		{"auditevent.json", "action", []string{"action s=http://hl7.org/fhir/audit-event-action c=R"}},
		{"auditevent.json", "outcome", []string{"outcome s=http://hl7.org/fhir/audit-event-outcome c=0"}},
		{"auditevent.json", "date", []string{"date lo=2024-05-01T12:30:00.123Z hi=2024-05-01T12:30:00.123Z"}},
		{"auditevent.json", "agent", []string{"agent s=Practitioner c=dr-house"}},
		{"auditevent.json", "agent-name", []string{"agent-name c=gregory house t=Gregory House"}},
		{"auditevent.json", "altid", []string{"altid c=house"}},
		{"auditevent.json", "address", []string{"address c=192.0.2.10 t=192.0.2.10"}},
		{"auditevent.json", "entity", []string{"entity s=Patient c=p1"}},
		{"auditevent.json", "entity-name", []string{"entity-name c=zoe muller t=Zoë Müller"}},
		{"auditevent.json", "patient", []string{"patient s=Patient c=p1"}},
		{"auditevent.json", "type", []string{"type s=http://terminology.hl7.org/CodeSystem/audit-event-type c=rest t=restful operation"}},
		{"auditevent.json", "subtype", []string{"subtype s=http://hl7.org/fhir/restful-interaction c=read"}},
		{"auditevent.json", "policy", []string{"policy c=http://clinic.example/policy/treatment"}},
		{"auditevent.json", "source", []string{"source s=Device c=ehr-server"}},
		{"auditevent.json", "site", []string{"site c=clinic-ehr"}},
	}
	r := registry(t)
	cache := map[string][]IndexEntry{}
	for _, tt := range tests {
		t.Run(strings.TrimSuffix(tt.file, ".json")+"/"+tt.param, func(t *testing.T) {
			entries, ok := cache[tt.file]
			if !ok {
				doc := loadResource(t, tt.file)
				var err error
				if entries, _, err = r.Extract(doc["resourceType"].(string), doc); err != nil {
					t.Fatal(err)
				}
				cache[tt.file] = entries
			}
			typ := strings.SplitN(tt.file, "-", 2)[0]
			var got []string
			for _, line := range formatEntries(r, resourceTypeOf(typ), entries) {
				if p, _, _ := strings.Cut(line, " "); p == tt.param {
					got = append(got, line)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("entries:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func resourceTypeOf(filePrefix string) string {
	switch strings.TrimSuffix(filePrefix, ".json") {
	case "patient":
		return "Patient"
	case "observation":
		return "Observation"
	case "specimen":
		return "Specimen"
	case "medadmin":
		return "MedicationAdministration"
	case "appointment":
		return "Appointment"
	}
	return "AuditEvent"
}

// TestExtractSortValues checks one sort value per parameter with a value:
// folded string, first code, Type/id, uri, low end of dates and quantities.
func TestExtractSortValues(t *testing.T) {
	tests := []struct {
		file, param string
		want        any
	}{
		{"patient.json", "family", "muller"},
		{"patient.json", "name", "muller"},
		{"patient.json", "identifier", "MRN-00042"},
		{"patient.json", "birthdate", 447465600000.0}, // 1984-03-07T00:00:00Z
		{"patient.json", "general-practitioner", "Practitioner/dr-house"},
		{"patient.json", "_profile", "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"},
		{"patient.json", "_lastUpdated", 1714566600250.0},
		{"patient.json", "_id", "p1"},
		{"patient.json", "death-date", nil},
		{"observation-weight.json", "value-quantity", 149.95},
		{"observation-weight.json", "code-value-quantity", nil}, // composites do not sort
		{"observation-bp.json", "code", "85354-9"},
		{"appointment.json", "date", 1717419600000.0},
	}
	r := registry(t)
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.param, func(t *testing.T) {
			doc := loadResource(t, tt.file)
			_, sortValues, err := r.Extract(doc["resourceType"].(string), doc)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := sortValues[tt.param]
			if tt.want == nil {
				if ok {
					t.Errorf("sort value %v, want none", got)
				}
				return
			}
			if got != tt.want {
				t.Errorf("sort value %#v, want %#v", got, tt.want)
			}
		})
	}
}

// TestExtractErrors: values no parameter can index are refused, naming it.
func TestExtractErrors(t *testing.T) {
	tests := []struct {
		name, typ, doc, want string
	}{
		{"bad date", "Patient", `{"resourceType":"Patient","birthDate":"1984-13-01"}`, "extract Patient.birthdate:"},
		{"bad period", "Observation", `{"resourceType":"Observation","effectivePeriod":{"start":"yesterday"}}`, "extract Observation.date:"},
		{"type mismatch", "Patient", `{"resourceType":"Observation"}`, `document has resourceType "Observation"`},
		{"unknown type", "Practitioner", `{"resourceType":"Practitioner"}`, "not served"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := registry(t).Extract(tt.typ, decodeJSON(t, []byte(tt.doc)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
