// Package search turns FHIR search requests into expression trees and
// extracts index entries from resources. It knows nothing of databases: the
// storage backends translate the tree (see internal/store).
package search

import (
	"fmt"
	"strconv"
	"strings"
)

// Expr is a node of a search expression tree. String prints it as an
// S-expression so that planner tests compare one line.
type Expr interface {
	String() string
	expr()
}

// Field names an indexed field of an index entry; the set is closed so that
// translators can map each one through a table.
type Field string

const (
	FieldSystem     Field = "s"
	FieldCode       Field = "c"
	FieldText       Field = "t"
	FieldLo         Field = "lo"
	FieldHi         Field = "hi"
	FieldUnit       Field = "u"
	FieldUnitSystem Field = "us"
	FieldCLo        Field = "clo"
	FieldCHi        Field = "chi"
	FieldCUnit      Field = "cu"
)

// Op is a comparison between an entry field and a literal.
type Op string

const (
	OpEq       Op = "eq"       // equal
	OpPrefix   Op = "prefix"   // string starts with the literal
	OpContains Op = "contains" // string contains the literal
	OpLt       Op = "lt"
	OpLe       Op = "le"
	OpGt       Op = "gt"
	OpGe       Op = "ge"
)

// Cond compares one field of an index entry with a literal (a string or a float64).
type Cond struct {
	Field Field
	Op    Op
	Value any
}

func (c Cond) String() string {
	return fmt.Sprintf("(%s %s %s)", c.Op, c.Field, literal(c.Value))
}

// Match holds when the resource has at least one index entry for Param that
// satisfies every condition (one entry satisfies all of them together).
type Match struct {
	Param string
	Conds []Cond
}

// Missing holds when the resource has no entry for Param (Missing true) or at
// least one (Missing false).
type Missing struct {
	Param   string
	Missing bool
}

// And holds when every operand holds.
type And []Expr

// Or holds when any operand holds.
type Or []Expr

// Not holds when its operand does not.
type Not struct{ X Expr }

// IDIn holds when the resource's id is one of the listed ids.
type IDIn []string

// Chain holds when the resource has a reference entry for Param that points to
// a current resource of type Target satisfying Where.
type Chain struct {
	Param  string
	Target string
	Where  Expr
}

// Has (reverse chaining) holds when some current resource of type Type has a
// reference entry for Param that points to this resource and satisfies Where.
type Has struct {
	Type  string
	Param string
	Where Expr
}

func (Match) expr()   {}
func (Missing) expr() {}
func (And) expr()     {}
func (Or) expr()      {}
func (Not) expr()     {}
func (IDIn) expr()    {}
func (Chain) expr()   {}
func (Has) expr()     {}

func (m Match) String() string {
	var b strings.Builder
	b.WriteString("(match ")
	b.WriteString(m.Param)
	for _, c := range m.Conds {
		b.WriteByte(' ')
		b.WriteString(c.String())
	}
	b.WriteByte(')')
	return b.String()
}

func (m Missing) String() string { return fmt.Sprintf("(missing %s %t)", m.Param, m.Missing) }
func (a And) String() string     { return list("and", a) }
func (o Or) String() string      { return list("or", o) }
func (n Not) String() string     { return "(not " + n.X.String() + ")" }
func (c Chain) String() string {
	return fmt.Sprintf("(chain %s %s %s)", c.Param, c.Target, c.Where)
}
func (h Has) String() string { return fmt.Sprintf("(has %s %s %s)", h.Type, h.Param, h.Where) }
func (ids IDIn) String() string {
	quoted := make([]string, len(ids))
	for i, id := range ids {
		quoted[i] = strconv.Quote(id)
	}
	return "(id " + strings.Join(quoted, " ") + ")"
}

func list(op string, xs []Expr) string {
	var b strings.Builder
	b.WriteString("(" + op)
	for _, x := range xs {
		b.WriteByte(' ')
		b.WriteString(x.String())
	}
	b.WriteByte(')')
	return b.String()
}

func literal(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprintf("%v", v)
	}
}
