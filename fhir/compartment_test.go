package fhir

import (
	"slices"
	"testing"
)

func TestPatientCompartmentParams(t *testing.T) {
	tests := []struct {
		resourceType string
		want         []string
	}{
		{"Patient", []string{"link"}},
		{"Observation", []string{"subject", "performer"}},
		{"Specimen", []string{"subject"}},
		{"MedicationAdministration", []string{"patient", "performer", "subject"}},
		{"Appointment", []string{"actor"}},
		{"AuditEvent", []string{"patient"}},
		{"Encounter", []string{"subject"}}, // in the compartment, though not served
		{"Organization", nil},              // never in the compartment
		{"NoSuchType", nil},
	}
	for _, tt := range tests {
		t.Run(tt.resourceType, func(t *testing.T) {
			if got := PatientCompartmentParams(tt.resourceType); !slices.Equal(got, tt.want) {
				t.Errorf("PatientCompartmentParams(%q) = %q, want %q", tt.resourceType, got, tt.want)
			}
		})
	}
}

// The compartment is enforced by searching on its parameters, so each one
// must be a reference parameter of the type that can point at a Patient.
func TestPatientCompartmentParamsAreSearchable(t *testing.T) {
	for _, ti := range Types() {
		for _, code := range PatientCompartmentParams(ti.Name) {
			p, ok := LookupSearchParam(ti.Name, code)
			if !ok {
				t.Errorf("%s: compartment parameter %q is not a search parameter", ti.Name, code)
				continue
			}
			if p.Type != ParamReference || !slices.Contains(p.Target, "Patient") {
				t.Errorf("%s: compartment parameter %q is %s targeting %v, want a reference to Patient", ti.Name, code, p.Type, p.Target)
			}
		}
	}
}

func TestPatientCompartmentParamsReturnsCopy(t *testing.T) {
	PatientCompartmentParams("Observation")[0] = "changed"
	if got := PatientCompartmentParams("Observation")[0]; got != "subject" {
		t.Fatalf("registry was modified through the returned slice: %q", got)
	}
}
