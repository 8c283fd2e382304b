package engine

import (
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/store"
)

func TestEverythingTypes(t *testing.T) {
	all, err := everythingTypes(nil)
	if err != nil {
		t.Fatal(err)
	}
	if all[0] != "Patient" || slices.Contains(all, "AuditEvent") || slices.Contains(all[1:], "Patient") {
		t.Errorf("walk order %v: Patient first, once, and no AuditEvent", all)
	}
	for _, want := range []string{"Observation", "Specimen", "MedicationAdministration", "Appointment"} {
		if !slices.Contains(all, want) {
			t.Errorf("walk lacks %s: %v", want, all)
		}
	}
	only, err := everythingTypes([]string{"Specimen", "Observation"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"Observation", "Specimen"}; !slices.Equal(only, filterOrder(all, want)) {
		t.Errorf("_type walk %v", only)
	}
	for _, bad := range []string{"AuditEvent", "Practitioner"} {
		if _, err := everythingTypes([]string{bad}); fhirerr.KindOf(err) != fhirerr.Invalid {
			t.Errorf("_type=%s: %v", bad, err)
		}
	}
}

// filterOrder keeps the members of want in the order of all.
func filterOrder(all, want []string) []string {
	var out []string
	for _, t := range all {
		if slices.Contains(want, t) {
			out = append(out, t)
		}
	}
	return out
}

func TestEverythingCursor(t *testing.T) {
	cases := []everythingCursor{
		{Type: "Observation"},
		{Type: "Specimen", Cursor: &store.Cursor{ID: "abc"}},
	}
	for _, c := range cases {
		got, err := decodeEverythingCursor(encodeEverythingCursor(c))
		if err != nil {
			t.Fatal(err)
		}
		if got.Type != c.Type || (got.Cursor == nil) != (c.Cursor == nil) || (c.Cursor != nil && got.Cursor.ID != c.Cursor.ID) {
			t.Errorf("round trip %+v → %+v", c, got)
		}
	}
	for _, bad := range []string{"!!", "e30", "bm90IGpzb24"} { // not base64, {}, "not json"
		if _, err := decodeEverythingCursor(bad); fhirerr.KindOf(err) != fhirerr.Invalid {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}
