package rules

import (
	"fmt"
	"testing"

	"github.com/clinic/ehr/internal/fhirerr"
)

// The transition tables of fhir/data/workflow.json, as the status rules
// apply them to an update.
func TestStatusTransitions(t *testing.T) {
	tx := newFakeTx(stored("Patient", "p1", `{"resourceType":"Patient"}`))
	bodies := map[string]string{
		"MedicationAdministration": `{"resourceType":"MedicationAdministration","status":%q,
			"medicationCodeableConcept":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140"}]},
			"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-06-02T10:00:00Z",
			"performer":[{"actor":{"reference":"Practitioner/ma-1"}}],"request":{"reference":"MedicationRequest/o1"},
			"dosage":{"route":{"text":"IM"},"dose":{"value":0.5,"system":"http://unitsofmeasure.org","code":"mL"}}}`,
		"Appointment": `{"resourceType":"Appointment","status":%q,
			"start":"2025-06-02T09:00:00Z","end":"2025-06-02T09:20:00Z",
			"participant":[{"actor":{"reference":"Patient/p1"},"status":"accepted"}]}`,
	}
	wrong := func(typ string) outcome { return refused(fhirerr.Unprocessable, typ+".status") }
	tests := []struct {
		typ, from, to string
		want          outcome
	}{
		{"MedicationAdministration", "in-progress", "completed", accepted()},
		{"MedicationAdministration", "on-hold", "in-progress", accepted()},
		{"MedicationAdministration", "completed", "in-progress", wrong("MedicationAdministration")},
		{"MedicationAdministration", "completed", "entered-in-error", accepted()},
		{"MedicationAdministration", "stopped", "completed", wrong("MedicationAdministration")},
		{"MedicationAdministration", "entered-in-error", "in-progress", wrong("MedicationAdministration")},
		{"MedicationAdministration", "completed", "given", refused(fhirerr.Invalid, "MedicationAdministration.status")},
		{"Appointment", "booked", "arrived", accepted()},
		{"Appointment", "booked", "noshow", accepted()},
		{"Appointment", "arrived", "fulfilled", accepted()},
		{"Appointment", "fulfilled", "arrived", wrong("Appointment")},
		{"Appointment", "cancelled", "booked", wrong("Appointment")},
		{"Appointment", "booked", "booked", accepted()},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s to %s", tt.typ, tt.from, tt.to), func(t *testing.T) {
			prev, next := fmt.Sprintf(bodies[tt.typ], tt.from), fmt.Sprintf(bodies[tt.typ], tt.to)
			c, err := run(t, tx, tt.typ, next, prev)
			tt.want.check(t, c, err)
		})
	}
}
