package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/search"
)

// compiled is an expression translated into a MongoDB filter.
type compiled struct {
	filter bson.D // nil: no condition
	// exact is false when filter only narrows the candidates (a superset of
	// the answer): then check must run on each returned document.
	exact bool
	check func(d *resourceDoc) bool // the whole condition, in Go
}

// idSource runs the sub-queries of chained and reverse-chained searches.
type idSource interface {
	// chainTargets returns the ids of the current c.Target resources that
	// satisfy c.Where.
	chainTargets(ctx context.Context, c search.Chain) ([]string, error)
	// hasSubjects returns the ids of the typ resources that some current
	// h.Type resource satisfying h.Where refers to through h.Param.
	hasSubjects(ctx context.Context, typ string, h search.Has) ([]string, error)
}

// translator turns an expression tree on resources of one type into a
// filter. Every literal, parameter names included, becomes a value in a
// bson.D; keys come only from the tables in literal.go.
type translator struct {
	ctx context.Context
	typ string
	ids idSource
}

var (
	everything = compiled{exact: true, check: func(*resourceDoc) bool { return true }}
	// nothing matches no document: an empty $in (an empty $or is invalid).
	nothing = compiled{
		filter: bsonD("_id", bsonD("$in", bson.A{})),
		exact:  true,
		check:  func(*resourceDoc) bool { return false },
	}
)

func (t *translator) expr(x search.Expr) (compiled, error) {
	switch x := x.(type) {
	case nil:
		return everything, nil
	case search.Match:
		return t.match(x)
	case *search.Match:
		return t.match(*x)
	case search.Missing:
		return missing(x), nil
	case *search.Missing:
		return missing(*x), nil
	case search.And:
		return t.and(x)
	case *search.And:
		return t.and(*x)
	case search.Or:
		return t.or(x)
	case *search.Or:
		return t.or(*x)
	case search.Not:
		return t.not(x)
	case *search.Not:
		return t.not(*x)
	case search.IDIn:
		return idIn(x), nil
	case *search.IDIn:
		return idIn(*x), nil
	case search.Chain:
		return t.chain(x)
	case *search.Chain:
		return t.chain(*x)
	case search.Has:
		return t.has(x)
	case *search.Has:
		return t.has(*x)
	default:
		return compiled{}, fmt.Errorf("mongo: unsupported search expression %T", x)
	}
}

func (t *translator) and(xs search.And) (compiled, error) {
	out := compiled{exact: true}
	var filters []bson.D
	checks := make([]func(*resourceDoc) bool, 0, len(xs))
	for _, x := range xs {
		c, err := t.expr(x)
		if err != nil {
			return compiled{}, err
		}
		filters = append(filters, c.filter)
		checks = append(checks, c.check)
		out.exact = out.exact && c.exact
	}
	out.filter = and(filters...)
	out.check = func(d *resourceDoc) bool {
		for _, ok := range checks {
			if !ok(d) {
				return false
			}
		}
		return true
	}
	return out, nil
}

func (t *translator) or(xs search.Or) (compiled, error) {
	if len(xs) == 0 {
		return nothing, nil
	}
	out := compiled{exact: true}
	branches := bson.A{}
	unbounded := false // a branch without a filter admits every document
	checks := make([]func(*resourceDoc) bool, 0, len(xs))
	for _, x := range xs {
		c, err := t.expr(x)
		if err != nil {
			return compiled{}, err
		}
		if c.filter == nil {
			unbounded = true
		}
		branches = append(branches, c.filter)
		checks = append(checks, c.check)
		out.exact = out.exact && c.exact
	}
	switch {
	case unbounded:
		out.filter = nil
	case len(branches) == 1:
		out.filter = branches[0].(bson.D)
	default:
		out.filter = bsonD("$or", branches)
	}
	out.check = func(d *resourceDoc) bool {
		for _, ok := range checks {
			if ok(d) {
				return true
			}
		}
		return false
	}
	return out, nil
}

// not negates exactly only an exact operand: the complement of a superset
// is no superset of the complement, so an inexact operand leaves the
// database unconstrained and Go decides.
func (t *translator) not(n search.Not) (compiled, error) {
	c, err := t.expr(n.X)
	if err != nil {
		return compiled{}, err
	}
	check := func(d *resourceDoc) bool { return !c.check(d) }
	switch {
	case !c.exact:
		return compiled{exact: false, check: check}, nil
	case c.filter == nil:
		return nothing, nil
	default:
		return compiled{filter: bsonD("$nor", bson.A{c.filter}), exact: true, check: check}, nil
	}
}

func missing(m search.Missing) compiled {
	has := bsonD("$elemMatch", bsonD("p", bsonD("$eq", m.Param)))
	present := func(d *resourceDoc) bool {
		for i := range d.Idx {
			if d.Idx[i].Param == m.Param {
				return true
			}
		}
		return false
	}
	if m.Missing {
		return compiled{
			filter: bsonD("idx", bsonD("$not", has)),
			exact:  true,
			check:  func(d *resourceDoc) bool { return !present(d) },
		}
	}
	return compiled{filter: bsonD("idx", has), exact: true, check: present}
}
