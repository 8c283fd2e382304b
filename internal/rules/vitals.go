package rules

import (
	"context"
	"strings"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
)

// vitalSignsRule applies the FHIR R4 vital-signs profile of
// fhir/data/vitals.json to Observations in the vital-signs category: a
// LOINC code of the profile, a Quantity in a unit allowed for it (or a
// dataAbsentReason), panels with their components or members, values
// within physiological limits (422 outside) and a warning for the unusual.
func vitalSignsRule(p *fhir.VitalSignsProfile) engine.Rule {
	const name = "vital-signs"
	category := &fhir.Condition{Element: "category", System: p.Category.System, Codes: []string{p.Category.Code}}
	return engine.Rule{
		Name:  name,
		Types: []string{"Observation"},
		Prepare: func(_ context.Context, c *engine.Change) error {
			obs := root(c.Type, c.Doc)
			if !applies(obs, category) {
				return nil
			}
			rep := newReport(name)
			checkVitalSign(rep, obs, p)
			return rep.finish(c, fhirerr.Unprocessable)
		},
	}
}

func checkVitalSign(rep *report, obs node, p *fhir.VitalSignsProfile) {
	sign := identify(obs, p.CodeSystem, p.Signs)
	if sign == nil {
		rep.fail(obs.path+".code", "a vital sign needs a LOINC code of the vital-signs profile (%s)", knownCodes(p.Signs))
		return
	}
	if !sign.Panel() {
		checkMeasurement(rep, obs, sign)
		return
	}
	if key, ok := elementKey(obs.object(), "value[x]"); ok {
		rep.fail(obs.path+"."+key, "the %s panel (LOINC %s) has no value of its own; its values are in its components or members", sign.Name, sign.Code)
	}
	if sign.HasMember && len(obs.child("hasMember")) == 0 {
		rep.fail(obs.path+".hasMember", "the %s (LOINC %s) lists its measurements in hasMember", sign.Name, sign.Code)
	}
	if len(sign.Components) > 0 {
		checkComponents(rep, obs, sign, p.CodeSystem)
	}
}

// identify finds the measurement an Observation (or component) is coded as.
func identify(n node, system string, signs []*fhir.VitalSign) *fhir.VitalSign {
	for _, coding := range n.selectPath("code.coding") {
		if coding.str("system") != system {
			continue
		}
		for _, s := range signs {
			if s.Is(coding.str("code")) {
				return s
			}
		}
	}
	return nil
}

// checkComponents requires each component of a panel, checks its value, and
// the order of values the panel prescribes (systolic above diastolic).
func checkComponents(rep *report, obs node, panel *fhir.VitalSign, system string) {
	comps := obs.child("component")
	values := map[string]measured{}
	for _, want := range panel.Components {
		i := -1
		for j, comp := range comps {
			if identify(comp, system, []*fhir.VitalSign{want}) != nil {
				i = j
				break
			}
		}
		if i < 0 {
			rep.fail(obs.path+".component", "the %s panel needs a %s component (LOINC %s, %s)", panel.Name, want.Name, want.Code, strings.Join(want.Units, " or "))
			continue
		}
		if m, ok := checkMeasurement(rep, comps[i], want); ok {
			values[want.Code] = m
		}
	}
	for i := 0; i+1 < len(panel.Descending); i++ {
		hi, okHi := values[panel.Descending[i]]
		lo, okLo := values[panel.Descending[i+1]]
		if okHi && okLo && lo.canonical >= hi.canonical {
			rep.fail(lo.path, "the %s (%s) must be below the %s (%s)", lo.sign.Name, lo, hi.sign.Name, hi)
		}
	}
}

func knownCodes(signs []*fhir.VitalSign) string {
	list := make([]string, 0, len(signs))
	for _, s := range signs {
		list = append(list, s.Code+" "+s.Name)
	}
	return strings.Join(list, ", ")
}
