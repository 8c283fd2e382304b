package sqlite

import (
	"fmt"
	"strings"

	"github.com/clinic/ehr/internal/search"
)

// This file translates a search expression tree into an SQL condition on a
// resource row. Field and operator names go through the static tables below,
// and every literal, parameter name and type name becomes a bound argument:
// nothing from the tree is ever spliced into the SQL text.
//
// Every node becomes a set membership test on the row's rowid (or id), with a
// subquery that an index of idx can drive: SQLite does not turn a correlated
// EXISTS into such a lookup, and would otherwise visit every resource of the
// type.

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
		return w.list(x, " OR ", "0", sc)
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

// match: some entry of the row for Param satisfies every condition.
func (w *where) match(m search.Match, sc scope) (string, error) {
	e := w.alias("e")
	var b strings.Builder
	fmt.Fprintf(&b, "%s.rowid IN (SELECT %s.res FROM idx %s WHERE %s.p = %s", sc.alias, e, e, e, w.arg(m.Param))
	return w.conds(&b, e, m)
}

// conds appends " AND cond" for each condition of m on entry e, and closes
// the subquery.
func (w *where) conds(b *strings.Builder, e string, m search.Match) (string, error) {
	for _, c := range m.Conds {
		cond, err := w.cond(e, c)
		if err != nil {
			return "", fmt.Errorf("match %s: %w", m.Param, err)
		}
		b.WriteString(" AND ")
		b.WriteString(cond)
	}
	b.WriteByte(')')
	return b.String(), nil
}

// conjunction translates an And. One member drives the query as a set
// membership test (the most selective Match, unless an id list is there);
// the other Matches become correlated EXISTS probes through idx's (res, p)
// index. Intersecting several IN lists would make SQLite build every list
// whole: for "category + date range" over 100,000 Observations that is the
// difference between hundreds of milliseconds and a few.
func (w *where) conjunction(xs search.And, sc scope) (string, error) {
	if len(xs) == 0 {
		return "1", nil
	}
	driver := -1
	best := 0
	for i, x := range xs {
		switch x := x.(type) {
		case search.IDIn:
			driver, best = -1, 1<<30 // ids are the best driver; every Match probes
		case search.Match:
			if score := selectivity(x); score > best {
				driver, best = i, score
			}
		}
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		var s string
		var err error
		if m, ok := x.(search.Match); ok && i != driver {
			s, err = w.probe(m, sc)
		} else {
			s, err = w.expr(x, sc)
		}
		if err != nil {
			return "", err
		}
		parts[i] = group(x, s)
	}
	return strings.Join(parts, " AND "), nil
}

// selectivity ranks a Match as a driver: an exact code beats a prefix,
// which beats a range.
func selectivity(m search.Match) int {
	score := 1
	reference := false
	for _, c := range m.Conds {
		if c.Field == search.FieldSystem && c.Op == search.OpEq {
			if v, ok := c.Value.(string); ok && v != "" && v[0] >= 'A' && v[0] <= 'Z' {
				reference = true // a resource type: this is a reference to one resource
			}
		}
	}
	for _, c := range m.Conds {
		switch {
		case c.Op == search.OpEq && c.Field == search.FieldCode && reference:
			score = max(score, 5) // one patient's records beat every heart rate
		case c.Op == search.OpEq && c.Field == search.FieldCode:
			score = max(score, 4)
		case c.Op == search.OpEq || c.Op == search.OpPrefix:
			score = max(score, 3)
		}
	}
	// Ties go to the Match with more conditions: it narrows further.
	return score*16 + min(len(m.Conds), 15)
}

// probe: the row has an entry for Param satisfying every condition, looked
// up through idx's (res, p) index from the row.
func (w *where) probe(m search.Match, sc scope) (string, error) {
	e := w.alias("e")
	var b strings.Builder
	fmt.Fprintf(&b, "EXISTS (SELECT 1 FROM idx %s WHERE %s.res = %s.rowid AND %s.p = %s", e, e, sc.alias, e, w.arg(m.Param))
	return w.conds(&b, e, m)
}

// cond compares one column of the entry e with a literal.
func (w *where) cond(e string, c search.Cond) (string, error) {
	col, ok := columns[c.Field]
	if !ok {
		return "", fmt.Errorf("unknown field %q", c.Field)
	}
	v, err := literal(col, c)
	if err != nil {
		return "", err
	}
	ref := e + "." + col.name
	switch c.Op {
	case search.OpPrefix:
		if col.numeric {
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
		if col.numeric {
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

func (w *where) list(xs []search.Expr, sep, empty string, sc scope) (string, error) {
	if len(xs) == 0 {
		return empty, nil
	}
	parts := make([]string, len(xs))
	for i, x := range xs {
		s, err := w.expr(x, sc)
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
