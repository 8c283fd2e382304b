package fhir

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/clinic/ehr/fhir/ucum"
)

// The back office's clinical rule data, hand-written from the R4
// specification and DOMAIN.md and embedded like the rest of data/:
//
//   - data/vitals.json: the vital-signs profile. LOINC codes, the UCUM
//     units allowed for each, the physiological limits (outside: refused)
//     and the limits of the usual (outside: stored with a warning), the
//     components of the blood-pressure panel.
//   - data/workflow.json: the status state machines (MedicationAdministration,
//     Appointment), which appointments occupy a practitioner or a room, and
//     the elements each kind of record needs.
//
// Package internal/rules turns these tables into business rules, so a new
// limit, unit, transition or required element is a data change here.

const (
	vitalsFile   = "data/vitals.json"
	workflowFile = "data/workflow.json"
)

var (
	vitalSigns = newLazy(loadVitalSigns)
	workflow   = newLazy(loadWorkflow)
)

// VitalSigns returns the vital-signs profile. It is shared: treat it as
// read-only.
func VitalSigns() *VitalSignsProfile { return vitalSigns.mustGet() }

// Workflow returns the workflow tables. They are shared: treat them as
// read-only.
func Workflow() *WorkflowRules { return workflow.mustGet() }

// WarmClinical loads the vital-signs and workflow data now, turning a
// defect in them into an error at start-up rather than a panic later.
func WarmClinical() error {
	_, errVitals := vitalSigns.get()
	_, errWorkflow := workflow.get()
	return errors.Join(errVitals, errWorkflow)
}

// UCUMSystem is the system of quantities coded in UCUM.
const UCUMSystem = "http://unitsofmeasure.org"

// Coding is a system and a code.
type Coding struct {
	System string `json:"system"`
	Code   string `json:"code"`
}

// VitalSignsProfile is the FHIR R4 vital-signs profile as data.
type VitalSignsProfile struct {
	Profile    string       `json:"profile"`    // canonical URL of the profile
	Category   Coding       `json:"category"`   // the category that makes an Observation a vital sign
	CodeSystem string       `json:"codeSystem"` // LOINC
	Signs      []*VitalSign `json:"signs"`
}

// Lookup finds the vital sign (or panel) with the LOINC code, including
// its alternative codes. Components are not vital signs on their own.
func (p *VitalSignsProfile) Lookup(code string) (*VitalSign, bool) {
	for _, s := range p.Signs {
		if s.Is(code) {
			return s, true
		}
	}
	return nil, false
}

// VitalSign is one measurement of the profile, or a panel of them.
type VitalSign struct {
	Code      string   `json:"code"`      // LOINC
	AlsoCodes []string `json:"alsoCodes"` // other LOINC codes for the same measurement
	Name      string   `json:"name"`      // for messages: "heart rate"
	Display   string   `json:"display"`   // the LOINC display name
	Units     []string `json:"units"`     // UCUM codes allowed for the value
	Limits    *Limits  `json:"limits"`    // nil for panels
	// Components a panel must have (blood pressure: systolic and diastolic).
	Components []*VitalSign `json:"components"`
	// Descending lists component codes whose values must decrease in this
	// order: a systolic pressure above the diastolic.
	Descending []string `json:"descending"`
	// HasMember marks a panel whose values are other Observations.
	HasMember bool `json:"hasMember"`
}

// Is reports whether code names this measurement.
func (s *VitalSign) Is(code string) bool {
	return s.Code == code || slices.Contains(s.AlsoCodes, code)
}

// Panel reports whether the measurement carries its values in components
// or members rather than in a value of its own.
func (s *VitalSign) Panel() bool { return s.HasMember || len(s.Components) > 0 }

// Limits bound a measurement, written in Unit. A value below Min or above
// Max cannot be physiological; one below WarnBelow or above WarnAbove is
// possible but unusual. Comparisons run on canonical UCUM values, so a
// temperature in [degF] meets limits written in Cel.
type Limits struct {
	Unit      string   `json:"unit"`
	Min       float64  `json:"min"`
	Max       float64  `json:"max"`
	WarnBelow *float64 `json:"warnBelow"`
	WarnAbove *float64 `json:"warnAbove"`

	canon canonicalLimits // filled on load
}

// canonicalLimits are the limits in canonical UCUM, and the affine map
// (canonical = offset + scale*x) of Unit to tell a value back in Unit.
type canonicalLimits struct {
	unit                           string
	min, max, warnBelow, warnAbove float64
	offset, scale                  float64
}

// Verdict classifies a measured value.
type Verdict int

const (
	Usual      Verdict = iota // within the usual range
	Unusual                   // possible, but outside the usual range: store with a warning
	Impossible                // outside the physiological range: refuse
)

// Assessment is the verdict on one value.
type Assessment struct {
	Verdict Verdict
	Value   float64 // the value converted to Limits.Unit
	Bound   float64 // the limit crossed, in Limits.Unit (Usual: unset)
	Above   bool    // the value is above Bound (else below)
}

// tolerance absorbs rounding in unit conversion, so that 104 [degF] is not
// "above 40 Cel".
const tolerance = 1e-9

func below(v, bound float64) bool { return v < bound-tolerance*math.Abs(bound) }
func above(v, bound float64) bool { return v > bound+tolerance*math.Abs(bound) }

// Assess places value, in UCUM unit, against the limits.
func (l *Limits) Assess(value float64, unit string) (Assessment, error) {
	v, cu, err := ucum.Canonical(value, unit)
	if err != nil {
		return Assessment{}, fmt.Errorf("assess %v %s: %w", value, unit, err)
	}
	if cu != l.canon.unit {
		return Assessment{}, fmt.Errorf("assess %v %s: not commensurable with %s", value, unit, l.Unit)
	}
	a := Assessment{Value: (v - l.canon.offset) / l.canon.scale}
	switch {
	case below(v, l.canon.min):
		a.Verdict, a.Bound = Impossible, l.Min
	case above(v, l.canon.max):
		a.Verdict, a.Bound, a.Above = Impossible, l.Max, true
	case l.WarnBelow != nil && below(v, l.canon.warnBelow):
		a.Verdict, a.Bound = Unusual, *l.WarnBelow
	case l.WarnAbove != nil && above(v, l.canon.warnAbove):
		a.Verdict, a.Bound, a.Above = Unusual, *l.WarnAbove, true
	}
	return a, nil
}

// compile checks the limits and converts them to canonical UCUM.
func (l *Limits) compile(units []string) error {
	lo, hi := l.Min, l.Max
	if l.WarnBelow != nil {
		lo = *l.WarnBelow
	}
	if l.WarnAbove != nil {
		hi = *l.WarnAbove
	}
	if !(l.Min <= lo && lo <= hi && hi <= l.Max) {
		return fmt.Errorf("limits out of order: want min <= warnBelow <= warnAbove <= max")
	}
	offset, unit, err := ucum.Canonical(0, l.Unit)
	if err != nil {
		return fmt.Errorf("limit unit: %w", err)
	}
	one, _, err := ucum.Canonical(1, l.Unit)
	if err != nil {
		return fmt.Errorf("limit unit: %w", err)
	}
	c := canonicalLimits{unit: unit, offset: offset, scale: one - offset}
	at := func(x float64) float64 { return c.offset + c.scale*x }
	c.min, c.max, c.warnBelow, c.warnAbove = at(l.Min), at(l.Max), at(lo), at(hi)
	for _, u := range units {
		if !ucum.Comparable(u, l.Unit) {
			return fmt.Errorf("unit %q is not commensurable with the limit unit %q", u, l.Unit)
		}
	}
	l.canon = c
	return nil
}

func loadVitalSigns() (*VitalSignsProfile, error) {
	var p VitalSignsProfile
	if err := readJSON(vitalsFile, &p); err != nil {
		return nil, err
	}
	if p.Category.System == "" || p.Category.Code == "" || p.CodeSystem == "" {
		return nil, fmt.Errorf("fhir: %s: category and codeSystem are required", vitalsFile)
	}
	seen := map[string]bool{}
	for _, s := range p.Signs {
		if err := checkSign(s, seen); err != nil {
			return nil, fmt.Errorf("fhir: %s: %s: %w", vitalsFile, s.Code, err)
		}
		for _, c := range s.Components {
			if err := checkSign(c, seen); err != nil {
				return nil, fmt.Errorf("fhir: %s: %s component %s: %w", vitalsFile, s.Code, c.Code, err)
			}
			if c.Panel() {
				return nil, fmt.Errorf("fhir: %s: %s component %s: components cannot be panels", vitalsFile, s.Code, c.Code)
			}
		}
		for _, code := range s.Descending {
			if !slices.ContainsFunc(s.Components, func(c *VitalSign) bool { return c.Code == code }) {
				return nil, fmt.Errorf("fhir: %s: %s: descending names %s, which is not a component", vitalsFile, s.Code, code)
			}
		}
	}
	return &p, nil
}

// checkSign checks one measurement's entry and compiles its limits; seen
// catches a code listed twice.
func checkSign(s *VitalSign, seen map[string]bool) error {
	if s.Code == "" || s.Name == "" || s.Display == "" {
		return errors.New("code, name and display are required")
	}
	for _, code := range append([]string{s.Code}, s.AlsoCodes...) {
		if seen[code] {
			return fmt.Errorf("code %s listed twice", code)
		}
		seen[code] = true
	}
	if s.Panel() {
		if len(s.Units) > 0 || s.Limits != nil {
			return errors.New("a panel has no units or limits of its own")
		}
		return nil
	}
	if len(s.Units) == 0 || s.Limits == nil {
		return errors.New("a measurement needs units and limits")
	}
	return s.Limits.compile(s.Units)
}

// WorkflowRules are the tables of data/workflow.json.
type WorkflowRules struct {
	StateMachines []*StateMachine `json:"stateMachines"`
	Scheduling    *Scheduling     `json:"scheduling"`
	Requirements  []*Requirement  `json:"requirements"`
}

// StateMachine returns the state machine of a resource type.
func (w *WorkflowRules) StateMachine(typ string) (*StateMachine, bool) {
	for _, m := range w.StateMachines {
		if m.Type == typ {
			return m, true
		}
	}
	return nil, false
}

// StateMachine is the status lifecycle of a resource type.
type StateMachine struct {
	Type     string `json:"type"`
	Element  string `json:"element"`  // the status element
	ValueSet string `json:"valueSet"` // the required binding the states come from
	// Transitions maps every state to the states it may change to.
	Transitions map[string][]string `json:"transitions"`
}

// Known reports whether state is a state of the machine.
func (m *StateMachine) Known(state string) bool {
	_, ok := m.Transitions[state]
	return ok
}

// Allows reports whether a resource in state from may change to state to.
// Staying in the same state is always allowed: other elements may change.
func (m *StateMachine) Allows(from, to string) bool {
	return from == to || slices.Contains(m.Transitions[from], to)
}

// States returns the states in sorted order, for messages.
func (m *StateMachine) States() []string {
	out := make([]string, 0, len(m.Transitions))
	for s := range m.Transitions {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Scheduling says which appointments hold their participants' time.
type Scheduling struct {
	Type string `json:"type"` // Appointment
	// Occupying statuses hold the time of the exclusive actors: two such
	// appointments of the same practitioner or room cannot overlap.
	Occupying       []string `json:"occupying"`
	ExclusiveActors []string `json:"exclusiveActors"`
	// FreeParticipation lists participant statuses that leave the actor
	// free (a practitioner who declined).
	FreeParticipation []string `json:"freeParticipation"`
}

// Requirement is what one kind of record needs beyond the JSON schema.
// Paths are dotted element names from the resource root; a name ending in
// [x] matches any type of a choice element (effective[x]).
type Requirement struct {
	Name string     `json:"name"`
	Type string     `json:"type"`
	When *Condition `json:"when"` // nil: every resource of Type
	// Elements must be present, each under every instance of its parent:
	// "participant.status" means every participant has a status.
	Elements []string `json:"elements"`
	// Targets restricts the resource types that references may point to.
	Targets map[string][]string `json:"targets"`
	// SameSubject lists references whose targets must have the same
	// subject as this resource (a lab result and its specimen). The
	// references rule checks them, with the answer it gives for a missing
	// target (400).
	SameSubject []string `json:"sameSubject"`
	// UCUM lists Quantity elements that, when present, must carry a UCUM unit.
	UCUM []string `json:"ucum"`
	// CodeSystems lists CodeableConcept elements that, when present, need a
	// coding from one of the systems.
	CodeSystems map[string][]string `json:"codeSystems"`
	Why         string              `json:"why"`
}

// Condition selects resources by a code: a code element (status) equal to
// one of Codes, or a CodeableConcept (category) with a coding of System and
// one of Codes.
type Condition struct {
	Element string   `json:"element"`
	System  string   `json:"system"`
	Codes   []string `json:"codes"`
}

func loadWorkflow() (*WorkflowRules, error) {
	var w WorkflowRules
	if err := readJSON(workflowFile, &w); err != nil {
		return nil, err
	}
	if err := w.check(); err != nil {
		return nil, fmt.Errorf("fhir: %s: %w", workflowFile, err)
	}
	return &w, nil
}

func (w *WorkflowRules) check() error {
	types, err := typeNames()
	if err != nil {
		return err
	}
	served := func(t string) bool { return slices.Contains(types, t) }
	for _, m := range w.StateMachines {
		if !served(m.Type) || m.Element == "" || len(m.Transitions) == 0 {
			return fmt.Errorf("state machine %q: a served type, its element and transitions are required", m.Type)
		}
		for from, tos := range m.Transitions {
			for _, to := range tos {
				if !m.Known(to) {
					return fmt.Errorf("state machine %s: %s -> %s: unknown state", m.Type, from, to)
				}
			}
		}
	}
	if s := w.Scheduling; s != nil {
		m, ok := w.StateMachine(s.Type)
		if !ok || len(s.ExclusiveActors) == 0 {
			return fmt.Errorf("scheduling: %q needs a state machine and exclusive actors", s.Type)
		}
		for _, st := range s.Occupying {
			if !m.Known(st) {
				return fmt.Errorf("scheduling: occupying status %q is not a state", st)
			}
		}
	}
	names := map[string]bool{}
	for _, r := range w.Requirements {
		if r.Name == "" || names[r.Name] || !served(r.Type) || r.Why == "" {
			return fmt.Errorf("requirement %q: a unique name, a served type and why are required", r.Name)
		}
		names[r.Name] = true
		if r.When != nil && (r.When.Element == "" || len(r.When.Codes) == 0) {
			return fmt.Errorf("requirement %s: when needs an element and codes", r.Name)
		}
	}
	return nil
}

// readJSON decodes an embedded data file strictly: an unknown key is a typo.
func readJSON(name string, v any) error {
	b, err := readData(name)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("fhir: parse %s: %w", name, err)
	}
	return nil
}
