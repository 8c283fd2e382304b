// Package rules holds the back office's business rules beyond the JSON
// schema: vital-sign profiles, medication administration state changes,
// appointment scheduling and reference integrity. Each rule is data-driven
// where the specification gives data (fhir/), and runs in the engine.
//
// Content checks run before the storage transaction (Prepare); checks that
// depend on other records run inside it (Commit), against a consistent view.
// Refusals name the element (FHIRPath) and start with the rule's name:
//
//	references             400  a reference to a served type must point to a current record
//	                            (of the same subject, where a requirement says sameSubject)
//	still-referenced       409  a record others point to cannot be deleted
//	status-<Type>          400  unknown status; 422 a transition outside the table
//	<requirement name>     422  fhir/data/workflow.json "requirements"
//	vital-signs            422  fhir/data/vitals.json; warnings for unusual values
//	appointment-schedule   422  start/end, minutesDuration, participants
//	double-booking         409  overlapping bookings of a practitioner or room
package rules

import (
	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
)

// All returns every rule the server enforces, in the order they run. The
// rule data is embedded: a defect in it panics here, at start-up (and in
// the fhir package's tests), never on a request.
func All() []engine.Rule {
	vitals, wf := fhir.VitalSigns(), fhir.Workflow()
	// Malformed and dangling references (400) first, then unknown codes
	// (400), then the business rules (422, 409).
	all := []engine.Rule{referencesRule(wf.Requirements), referencedRule()}
	for _, m := range wf.StateMachines {
		all = append(all, statusRule(m))
	}
	for _, r := range wf.Requirements {
		all = append(all, requirementRule(r))
	}
	all = append(all, vitalSignsRule(vitals))
	if s := wf.Scheduling; s != nil {
		all = append(all, appointmentRule(s.Type), bookingRule(s))
	}
	return all
}
