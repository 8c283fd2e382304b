package fhir

import (
	"slices"
	"testing"
)

func TestSplitUnion(t *testing.T) {
	tests := []struct {
		expr string
		want []string
	}{
		{"", nil},
		{"Patient.name", []string{"Patient.name"}},
		{"A.x | B.y|C.z", []string{"A.x", "B.y", "C.z"}},
		{"(Observation.value as Quantity) | (Observation.value as SampledData)",
			[]string{"(Observation.value as Quantity)", "(Observation.value as SampledData)"}},
		{"A.x.where(a | b) | B.y", []string{"A.x.where(a | b)", "B.y"}},
		{"A.x.where(s = 'a|b') | B.y", []string{"A.x.where(s = 'a|b')", "B.y"}},
		{`A.x.where(s = 'it\'s|') | B.y`, []string{`A.x.where(s = 'it\'s|')`, "B.y"}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			if got := UnionMembers(tt.expr); !slices.Equal(got, tt.want) {
				t.Errorf("UnionMembers(%q) = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
}

func TestRestrictExpression(t *testing.T) {
	tests := []struct {
		name, expr, resourceType, want string
	}{
		{"own member of a union", "AllergyIntolerance.patient | CarePlan.subject.where(resolve() is Patient) | Observation.subject.where(resolve() is Patient)",
			"Observation", "Observation.subject.where(resolve() is Patient)"},
		{"no member applies", "AllergyIntolerance.patient | CarePlan.subject", "Patient", ""},
		{"parenthesised cast", "(MedicationAdministration.medication as Reference) | (MedicationDispense.medication as Reference)",
			"MedicationAdministration", "(MedicationAdministration.medication as Reference)"},
		{"type name prefix is not enough", "PatientX.name | Patient.name", "Patient", "Patient.name"},
		{"Resource members apply everywhere", "Resource.meta.tag", "Specimen", "Resource.meta.tag"},
		{"DomainResource members apply everywhere", "DomainResource.text", "Specimen", "DomainResource.text"},
		{"bare type", "Observation | Observation.component", "Observation", "Observation | Observation.component"},
		{"boolean expression is one member", "Patient.deceased.exists() and Patient.deceased != false",
			"Patient", "Patient.deceased.exists() and Patient.deceased != false"},
		{"several own members", "Observation.code | Observation.component.code", "Observation", "Observation.code | Observation.component.code"},
		{"empty", "", "Patient", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := restrictExpression(tt.expr, tt.resourceType); got != tt.want {
				t.Errorf("restrictExpression(%q, %q) = %q, want %q", tt.expr, tt.resourceType, got, tt.want)
			}
		})
	}
}
