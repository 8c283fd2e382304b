package sqlite

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clinic/ehr/internal/search"
)

// This file translates a search expression tree into an SQL condition on a
// resource row. Field and operator names go through the static tables below,
// and every literal, parameter name and type name becomes a bound argument:
// nothing from the tree is ever spliced into the SQL text.
//
// A node that leads the query becomes a set membership test on the row's
// rowid (or id), with a subquery that an index of idx can drive: SQLite
// does not turn a correlated EXISTS into such a lookup, and would otherwise
// visit every resource of the type. In a conjunction only one member leads
// (conjunction); the others become correlated EXISTS probes of the rows it
// finds, each a point lookup in the clustered idx (res, p, n).

// column is an idx column that a condition may compare.
type column struct {
	name    string
	numeric bool
}

var columns = map[search.Field]column{
	search.FieldSystem:     {"s", false},
	search.FieldCode:       {"c", false},
	search.FieldText:       {"t", false},
	search.FieldLo:         {"lo", true},
	search.FieldHi:         {"hi", true},
	search.FieldUnit:       {"u", false},
	search.FieldUnitSystem: {"us", false},
	search.FieldCLo:        {"clo", true},
	search.FieldCHi:        {"chi", true},
	search.FieldCUnit:      {"cu", false},
}

// comparisons are the operators that compare with SQL's own operators.
var comparisons = map[search.Op]string{
	search.OpEq: "=",
	search.OpLt: "<",
	search.OpLe: "<=",
	search.OpGt: ">",
	search.OpGe: ">=",
}

// scope is the resource row an expression is about: its SQL alias and type.
// The type is known statically (the query's, a chain's target, a reverse
// chain's source), which lets Has look references up by index.
type scope struct {
	alias string
	typ   string
}

// where accumulates the bound arguments, in the order their placeholders
// appear in the text, and numbers the aliases of nested subqueries.
type where struct {
	args    []any
	aliases int
	shapes  shapeSource // nil: no range bound relies on stored shapes
}

func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return "?"
}

func (w *where) alias(prefix string) string {
	w.aliases++
	return fmt.Sprintf("%s%d", prefix, w.aliases)
}

// expr translates x into a condition on the row of sc.
func (w *where) expr(x search.Expr, sc scope) (string, error) {
	switch x := x.(type) {
	case search.Match:
		return w.match(x, sc)
	case search.Missing:
		return w.missing(x, sc)
	case search.And:
		return w.conjunction(x, sc)
	case search.Or:
		return w.list(x, " OR ", "0", sc, w.expr)
	case search.Not:
		inner, err := w.expr(x.X, sc)
		if err != nil {
			return "", err
		}
		return "NOT (" + inner + ")", nil
	case search.IDIn:
		return w.idIn(x, sc), nil
	case search.Chain:
		return w.chain(x, sc)
	case search.Has:
		return w.has(x, sc)
	case nil:
		return "", fmt.Errorf("nil expression")
	default:
		return "", fmt.Errorf("unsupported expression %T", x)
	}
}

// match: some entry of the row for Param satisfies every condition. It is
// a set lookup that an index of idx drives, so the bounds its conditions
// imply on a range's low end are added (bounds.go).
func (w *where) match(m search.Match, sc scope) (string, error) {
	l, err := lowEndOf(m, nil, w.shapes)
	if err != nil {
		return "", err
	}
	return w.lookup(m, l, sc)
}

// lookup translates m as the set lookup that drives the query, with the
// bounds of l that m's conditions do not state.
func (w *where) lookup(m search.Match, l lowEnd, sc scope) (string, error) {
	e := w.alias("e")
	var b strings.Builder
	fmt.Fprintf(&b, "%s.rowid IN (SELECT %s.res FROM idx %s WHERE %s.p = %s", sc.alias, e, e, e, w.arg(m.Param))
	if extra := l.implied(m); len(extra) > 0 {
		m.Conds = append(m.Conds[:len(m.Conds):len(m.Conds)], extra...)
	}
	return w.conds(&b, e+".", m)
}

// conds appends " AND cond" for each condition of m on the entry whose
// columns are named col+name, and closes the subquery.
func (w *where) conds(b *strings.Builder, col string, m search.Match) (string, error) {
	for _, c := range m.Conds {
		cond, err := w.cond(col, c)
		if err != nil {
			return "", fmt.Errorf("match %s: %w", m.Param, err)
		}
		b.WriteString(" AND ")
		b.WriteString(cond)
	}
	b.WriteByte(')')
	return b.String(), nil
}

// conjunction translates an And. One Match drives the query as a set
// lookup (the best by rank, unless an id list is there); every other
// condition becomes a correlated probe of the row (probeExpr), which the
// clustered idx (res, p, n) answers with a point lookup. Intersecting
// several IN lists would make SQLite build every list whole: for
// "category + date range" over 100,000 Observations that is the difference
// between hundreds of milliseconds and a few. The driver comes first, then
// the probes of Matches by rank, then the rest: SQLite tests them in that
// order, so a selective probe rejects a row before the broad ones run.
func (w *where) conjunction(xs search.And, sc scope) (string, error) {
	xs = flatten(xs)
	if len(xs) == 0 {
		return "1", nil
	}
	members, err := w.rankMembers(xs)
	if err != nil {
		return "", err
	}
	parts := make([]string, len(members))
	for i, m := range members {
		var s string
		if m.drives {
			s, err = w.lookup(m.x.(search.Match), m.end, sc)
		} else {
			s, err = w.probeExpr(m.x, sc)
		}
		if err != nil {
			return "", err
		}
		parts[i] = group(m.x, s)
	}
	return strings.Join(parts, " AND "), nil
}

// flatten lifts the members of nested Ands into xs: every member of a
// conjunction may drive it.
func flatten(xs search.And) search.And {
	out := make(search.And, 0, len(xs))
	for _, x := range xs {
		if a, ok := x.(search.And); ok {
			out = append(out, flatten(a)...)
		} else {
			out = append(out, x)
		}
	}
	return out
}

// member is one condition of a conjunction, ranked.
type member struct {
	x      search.Expr
	score  int    // Matches only: rank, then the number of conditions
	end    lowEnd // Matches only: the bounds of a range's low end
	drives bool
}

// rankMembers scores the members of xs and orders them: the driver (the
// best Match), the other Matches by score, the rest as they came. An id list
// drives instead of any Match (the UNIQUE (type, id) index finds the ids):
// then the members that are not Matches come first.
func (w *where) rankMembers(xs search.And) ([]member, error) {
	var matches, rest []member
	ids := false
	for i, x := range xs {
		m, ok := x.(search.Match)
		if !ok {
			_, isID := x.(search.IDIn)
			ids = ids || isID
			rest = append(rest, member{x: x})
			continue
		}
		l, err := lowEndOf(m, siblings(xs, i), w.shapes)
		if err != nil {
			return nil, err
		}
		// Ties go to the Match with more conditions: it narrows further.
		score := int(rankOf(m, l))*16 + min(len(m.Conds), 15)
		matches = append(matches, member{x: m, score: score, end: l})
	}
	slices.SortStableFunc(matches, func(a, b member) int { return b.score - a.score })
	if ids {
		return append(rest, matches...), nil
	}
	if len(matches) > 0 {
		matches[0].drives = true
	}
	return append(matches, rest...), nil
}

// siblings are the Matches of xs other than the i-th.
func siblings(xs search.And, i int) []search.Match {
	var out []search.Match
	for j, x := range xs {
		if m, ok := x.(search.Match); ok && j != i {
			out = append(out, m)
		}
	}
	return out
}

// rank orders Matches as drivers, worst first: a fixed guess of how few
// entries the lookup reads, since SQLite has no estimate of a subquery's
// rows.
type rank int

const (
	rankOther     rank = iota // contains, :text, a range on the high end alone: a scan of the parameter
	rankBroad                 // equality on a code that most resources share (category, status)
	rankHalfRange             // a range bounded on one side: a scan from the bound to the end
	rankPrefix                // a string prefix
	rankRange                 // a range bounded on both sides
	rankToken                 // equality on a code
	rankReference             // one resource's referrers
)

// broadParams are token parameters with a handful of codes, each shared by a
// large part of the resources (nine Observations in ten are vital signs).
var broadParams = map[string]bool{"category": true, "status": true}

func rankOf(m search.Match, l lowEnd) rank {
	code, reference, prefix := false, false, false
	for _, c := range m.Conds {
		switch {
		case c.Field == search.FieldSystem && c.Op == search.OpEq:
			if v, ok := c.Value.(string); ok && v != "" && v[0] >= 'A' && v[0] <= 'Z' {
				reference = true // a resource type: a reference to one resource
			}
		case c.Field == search.FieldCode && c.Op == search.OpEq:
			code = true
		case c.Op == search.OpPrefix:
			prefix = true
		}
	}
	switch {
	case code && reference:
		return rankReference
	case code && !broadParams[m.Param]:
		return rankToken
	case l.bounded():
		return rankRange
	case prefix:
		return rankPrefix
	case l.half():
		return rankHalfRange
	case code:
		return rankBroad
	}
	return rankOther
}

// probe: the row has an entry for Param satisfying every condition, looked
// up through the clustered idx (res, p, n) from the row. The unary + on the
// other columns keeps SQLite off idx_code: with "p = ? AND c = ?" it would
// seek (p, c) and scan every entry with that code for the row (every booked
// appointment, to check one).
func (w *where) probe(m search.Match, sc scope) (string, error) {
	e := w.alias("e")
	var b strings.Builder
	fmt.Fprintf(&b, "EXISTS (SELECT 1 FROM idx %s WHERE %s.res = %s.rowid AND %s.p = %s", e, e, sc.alias, e, w.arg(m.Param))
	return w.conds(&b, "+"+e+".", m)
}

// probeExpr translates a condition that does not drive the query into
// correlated probes of the row: Matches and Missing become EXISTS, and Or,
// Not and And combine probes. Id lists, chains and reverse chains keep
// their set lookups.
func (w *where) probeExpr(x search.Expr, sc scope) (string, error) {
	switch x := x.(type) {
	case search.Match:
		return w.probe(x, sc)
	case search.Missing:
		return w.probeMissing(x, sc), nil
	case search.Or:
		return w.list(x, " OR ", "0", sc, w.probeExpr)
	case search.And:
		return w.list(x, " AND ", "1", sc, w.probeExpr)
	case search.Not:
		inner, err := w.probeExpr(x.X, sc)
		if err != nil {
			return "", err
		}
		return "NOT (" + inner + ")", nil
	}
	return w.expr(x, sc)
}

// probeMissing: the row has no entry for Param (or, with Missing false, has
// one), looked up from the row.
func (w *where) probeMissing(m search.Missing, sc scope) string {
	e := w.alias("e")
	not := ""
	if m.Missing {
		not = "NOT "
	}
	return fmt.Sprintf("%sEXISTS (SELECT 1 FROM idx %s WHERE %s.res = %s.rowid AND %s.p = %s)", not, e, e, sc.alias, e, w.arg(m.Param))
}

// cond compares one column of an entry, named col+name, with a literal.
func (w *where) cond(col string, c search.Cond) (string, error) {
	field, ok := columns[c.Field]
	if !ok {
		return "", fmt.Errorf("unknown field %q", c.Field)
	}
	v, err := literal(field, c)
	if err != nil {
		return "", err
	}
	ref := col + field.name
	switch c.Op {
	case search.OpPrefix:
		if field.numeric {
			return "", fmt.Errorf("%s on numeric field %s", c.Op, c.Field)
		}
		// A range rather than LIKE: it uses the index, and the literal's own
		// '%' and '_' stay literal.
		lo := v.(string)
		if hi, ok := prefixEnd(lo); ok {
			return fmt.Sprintf("%s >= %s AND %s < %s", ref, w.arg(lo), ref, w.arg(hi)), nil
		}
		return fmt.Sprintf("%s >= %s", ref, w.arg(lo)), nil
	case search.OpContains:
		if field.numeric {
			return "", fmt.Errorf("%s on numeric field %s", c.Op, c.Field)
		}
		return fmt.Sprintf("instr(%s, %s) > 0", ref, w.arg(v)), nil
	}
	op, ok := comparisons[c.Op]
	if !ok {
		return "", fmt.Errorf("unknown operator %q", c.Op)
	}
	return fmt.Sprintf("%s %s %s", ref, op, w.arg(v)), nil
}

// literal checks that a condition's value suits its column.
func literal(col column, c search.Cond) (any, error) {
	if col.numeric {
		switch v := c.Value.(type) {
		case float64:
			return v, nil
		case int:
			return float64(v), nil
		case int64:
			return float64(v), nil
		}
		return nil, fmt.Errorf("field %s wants a number, not %T", c.Field, c.Value)
	}
	if v, ok := c.Value.(string); ok {
		return v, nil
	}
	return nil, fmt.Errorf("field %s wants a string, not %T", c.Field, c.Value)
}

// prefixEnd returns the least string above every string that starts with p,
// comparing bytes as SQLite's BINARY collation does; ok is false when there
// is none (p is empty or all 0xFF bytes).
func prefixEnd(p string) (end string, ok bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < 0xFF {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// missing: the row has no entry for Param (or, with Missing false, has one).
func (w *where) missing(m search.Missing, sc scope) (string, error) {
	e := w.alias("e")
	in := "IN"
	if m.Missing {
		in = "NOT IN" // res is NOT NULL, so NOT IN stays two-valued
	}
	return fmt.Sprintf("%s.rowid %s (SELECT %s.res FROM idx %s WHERE %s.p = %s)", sc.alias, in, e, e, e, w.arg(m.Param)), nil
}

// list translates each of xs with render and joins them with sep; empty is
// the translation of no operand.
func (w *where) list(xs []search.Expr, sep, empty string, sc scope, render func(search.Expr, scope) (string, error)) (string, error) {
	if len(xs) == 0 {
		return empty, nil
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		s, err := render(x, sc)
		if err != nil {
			return "", err
		}
		parts[i] = group(x, s)
	}
	return strings.Join(parts, sep), nil
}

// group parenthesises a translated And or Or so that it nests safely; the
// other forms are single terms already.
func group(x search.Expr, s string) string {
	switch x.(type) {
	case search.And, search.Or:
		return "(" + s + ")"
	}
	return s
}

func (w *where) idIn(ids search.IDIn, sc scope) string {
	if len(ids) == 0 {
		return "0"
	}
	marks := make([]string, len(ids))
	for i, id := range ids {
		marks[i] = w.arg(id)
	}
	return fmt.Sprintf("%s.id IN (%s)", sc.alias, strings.Join(marks, ", "))
}

// chain: the row references, through Param, a live resource of type Target
// that satisfies Where. Reference entries keep the target type in s and its
// id in c.
func (w *where) chain(ch search.Chain, sc scope) (string, error) {
	e, t := w.alias("e"), w.alias("t")
	var b strings.Builder
	fmt.Fprintf(&b, "%s.rowid IN (SELECT %s.res FROM idx %s JOIN resource %s ON %s.type = %s AND %s.id = %s.c WHERE %s.p = %s AND %s.s = %s AND %s.deleted = 0",
		sc.alias, e, e, t, t, w.arg(ch.Target), t, e, e, w.arg(ch.Param), e, w.arg(ch.Target), t)
	if err := w.and(&b, ch.Where, scope{alias: t, typ: ch.Target}); err != nil {
		return "", fmt.Errorf("chain %s:%s: %w", ch.Param, ch.Target, err)
	}
	b.WriteByte(')')
	return b.String(), nil
}

// has: a live resource of type Type references the row through Param and
// satisfies Where.
func (w *where) has(h search.Has, sc scope) (string, error) {
	e, src := w.alias("e"), w.alias("h")
	var b strings.Builder
	fmt.Fprintf(&b, "%s.id IN (SELECT %s.c FROM idx %s JOIN resource %s ON %s.rowid = %s.res WHERE %s.p = %s AND %s.s = %s AND %s.type = %s AND %s.deleted = 0",
		sc.alias, e, e, src, src, e, e, w.arg(h.Param), e, w.arg(sc.typ), src, w.arg(h.Type), src)
	if err := w.and(&b, h.Where, scope{alias: src, typ: h.Type}); err != nil {
		return "", fmt.Errorf("has %s:%s: %w", h.Type, h.Param, err)
	}
	b.WriteByte(')')
	return b.String(), nil
}

// and appends " AND x" for a nested condition; a nil x adds nothing.
func (w *where) and(b *strings.Builder, x search.Expr, sc scope) error {
	if x == nil {
		return nil
	}
	s, err := w.expr(x, sc)
	if err != nil {
		return err
	}
	b.WriteString(" AND ")
	b.WriteString(group(x, s))
	return nil
}
