package fhir

import (
	"slices"
	"testing"
)

func TestTypes(t *testing.T) {
	var names []string
	for _, ti := range Types() {
		names = append(names, ti.Name)
	}
	want := []string{"Patient", "Observation", "Specimen", "MedicationAdministration", "Appointment", "AuditEvent"}
	if !slices.Equal(names, want) {
		t.Fatalf("Types() = %v, want %v", names, want)
	}
}

func TestLookupType(t *testing.T) {
	tests := []struct {
		name         string
		wantOK       bool
		wantReadOnly bool
		wantProfile  string
	}{
		{"Patient", true, false, "http://hl7.org/fhir/StructureDefinition/Patient"},
		{"Observation", true, false, "http://hl7.org/fhir/StructureDefinition/Observation"},
		{"Specimen", true, false, "http://hl7.org/fhir/StructureDefinition/Specimen"},
		{"MedicationAdministration", true, false, "http://hl7.org/fhir/StructureDefinition/MedicationAdministration"},
		{"Appointment", true, false, "http://hl7.org/fhir/StructureDefinition/Appointment"},
		{"AuditEvent", true, true, "http://hl7.org/fhir/StructureDefinition/AuditEvent"},
		{"patient", false, false, ""}, // type names are case-sensitive
		{"Practitioner", false, false, ""},
		{"", false, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LookupType(tt.name)
			if ok != tt.wantOK {
				t.Fatalf("LookupType(%q) ok = %v, want %v", tt.name, ok, tt.wantOK)
			}
			if !ok {
				return
			}
			if got.Name != tt.name || got.ReadOnly != tt.wantReadOnly || got.Profile != tt.wantProfile {
				t.Errorf("LookupType(%q) = %+v", tt.name, got)
			}
		})
	}
}

func TestTypesReturnsCopy(t *testing.T) {
	Types()[0].Name = "Changed"
	if Types()[0].Name != "Patient" {
		t.Fatal("Types() exposes the registry's slice")
	}
}

func TestWarm(t *testing.T) {
	if err := Warm(); err != nil {
		t.Fatalf("Warm() = %v", err)
	}
}
