package fhir

import "testing"

func TestCodeSystemOf(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{"Patient.gender", "http://hl7.org/fhir/administrative-gender"},
		{"Patient.contact.gender", "http://hl7.org/fhir/administrative-gender"},
		{"Observation.status", "http://hl7.org/fhir/observation-status"},
		{"Specimen.status", "http://hl7.org/fhir/specimen-status"},
		{"MedicationAdministration.status", "http://terminology.hl7.org/CodeSystem/medication-admin-status"},
		{"Appointment.status", "http://hl7.org/fhir/appointmentstatus"},
		{"Appointment.participant.status", "http://hl7.org/fhir/participationstatus"},
		{"AuditEvent.action", "http://hl7.org/fhir/audit-event-action"},
		{"AuditEvent.outcome", "http://hl7.org/fhir/audit-event-outcome"},
		// Not a required binding (languages is preferred), not a code, not
		// an element: no implicit system.
		{"Patient.language", ""},
		{"Patient.id", ""},
		{"Patient.birthDate", ""},
		{"Observation.code", ""},
		{"AuditEvent.source.site", ""},
		{"Patient", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := CodeSystemOf(tt.path); got != tt.want {
			t.Errorf("CodeSystemOf(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestCodeSystemsLoad(t *testing.T) {
	m, err := loadCodeSystems()
	if err != nil {
		t.Fatal(err)
	}
	if len(m) == 0 {
		t.Fatalf("%s holds no elements", codeSystemsFile)
	}
}
