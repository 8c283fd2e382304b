package rules

import (
	"context"
	"fmt"
	"slices"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// maxReferrersListed bounds the referrers a refused delete names: enough
// for the caller to act on, and the searches stop there.
const maxReferrersListed = 10

// referrerSearch is how to find the records of one type that point to a
// given type: its reference search parameters that may target it.
type referrerSearch struct {
	typ    string
	params []string
}

// referrerSearches maps each served type to the searches that find records
// pointing to it. Read-only types (AuditEvent) are left out: audit records
// describe what happened to a record; they do not hold it in use.
func referrerSearches() map[string][]referrerSearch {
	types := fhir.Types()
	out := map[string][]referrerSearch{}
	for _, from := range types {
		if from.ReadOnly {
			continue
		}
		params := fhir.SearchParams(from.Name)
		for _, to := range types {
			var names []string
			for code, p := range params {
				if p.Type == fhir.ParamReference && slices.Contains(p.Target, to.Name) {
					names = append(names, code)
				}
			}
			if len(names) > 0 {
				slices.Sort(names)
				out[to.Name] = append(out[to.Name], referrerSearch{typ: from.Name, params: names})
			}
		}
	}
	return out
}

// referencedRule refuses (409) to delete a record that other current
// records still point to, naming the first of them. It finds them through
// the reference search parameters, so it sees the references the index
// holds (subject, specimen, hasMember, participant.actor, …), not those in
// extensions.
func referencedRule() engine.Rule {
	const name = "still-referenced"
	searches := referrerSearches()
	return engine.Rule{
		Name: name,
		Commit: func(ctx context.Context, tx store.Tx, c *engine.Change) error {
			if c.Doc != nil {
				return nil
			}
			self := target{c.Type, c.ID}
			var found []target
			for _, rs := range searches[c.Type] {
				more, err := rs.find(ctx, tx, self, maxReferrersListed-len(found))
				if err != nil {
					return err
				}
				if found = append(found, more...); len(found) >= maxReferrersListed {
					break
				}
			}
			rep := newReport(name)
			for _, f := range found {
				rep.fail("", "%s is still referenced by %s", self, f)
			}
			if len(found) >= maxReferrersListed {
				rep.fail("", "the list of records referencing %s stops at %d", self, maxReferrersListed)
			}
			return rep.finish(c, fhirerr.Conflict)
		},
	}
}

// find returns up to limit current records of rs.typ that point to t.
func (rs referrerSearch) find(ctx context.Context, tx store.Tx, t target, limit int) ([]target, error) {
	viaAny := make(search.Or, 0, len(rs.params))
	for _, p := range rs.params {
		viaAny = append(viaAny, search.Match{Param: p, Conds: []search.Cond{
			{Field: search.FieldSystem, Op: search.OpEq, Value: t.typ},
			{Field: search.FieldCode, Op: search.OpEq, Value: t.id},
		}})
	}
	var where search.Expr = viaAny
	if rs.typ == t.typ { // a record that points to itself does not hold itself
		where = search.And{viaAny, search.Not{X: search.IDIn{t.id}}}
	}
	res, err := tx.Search(ctx, &store.Query{Type: rs.typ, Where: where, Count: limit})
	if err != nil {
		return nil, fmt.Errorf("still-referenced: search %s: %w", rs.typ, err)
	}
	out := make([]target, 0, len(res.Resources))
	for _, r := range res.Resources {
		out = append(out, target{r.Type, r.ID})
	}
	return out, nil
}
