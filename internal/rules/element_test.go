package rules

import (
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/fhirjson"
)

func decoded(t *testing.T, typ, body string) node {
	t.Helper()
	doc, err := fhirjson.Decode([]byte(body), fhirjson.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return root(typ, doc)
}

func TestElementPaths(t *testing.T) {
	appt := decoded(t, "Appointment", `{"resourceType":"Appointment","status":"booked",
		"participant":[{"status":"accepted","actor":{"reference":"Patient/p1"}},{"actor":{"reference":"Practitioner/d1"}},{"status":"","type":[]}]}`)
	obs := decoded(t, "Observation", `{"resourceType":"Observation","effectiveDateTime":"2025-06-02","valueQuantity":{"value":1}}`)
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"missing under every parent", appt.missing("participant.status"), []string{"Appointment.participant[1].status", "Appointment.participant[2].status"}},
		{"missing at the root", appt.missing("start"), []string{"Appointment.start"}},
		{"missing parent stops there", appt.missing("dosage.dose"), []string{"Appointment.dosage"}},
		{"present", appt.missing("status"), nil},
		{"select through arrays", paths(appt.selectPath("participant.actor")), []string{"Appointment.participant[0].actor", "Appointment.participant[1].actor"}},
		{"choice element", paths(obs.selectPath("effective[x]")), []string{"Observation.effectiveDateTime"}},
		{"choice element missing", obs.missing("medication[x]"), []string{"Observation.medication[x]"}},
	}
	for _, tt := range tests {
		if !slices.Equal(tt.got, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}

func paths(nodes []node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.path)
	}
	return out
}
