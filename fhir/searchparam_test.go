package fhir

import (
	"slices"
	"testing"
)

func TestLookupSearchParam(t *testing.T) {
	tests := []struct {
		resourceType, code string
		wantType           ParamType
		wantExpression     string
	}{
		{"Patient", "birthdate", ParamDate, "Patient.birthDate"},
		{"Patient", "family", ParamString, "Patient.name.family"},
		{"Patient", "identifier", ParamToken, "Patient.identifier"},
		{"Patient", "general-practitioner", ParamReference, "Patient.generalPractitioner"},
		{"Patient", "email", ParamToken, "Patient.telecom.where(system='email')"},
		{"Patient", "deceased", ParamToken, "Patient.deceased.exists() and Patient.deceased != false"},
		{"Patient", "_id", ParamToken, "Resource.id"},
		{"Patient", "_lastUpdated", ParamDate, "Resource.meta.lastUpdated"},
		{"Patient", "_tag", ParamToken, "Resource.meta.tag"},
		{"Patient", "_profile", ParamURI, "Resource.meta.profile"},
		{"Patient", "_security", ParamToken, "Resource.meta.security"},
		{"Patient", "_source", ParamURI, "Resource.meta.source"},
		{"Observation", "patient", ParamReference, "Observation.subject.where(resolve() is Patient)"},
		{"Observation", "code", ParamToken, "Observation.code"},
		{"Observation", "date", ParamDate, "Observation.effective"},
		{"Observation", "value-quantity", ParamQuantity, "(Observation.value as Quantity) | (Observation.value as SampledData)"},
		{"Observation", "code-value-quantity", ParamComposite, "Observation"},
		{"Specimen", "accession", ParamToken, "Specimen.accessionIdentifier"},
		{"Specimen", "patient", ParamReference, "Specimen.subject.where(resolve() is Patient)"},
		{"MedicationAdministration", "medication", ParamReference, "(MedicationAdministration.medication as Reference)"},
		{"MedicationAdministration", "code", ParamToken, "(MedicationAdministration.medication as CodeableConcept)"},
		{"MedicationAdministration", "patient", ParamReference, "MedicationAdministration.subject.where(resolve() is Patient)"},
		{"Appointment", "actor", ParamReference, "Appointment.participant.actor"},
		{"Appointment", "date", ParamDate, "Appointment.start"},
		{"AuditEvent", "agent", ParamReference, "AuditEvent.agent.who"},
		{"AuditEvent", "entity", ParamReference, "AuditEvent.entity.what"},
		{"AuditEvent", "date", ParamDate, "AuditEvent.recorded"},
		{"AuditEvent", "patient", ParamReference, "AuditEvent.agent.who.where(resolve() is Patient) | AuditEvent.entity.what.where(resolve() is Patient)"},
		{"AuditEvent", "_id", ParamToken, "Resource.id"},
	}
	for _, tt := range tests {
		t.Run(tt.resourceType+"/"+tt.code, func(t *testing.T) {
			p, ok := LookupSearchParam(tt.resourceType, tt.code)
			if !ok {
				t.Fatalf("no search parameter %q on %s", tt.code, tt.resourceType)
			}
			if p.Code != tt.code || p.Type != tt.wantType || p.Expression != tt.wantExpression {
				t.Errorf("got code %q type %q expression %q, want %q %q %q", p.Code, p.Type, p.Expression, tt.code, tt.wantType, tt.wantExpression)
			}
			if p.URL == "" || p.Description == "" || len(p.Base) == 0 {
				t.Errorf("url, description or base missing: %+v", p)
			}
		})
	}
}

func TestLookupSearchParamMissing(t *testing.T) {
	tests := []struct{ resourceType, code string }{
		{"Patient", "subject"},        // an Observation parameter
		{"Observation", "birthdate"},  // a Patient parameter
		{"Practitioner", "family"},    // type not served
		{"Patient", "PATIENT-FAMILY"}, // codes are case-sensitive
	}
	for _, tt := range tests {
		if p, ok := LookupSearchParam(tt.resourceType, tt.code); ok {
			t.Errorf("LookupSearchParam(%q, %q) = %s, want none", tt.resourceType, tt.code, p.URL)
		}
	}
}

// Every served type has the Resource-level parameters, and every
// parameter's expression, where it has one, is restricted to the type.
func TestSearchParamsPerType(t *testing.T) {
	common := []string{"_id", "_lastUpdated", "_tag", "_profile", "_security", "_source"}
	for _, ti := range Types() {
		params := SearchParams(ti.Name)
		for _, code := range common {
			if _, ok := params[code]; !ok {
				t.Errorf("%s lacks %s", ti.Name, code)
			}
		}
		for code, p := range params {
			if p.Code != code {
				t.Errorf("%s: key %q holds parameter %q", ti.Name, code, p.Code)
			}
			for _, member := range UnionMembers(p.Expression) {
				switch leadingTypeName(member) {
				case ti.Name, "Resource", "DomainResource":
				default:
					t.Errorf("%s.%s: expression member %q belongs to another type", ti.Name, code, member)
				}
			}
			if p.Expression == "" && p.RawExpression != "" {
				t.Errorf("%s.%s: expression %q restricted to nothing", ti.Name, code, p.RawExpression)
			}
		}
	}
	if got := SearchParams("Practitioner"); got != nil {
		t.Errorf("SearchParams(Practitioner) = %d parameters, want nil", len(got))
	}
}

func TestSearchParamsReturnsCopy(t *testing.T) {
	delete(SearchParams("Patient"), "family")
	if _, ok := SearchParams("Patient")["family"]; !ok {
		t.Fatal("registry was modified through the returned map")
	}
}

func TestCompositeComponents(t *testing.T) {
	tests := []struct {
		code string
		want []string // component parameter code and its resolved expression
	}{
		{"code-value-quantity", []string{
			"code", "Observation.code",
			"value-quantity", "(Observation.value as Quantity) | (Observation.value as SampledData)"}},
		{"code-value-concept", []string{
			"code", "Observation.code",
			"value-concept", "(Observation.value as CodeableConcept)"}},
		{"component-code-value-quantity", []string{
			"component-code", "Observation.component.code",
			"component-value-quantity", "(Observation.component.value as Quantity) | (Observation.component.value as SampledData)"}},
		{"combo-code-value-concept", []string{
			"combo-code", "Observation.code | Observation.component.code",
			"combo-value-concept", "(Observation.value as CodeableConcept) | (Observation.component.value as CodeableConcept)"}},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			p, ok := LookupSearchParam("Observation", tt.code)
			if !ok {
				t.Fatalf("no Observation parameter %q", tt.code)
			}
			var got []string
			for _, c := range p.Components {
				if c.Param == nil {
					t.Fatalf("component %s is not resolved", c.Definition)
				}
				if c.Param.URL != c.Definition || c.Expression == "" {
					t.Errorf("component %+v resolved to %s", c, c.Param.URL)
				}
				got = append(got, c.Param.Code, c.Param.Expression)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("components = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestModifiers(t *testing.T) {
	tests := []struct {
		resourceType, code string
		want               []string
	}{
		{"Patient", "family", []string{"contains", "exact", "missing"}},
		{"Patient", "gender", []string{"missing", "not", "text"}},
		{"Patient", "identifier", []string{"missing", "not", "of-type", "text"}},
		{"Specimen", "accession", []string{"missing", "not", "of-type", "text"}},
		{"Specimen", "container-id", []string{"missing", "not", "of-type", "text"}},
		{"AuditEvent", "altid", []string{"missing", "not", "text"}}, // a string, not an Identifier
		{"Patient", "birthdate", []string{"missing"}},
		{"Observation", "value-quantity", []string{"missing"}},
		{"Patient", "_profile", []string{"above", "below", "missing"}},
		{"Patient", "link", []string{"identifier", "missing", "Patient", "RelatedPerson"}},
		{"Observation", "specimen", []string{"identifier", "missing", "Specimen"}},
		{"Observation", "code-value-quantity", nil},
		{"Patient", "_text", nil}, // no expression, nothing indexed
	}
	for _, tt := range tests {
		t.Run(tt.resourceType+"/"+tt.code, func(t *testing.T) {
			p, ok := LookupSearchParam(tt.resourceType, tt.code)
			if !ok {
				t.Fatalf("no %s parameter %q", tt.resourceType, tt.code)
			}
			if !slices.Equal(p.Modifiers, tt.want) {
				t.Errorf("modifiers = %q, want %q", p.Modifiers, tt.want)
			}
		})
	}
}

func TestReferenceTargets(t *testing.T) {
	p, ok := LookupSearchParam("Patient", "general-practitioner")
	if !ok {
		t.Fatal("no general-practitioner")
	}
	want := []string{"Practitioner", "Organization", "PractitionerRole"}
	if !slices.Equal(p.Target, want) {
		t.Errorf("targets = %q, want %q", p.Target, want)
	}
}
