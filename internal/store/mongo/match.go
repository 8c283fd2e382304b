package mongo

import (
	"strings"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/search"
)

// match translates to {"idx": {"$elemMatch": {"p": param, field: ops...}}}:
// one entry must satisfy every condition. Contains, and any condition that
// would repeat an operator on a field, are left to Go.
//
// A string field that an entry leaves empty is not stored (omitempty) and
// equals "": eq "" matches the absent field, lt and le include it, and a
// condition that "" always satisfies (ge "", prefix "", contains "") adds
// nothing. A nil numeric field satisfies no condition, as in MongoDB.
func (t *translator) match(m search.Match) (compiled, error) {
	b := elemBuilder{exact: true, ops: map[string]bson.D{}}
	conds := make([]goCond, 0, len(m.Conds))
	for _, c := range m.Conds {
		v, err := condLiteral(c)
		if err != nil {
			return compiled{}, err
		}
		conds = append(conds, goCond{field: c.Field, op: c.Op, value: v})
		key := fieldKeys[c.Field]
		if str, ok := v.(string); ok {
			b.stringCond(key, c.Op, str)
		} else {
			b.add(key, compareOps[c.Op], v)
		}
	}
	elem := bson.D{{Key: "p", Value: bsonD("$eq", m.Param)}}
	for _, key := range b.order {
		elem = append(elem, bson.E{Key: key, Value: b.ops[key]})
	}
	param := m.Param
	return compiled{
		filter: bsonD("idx", bsonD("$elemMatch", elem)),
		exact:  b.exact,
		check: func(d *resourceDoc) bool {
			for i := range d.Idx {
				if d.Idx[i].Param == param && allHold(conds, &d.Idx[i]) {
					return true
				}
			}
			return false
		},
	}, nil
}

// elemBuilder collects the operators of each field of an $elemMatch.
type elemBuilder struct {
	order []string
	ops   map[string]bson.D
	exact bool
}

// add appends {op: v} to a field. A repeated operator cannot share the
// document, so it is dropped from the filter and left to Go.
func (b *elemBuilder) add(key, op string, v any) {
	ops, ok := b.ops[key]
	if !ok {
		b.order = append(b.order, key)
	}
	for _, e := range ops {
		if e.Key == op {
			b.exact = false
			return
		}
	}
	b.ops[key] = append(ops, bson.E{Key: op, Value: v})
}

// stringCond adds a condition on a string field, where absent means "".
func (b *elemBuilder) stringCond(key string, op search.Op, v string) {
	switch {
	case v == "":
		b.emptyCond(key, op)
	case op == search.OpContains:
		b.exact = false // no $regex: Go checks it
	case op == search.OpPrefix:
		b.prefix(key, v)
	case op == search.OpLt || op == search.OpLe:
		// "" (absent) is below every non-empty string: negating the
		// complement lets absent fields pass too
		complement := map[search.Op]string{search.OpLt: "$gte", search.OpLe: "$gt"}[op]
		b.add(key, "$not", bsonD(complement, v))
	default:
		b.add(key, compareOps[op], v)
	}
}

// emptyCond compares a string field with "", which only an absent field equals.
func (b *elemBuilder) emptyCond(key string, op search.Op) {
	switch op {
	case search.OpEq, search.OpLe:
		b.add(key, "$eq", nil) // null matches the absent field
	case search.OpLt:
		b.add(key, "$in", bson.A{}) // nothing is below ""
	case search.OpGt:
		b.add(key, "$gt", "")
	default:
		// ge, prefix and contains "" hold for every value
	}
}

// prefix adds the range [prefix, successor(prefix)); no $regex.
func (b *elemBuilder) prefix(key, prefix string) {
	b.add(key, "$gte", prefix)
	if next, ok := successor(prefix); ok {
		b.add(key, "$lt", next)
	} else if !utf8.ValidString(prefix) {
		b.exact = false // no upper bound could be computed
	}
}

// goCond is a condition with its literal checked, evaluated in Go with the
// same semantics as the filter: an absent string field is "", a nil number
// satisfies nothing.
type goCond struct {
	field search.Field
	op    search.Op
	value any
}

func allHold(conds []goCond, e *search.IndexEntry) bool {
	for _, c := range conds {
		if !c.holds(e) {
			return false
		}
	}
	return true
}

func (c goCond) holds(e *search.IndexEntry) bool {
	if lit, ok := c.value.(float64); ok {
		p := numericField(e, c.field)
		return p != nil && compareHolds(c.op, cmpFloat(*p, lit))
	}
	lit := c.value.(string)
	v := stringField(e, c.field) // "" when absent
	switch c.op {
	case search.OpPrefix:
		return strings.HasPrefix(v, lit)
	case search.OpContains:
		return strings.Contains(v, lit)
	default:
		return compareHolds(c.op, strings.Compare(v, lit))
	}
}

func compareHolds(op search.Op, cmp int) bool {
	switch op {
	case search.OpEq:
		return cmp == 0
	case search.OpLt:
		return cmp < 0
	case search.OpLe:
		return cmp <= 0
	case search.OpGt:
		return cmp > 0
	case search.OpGe:
		return cmp >= 0
	default:
		return false
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	default:
		return 0
	}
}

func numericField(e *search.IndexEntry, f search.Field) *float64 {
	switch f {
	case search.FieldLo:
		return e.Lo
	case search.FieldHi:
		return e.Hi
	case search.FieldCLo:
		return e.CLo
	case search.FieldCHi:
		return e.CHi
	default:
		return nil
	}
}

func stringField(e *search.IndexEntry, f search.Field) string {
	switch f {
	case search.FieldSystem:
		return e.System
	case search.FieldCode:
		return e.Code
	case search.FieldText:
		return e.Text
	case search.FieldUnit:
		return e.Unit
	case search.FieldUnitSystem:
		return e.UnitSystem
	case search.FieldCUnit:
		return e.CUnit
	default:
		return ""
	}
}
