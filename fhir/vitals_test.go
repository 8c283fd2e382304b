package fhir

import (
	"strings"
	"testing"
)

func TestWarmClinical(t *testing.T) {
	if err := WarmClinical(); err != nil {
		t.Fatal(err)
	}
}

func TestVitalSignsLookup(t *testing.T) {
	p := VitalSigns()
	tests := []struct {
		code, name string
		panel      bool
	}{
		{"8867-4", "heart rate", false},
		{"59408-5", "oxygen saturation", false}, // an alternative code
		{"85354-9", "blood pressure", true},
		{"85353-1", "vital signs panel", true},
		{"8480-6", "", false}, // a component, not a vital sign of its own
		{"2339-0", "", false}, // glucose is a lab result
	}
	for _, tt := range tests {
		s, ok := p.Lookup(tt.code)
		if tt.name == "" {
			if ok {
				t.Errorf("Lookup(%s) = %s, want none", tt.code, s.Name)
			}
			continue
		}
		if !ok || s.Name != tt.name || s.Panel() != tt.panel {
			t.Errorf("Lookup(%s) = %+v, %v; want %s (panel %v)", tt.code, s, ok, tt.name, tt.panel)
		}
	}
}

func TestLimitsAssess(t *testing.T) {
	p := VitalSigns()
	limits := func(code string) *Limits {
		if s, ok := p.Lookup(code); ok {
			return s.Limits
		}
		bp, _ := p.Lookup("85354-9")
		for _, c := range bp.Components {
			if c.Code == code {
				return c.Limits
			}
		}
		t.Fatalf("no limits for %s", code)
		return nil
	}
	tests := []struct {
		code  string
		value float64
		unit  string
		want  Verdict
		bound float64
	}{
		{"8867-4", 72, "/min", Usual, 0},
		{"8867-4", 180, "/min", Usual, 0}, // limits are inclusive
		{"8867-4", 181, "/min", Unusual, 180},
		{"8867-4", 34, "/min", Unusual, 35},
		{"8867-4", 350, "/min", Unusual, 180},
		{"8867-4", 351, "/min", Impossible, 350},
		{"8867-4", -1, "/min", Impossible, 0},
		{"8310-5", 37, "Cel", Usual, 0},
		{"8310-5", 98.6, "[degF]", Usual, 0},
		{"8310-5", 104, "[degF]", Usual, 0}, // exactly 40 Cel, despite rounding
		{"8310-5", 104.5, "[degF]", Unusual, 40},
		{"8310-5", 93, "[degF]", Unusual, 35},
		{"8310-5", 120, "[degF]", Impossible, 46},
		{"8310-5", 24.9, "Cel", Impossible, 25},
		{"2708-6", 97, "%", Usual, 0},
		{"2708-6", 87, "%", Unusual, 88},
		{"2708-6", 100.5, "%", Impossible, 100},
		{"29463-7", 72500, "g", Usual, 0},
		{"29463-7", 160, "[lb_av]", Usual, 0},
		{"29463-7", 1600, "[lb_av]", Impossible, 700},
		{"29463-7", 701, "kg", Impossible, 700},
		{"8302-2", 70, "[in_i]", Usual, 0},
		{"8302-2", 310, "cm", Impossible, 300},
		{"8480-6", 181, "mm[Hg]", Unusual, 180},
		{"8480-6", 79, "mm[Hg]", Unusual, 80},
		{"8480-6", 401, "mm[Hg]", Impossible, 400},
	}
	for _, tt := range tests {
		a, err := limits(tt.code).Assess(tt.value, tt.unit)
		if err != nil {
			t.Errorf("%s %v %s: %v", tt.code, tt.value, tt.unit, err)
			continue
		}
		if a.Verdict != tt.want || (tt.want != Usual && a.Bound != tt.bound) {
			t.Errorf("%s %v %s = %+v, want verdict %d bound %v", tt.code, tt.value, tt.unit, a, tt.want, tt.bound)
		}
	}
	if _, err := limits("8867-4").Assess(72, "kg"); err == nil {
		t.Error("a heart rate in kg was assessed")
	}
}

func TestStateMachines(t *testing.T) {
	w := Workflow()
	tests := []struct {
		typ, from, to string
		want          bool
	}{
		{"MedicationAdministration", "in-progress", "completed", true},
		{"MedicationAdministration", "in-progress", "on-hold", true},
		{"MedicationAdministration", "on-hold", "in-progress", true},
		{"MedicationAdministration", "completed", "in-progress", false},
		{"MedicationAdministration", "completed", "entered-in-error", true},
		{"MedicationAdministration", "completed", "completed", true},
		{"MedicationAdministration", "not-done", "completed", false},
		{"MedicationAdministration", "stopped", "in-progress", false},
		{"MedicationAdministration", "entered-in-error", "completed", false},
		{"Appointment", "booked", "arrived", true},
		{"Appointment", "booked", "noshow", true},
		{"Appointment", "arrived", "fulfilled", true},
		{"Appointment", "fulfilled", "booked", false},
		{"Appointment", "cancelled", "booked", false},
		{"Appointment", "proposed", "booked", true},
		{"Appointment", "noshow", "fulfilled", false},
	}
	for _, tt := range tests {
		m, ok := w.StateMachine(tt.typ)
		if !ok {
			t.Fatalf("no state machine for %s", tt.typ)
		}
		if got := m.Allows(tt.from, tt.to); got != tt.want {
			t.Errorf("%s %s -> %s = %v, want %v", tt.typ, tt.from, tt.to, got, tt.want)
		}
	}
	if _, ok := w.StateMachine("Patient"); ok {
		t.Error("Patient has no status lifecycle")
	}
}

// The loaders refuse defects in hand-written data rather than let a rule
// misbehave.
func TestClinicalDataDefects(t *testing.T) {
	one, big := 1.0, 500.0
	signs := []struct {
		name string
		sign VitalSign
		want string
	}{
		{"limits out of order", VitalSign{Code: "x", Name: "x", Display: "x", Units: []string{"/min"},
			Limits: &Limits{Unit: "/min", Min: 0, Max: 350, WarnAbove: &big}}, "out of order"},
		{"unit of another dimension", VitalSign{Code: "x", Name: "x", Display: "x", Units: []string{"kg"},
			Limits: &Limits{Unit: "/min", Min: 0, Max: 350, WarnBelow: &one}}, "not commensurable"},
		{"not UCUM", VitalSign{Code: "x", Name: "x", Display: "x", Units: []string{"/min"},
			Limits: &Limits{Unit: "beats", Min: 0, Max: 350}}, "limit unit"},
		{"measurement without limits", VitalSign{Code: "x", Name: "x", Display: "x", Units: []string{"/min"}}, "needs units and limits"},
		{"panel with units", VitalSign{Code: "x", Name: "x", Display: "x", HasMember: true, Units: []string{"/min"}}, "no units"},
	}
	for _, tt := range signs {
		err := checkSign(&tt.sign, map[string]bool{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
	if err := checkSign(&VitalSign{Code: "x", Name: "x", Display: "x", HasMember: true}, map[string]bool{"x": true}); err == nil {
		t.Error("a code listed twice was accepted")
	}

	flows := []struct {
		name string
		w    WorkflowRules
		want string
	}{
		{"unknown target state", WorkflowRules{StateMachines: []*StateMachine{{Type: "Appointment", Element: "status",
			Transitions: map[string][]string{"booked": {"done"}}}}}, "unknown state"},
		{"type not served", WorkflowRules{StateMachines: []*StateMachine{{Type: "Encounter", Element: "status",
			Transitions: map[string][]string{"planned": {}}}}}, "served type"},
		{"requirement without why", WorkflowRules{Requirements: []*Requirement{{Name: "r", Type: "Specimen"}}}, "why"},
		{"requirement named twice", WorkflowRules{Requirements: []*Requirement{{Name: "r", Type: "Specimen", Why: "w"}, {Name: "r", Type: "Specimen", Why: "w"}}}, "unique name"},
		{"scheduling without a lifecycle", WorkflowRules{Scheduling: &Scheduling{Type: "Specimen", ExclusiveActors: []string{"Location"}}}, "state machine"},
	}
	for _, tt := range flows {
		err := tt.w.check()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}
}
