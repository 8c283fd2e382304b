package rules

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/fhir/ucum"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
)

// requirementRule enforces one requirement of fhir/data/workflow.json (422):
// required elements, the types references may point to, UCUM units and
// code systems. Its sameSubject part runs in the references rule, so that a
// record of another subject reads like a missing one.
func requirementRule(req *fhir.Requirement) engine.Rule {
	return engine.Rule{
		Name:  req.Name,
		Types: []string{req.Type},
		Prepare: func(_ context.Context, c *engine.Change) error {
			doc := root(c.Type, c.Doc)
			if !applies(doc, req.When) {
				return nil
			}
			rep := newReport(req.Name)
			checkContent(rep, doc, req)
			return rep.finish(c, fhirerr.Unprocessable)
		},
	}
}

// applies reports whether a requirement's condition holds for the resource.
func applies(doc node, when *fhir.Condition) bool {
	if when == nil {
		return true
	}
	for _, n := range doc.selectPath(when.Element) {
		if s, ok := n.v.(string); ok && when.System == "" && slices.Contains(when.Codes, s) {
			return true
		}
		if hasCoding(n, when.System, when.Codes) {
			return true
		}
	}
	return false
}

// checkContent runs the content checks of a requirement.
func checkContent(rep *report, doc node, req *fhir.Requirement) {
	for _, path := range req.Elements {
		for _, at := range doc.missing(path) {
			rep.fail(at, "%s is required: %s", at, req.Why)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(req.Targets)) {
		for _, ref := range doc.selectPath(path) {
			checkTarget(rep, ref, req.Targets[path])
		}
	}
	for _, path := range req.UCUM {
		for _, q := range doc.selectPath(path) {
			checkUCUM(rep, q)
		}
	}
	for _, path := range slices.Sorted(maps.Keys(req.CodeSystems)) {
		for _, cc := range doc.selectPath(path) {
			checkCodeSystem(rep, cc, req.CodeSystems[path])
		}
	}
}

// checkTarget refuses a reference to a type outside types. A reference
// that does not tell its type (contained, urn:uuid:) is left alone.
func checkTarget(rep *report, ref node, types []string) {
	if typ := referenceType(ref); typ != "" && !slices.Contains(types, typ) {
		rep.fail(ref.path, "must refer to a %s, not a %s", strings.Join(types, " or "), typ)
	}
}

// checkUCUM refuses a Quantity whose unit is not coded in UCUM.
func checkUCUM(rep *report, q node) {
	system, code := q.str("system"), q.str("code")
	switch {
	case system != fhir.UCUMSystem:
		rep.fail(q.path+".system", "the unit must be coded in UCUM (system %s), not %q", fhir.UCUMSystem, system)
	case code == "":
		rep.fail(q.path+".code", "the UCUM code of the unit is required")
	default:
		// Valid UCUM units without a conversion (pH, dB) are still units.
		if _, _, err := ucum.Canonical(1, code); errors.Is(err, ucum.ErrInvalidUnit) {
			rep.fail(q.path+".code", "%q is not a UCUM unit", code)
		}
	}
}

// checkCodeSystem refuses a CodeableConcept without a coding from systems.
func checkCodeSystem(rep *report, cc node, systems []string) {
	for _, c := range cc.child("coding") {
		if slices.Contains(systems, c.str("system")) {
			return
		}
	}
	rep.fail(cc.path, "needs a coding from %s", strings.Join(systems, " or "))
}
