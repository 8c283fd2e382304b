// Package rules holds the back office's business rules beyond the JSON
// schema: vital-sign profiles, medication administration state changes,
// appointment scheduling and reference integrity. Each rule is data-driven
// where the specification gives data (fhir/), and runs in the engine.
package rules

import "github.com/clinic/ehr/internal/engine"

// All returns every rule the server enforces.
func All() []engine.Rule {
	return nil
}
