package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// plan is a store.Query translated into the SQL pieces that the page, count
// and probe statements share. Rows are ordered by the sort values, missing
// values last in both directions, then by id; keyset paging continues from a
// cursor with a condition on that same order.
type plan struct {
	joins      string // the one-row table sk of the sort values' JSON paths
	joinArgs   []any
	filter     string // the live resources of the type that satisfy Where
	filterArgs []any
	keys       []sortCol
}

type sortCol struct {
	expr string // json_extract(r.sorts, sk.p0), …
	desc bool
}

// sortPath is the JSON path of a parameter's value in resource.sorts.
func sortPath(param string) string {
	b, _ := json.Marshal(param) // a string always encodes
	return "$." + string(b)
}

// newPlan translates q; shapes (nil in tests of the SQL alone) tells the
// shape of stored range entries, which bounds range lookups.
func newPlan(q *store.Query, shapes shapeSource) (*plan, error) {
	p := &plan{}
	if len(q.Sort) > 0 {
		// The JSON paths of the sort values are bound once, as the columns
		// of a one-row table sk, so that no parameter name reaches the SQL.
		cols := make([]string, len(q.Sort))
		for i, k := range q.Sort {
			cols[i] = fmt.Sprintf("? AS p%d", i)
			p.joinArgs = append(p.joinArgs, sortPath(k.Param))
			p.keys = append(p.keys, sortCol{expr: fmt.Sprintf("json_extract(r.sorts, sk.p%d)", i), desc: k.Desc})
		}
		p.joins = ", (SELECT " + strings.Join(cols, ", ") + ") AS sk"
	}

	w := &where{args: []any{q.Type}, shapes: shapes}
	p.filter = "r.type = ? AND r.deleted = 0"
	if drives(q.Where) {
		// The unary + keeps SQLite from walking the (type, deleted)
		// index over every resource of the type, which it prefers without
		// statistics; the index lookups of the where clause drive instead.
		p.filter = "+r.type = ? AND +r.deleted = 0"
	}
	if q.Where != nil {
		cond, err := w.expr(q.Where, scope{alias: "r", typ: q.Type})
		if err != nil {
			return nil, err
		}
		p.filter += " AND " + group(q.Where, cond)
	}
	p.filterArgs = w.args
	return p, nil
}

// drives reports whether x is a set lookup (or a conjunction with one) that
// can lead the query through an idx index.
func drives(x search.Expr) bool {
	switch x := x.(type) {
	case search.Match, search.IDIn, search.Chain, search.Has:
		return true
	case search.And:
		for _, m := range x {
			if drives(m) {
				return true
			}
		}
	}
	return false
}

// pageSQL selects up to limit rows beyond cur (nil: from the start), walking
// the order backwards when back is set. The page's ids and sort values are
// chosen first, so that sorting never carries the bodies along; the bodies
// are joined to the few rows chosen.
func (p *plan) pageSQL(cur *store.Cursor, back bool, limit int) (string, []any, error) {
	var b strings.Builder
	var args []any
	b.WriteString("WITH page AS MATERIALIZED (SELECT r.rowid AS rk, r.id AS id")
	inner, outer := make([]string, len(p.keys)), make([]string, len(p.keys))
	for i, k := range p.keys {
		outer[i] = fmt.Sprintf("page.v%d", i)
		inner[i] = k.expr
		fmt.Fprintf(&b, ", %s AS v%d", k.expr, i)
	}
	b.WriteString(" FROM resource r" + p.joins + " WHERE " + p.filter)
	args = append(append(args, p.joinArgs...), p.filterArgs...)
	if cur != nil {
		cond, condArgs, err := p.beyond(cur, back)
		if err != nil {
			return "", nil, err
		}
		b.WriteString(" AND (" + cond + ")")
		args = append(args, condArgs...)
	}
	b.WriteString(" ORDER BY " + p.order(inner, "r.rowid", back) + " LIMIT ?)")
	args = append(args, limit)
	b.WriteString(" SELECT page.rk, page.id, r.vid, r.updated, r.body")
	for _, o := range outer {
		b.WriteString(", " + o)
	}
	b.WriteString(" FROM page JOIN resource r ON r.rowid = page.rk ORDER BY " + p.order(outer, "page.rk", back))
	return b.String(), args, nil
}

// countSQL counts every match; the sort values play no part.
func (p *plan) countSQL() (string, []any) {
	return "SELECT count(*) FROM resource r WHERE " + p.filter, p.filterArgs
}

// probeSQL asks whether any row lies beyond cur, which tells whether a
// previous or next link leads anywhere.
func (p *plan) probeSQL(cur *store.Cursor, back bool) (string, []any, error) {
	cond, condArgs, err := p.beyond(cur, back)
	if err != nil {
		return "", nil, err
	}
	q := "SELECT EXISTS (SELECT 1 FROM resource r" + p.joins + " WHERE " + p.filter + " AND (" + cond + "))"
	args := append(append(append([]any{}, p.joinArgs...), p.filterArgs...), condArgs...)
	return q, args, nil
}

// order is the ORDER BY list over the key expressions and the id, walking
// forwards or backwards. "x IS NULL" first keeps missing values last.
func (p *plan) order(keys []string, id string, back bool) string {
	terms := make([]string, 0, 2*len(keys)+1)
	for i, k := range keys {
		desc := p.keys[i].desc != back
		nulls, dir := k+" IS NULL", k
		if back {
			nulls += " DESC"
		}
		if desc {
			dir += " DESC"
		}
		terms = append(terms, nulls, dir)
	}
	if back {
		id += " DESC"
	}
	return strings.Join(append(terms, id), ", ")
}

// beyond is the condition that a row lies strictly beyond cur in the order
// (before it, when back is set). It nests from the last key outwards:
//
//	key0 past c0 OR (key0 = c0 AND (key1 past c1 OR (… AND id past cid)))
//
// where "past" puts a missing value after every present one.
func (p *plan) beyond(cur *store.Cursor, back bool) (string, []any, error) {
	if len(cur.Values) != len(p.keys) {
		return "", nil, fmt.Errorf("cursor has %d sort values, the query %d", len(cur.Values), len(p.keys))
	}
	cond, args := "r.rowid > ?", []any{cur.Row}
	if back {
		cond = "r.rowid < ?"
	}
	for i := len(p.keys) - 1; i >= 0; i-- {
		k := p.keys[i]
		v, err := sortValue(cur.Values[i])
		if err != nil {
			return "", nil, fmt.Errorf("cursor value %d: %w", i, err)
		}
		switch {
		case v == nil && !back: // nothing sorts after a missing value but other missing values
			cond = fmt.Sprintf("%s IS NULL AND (%s)", k.expr, cond)
		case v == nil && back: // every present value sorts before it
			cond = fmt.Sprintf("%s IS NOT NULL OR (%s IS NULL AND (%s))", k.expr, k.expr, cond)
		case !back:
			cond = fmt.Sprintf("%s %s ? OR %s IS NULL OR (%s = ? AND (%s))", k.expr, cmp(k.desc), k.expr, k.expr, cond)
			args = append([]any{v, v}, args...)
		default:
			cond = fmt.Sprintf("%s %s ? OR (%s = ? AND (%s))", k.expr, cmp(!k.desc), k.expr, cond)
			args = append([]any{v, v}, args...)
		}
	}
	return cond, args, nil
}

// cmp is the operator for "later in an ascending (or descending) order".
func cmp(desc bool) string {
	if desc {
		return "<"
	}
	return ">"
}
