package rules

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/store"
)

// referencesRule refuses (400) a reference to a record of a served type that
// does not exist or was deleted, wherever the reference sits in the
// document. The syntax is checked before the transaction; existence inside
// it, so that a reference cannot land just after its target was deleted.
//
// References that a requirement marks sameSubject (a lab result's specimen)
// must also point to a record of the resource's own subject. A record of
// another subject gets the same answer as a missing one, so that the answer
// does not tell a caller limited to one patient that it exists.
func referencesRule(reqs []*fhir.Requirement) engine.Rule {
	const name = "references"
	return engine.Rule{
		Name: name,
		Prepare: func(_ context.Context, c *engine.Change) error {
			rep := newReport(name)
			walkReferences(root(c.Type, c.Doc), func(ref node) {
				if _, kind := parseReference(ref.str("reference")); kind == refMalformed {
					rep.fail(ref.path, "%q is not a reference of the form Type/id", ref.str("reference"))
				}
			})
			return rep.finish(c, fhirerr.Invalid)
		},
		Commit: func(ctx context.Context, tx store.Tx, c *engine.Change) error {
			if c.Doc == nil {
				return nil
			}
			doc := root(c.Type, c.Doc)
			rep := newReport(name)
			owner, scoped := subjectOf(doc), sameSubjectPaths(doc, reqs)
			type key struct {
				t     target
				owner string
			}
			problems := map[key]string{} // each target is read once
			var readErr error
			walkReferences(doc, func(ref node) {
				t, kind := parseReference(ref.str("reference"))
				if kind != refServed || t == (target{c.Type, c.ID}) || readErr != nil {
					return
				}
				k := key{t: t}
				if owner != "" && slices.Contains(scoped, withoutIndexes(ref.path)) {
					k.owner = owner
				}
				problem, seen := problems[k]
				if !seen {
					problem, readErr = lookUp(ctx, tx, k.t, k.owner)
					problems[k] = problem
				}
				if problem != "" {
					rep.fail(ref.path, "%s", problem)
				}
			})
			if readErr != nil {
				return readErr
			}
			return rep.finish(c, fhirerr.Invalid)
		},
	}
}

// lookUp says what is wrong with a reference target ("" when it is a
// current record, of owner when owner is set).
func lookUp(ctx context.Context, tx store.Tx, t target, owner string) (string, error) {
	res, err := tx.Read(ctx, t.typ, t.id)
	missing := errors.Is(err, store.ErrNotFound)
	if err != nil && !missing {
		return "", fmt.Errorf("references: read %s: %w", t, err)
	}
	if owner != "" {
		if !missing && !res.Deleted {
			stored, err := decodeStored(res)
			if err != nil {
				return "", err
			}
			if subjectOf(root(t.typ, stored)) == owner {
				return "", nil
			}
		}
		return fmt.Sprintf("%s is not a current record of %s", t, owner), nil
	}
	switch {
	case missing:
		return t.String() + " does not exist", nil
	case res.Deleted:
		return t.String() + " was deleted", nil
	}
	return "", nil
}

// sameSubjectPaths lists the elements (Observation.specimen) whose targets
// must share the resource's subject, by the requirements that apply to it.
func sameSubjectPaths(doc node, reqs []*fhir.Requirement) []string {
	var out []string
	for _, r := range reqs {
		if r.Type != doc.path || !applies(doc, r.When) {
			continue
		}
		for _, p := range r.SameSubject {
			out = append(out, doc.path+"."+p)
		}
	}
	return out
}

var arrayIndex = regexp.MustCompile(`\[\d+\]`)

// withoutIndexes turns a located path (Observation.specimen[0]) into an
// element path (Observation.specimen).
func withoutIndexes(path string) string { return arrayIndex.ReplaceAllString(path, "") }

// subjectOf is the subject of a resource as Type/id ("" when it has none
// the server can compare).
func subjectOf(doc node) string {
	for _, s := range doc.child("subject") {
		if t, kind := parseReference(s.str("reference")); kind == refServed || kind == refForeign {
			return t.String()
		}
	}
	return ""
}
