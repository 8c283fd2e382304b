package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/store"
)

// statusRule enforces a status lifecycle from fhir/data/workflow.json: a
// status must be one of the machine's states (400, a required binding), and
// an update may only move along a transition of the table (422), judged
// inside the transaction against the version it replaces.
func statusRule(m *fhir.StateMachine) engine.Rule {
	name := "status-" + m.Type
	path := m.Type + "." + m.Element
	return engine.Rule{
		Name:  name,
		Types: []string{m.Type},
		Prepare: func(_ context.Context, c *engine.Change) error {
			rep := newReport(name)
			if s := root(c.Type, c.Doc).str(m.Element); s != "" && !m.Known(s) {
				rep.fail(path, "%q is not in %s; use one of: %s", s, m.ValueSet, strings.Join(m.States(), ", "))
			}
			return rep.finish(c, fhirerr.Invalid)
		},
		Commit: func(_ context.Context, _ store.Tx, c *engine.Change) error {
			if c.Doc == nil || c.Prev == nil {
				return nil // a creation starts anywhere; a deletion is not a status change
			}
			prev, err := decodeStored(c.Prev)
			if err != nil {
				return err
			}
			from, to := root(c.Type, prev).str(m.Element), root(c.Type, c.Doc).str(m.Element)
			if from == "" || to == "" || m.Allows(from, to) {
				return nil
			}
			next := "nothing else: it is final"
			if tos := m.Transitions[from]; len(tos) > 0 {
				next = strings.Join(tos, ", ")
			}
			rep := newReport(name)
			rep.fail(path, "a %s %s cannot become %s; from %s it may become %s", from, m.Type, to, from, next)
			return rep.finish(c, fhirerr.Unprocessable)
		},
	}
}

// decodeStored decodes a stored version's body. It was checked strictly
// when it was written, so the plain decoder will do.
func decodeStored(r *store.Resource) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("rules: decode stored %s/%s: %w", r.Type, r.ID, err)
	}
	return doc, nil
}
