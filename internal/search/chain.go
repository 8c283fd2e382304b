package search

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clinic/ehr/fhir"
)

// Chaining (subject:Patient.name=peter) and reverse chaining
// (_has:Observation:patient:code=1234-5), one level each. The inner
// parameter is compiled against the other type's registry, so everything
// it accepts (modifiers, prefixes, OR lists) works inside the chain.

func (q *query) chain(name string, ref *Param, typeMod, chained string, values []string) (Expr, error) {
	if ref.Type != fhir.ParamReference {
		return nil, q.skip(name, fmt.Sprintf("unknown search parameter: %s is not a reference and cannot be chained", ref.Code))
	}
	if strings.Contains(chained, ".") {
		return nil, q.skip(name, "chains of more than one level are not supported")
	}
	target := typeMod
	switch {
	case target == "" && len(ref.Target) != 1:
		return nil, &ParamError{Param: name, Msg: fmt.Sprintf("%s may point to %s: name the type, as in %s:%s.%s",
			ref.Code, strings.Join(ref.Target, ", "), ref.Code, ref.Target[0], chained)}
	case target == "":
		target = ref.Target[0]
	case !slices.Contains(ref.Target, target):
		return nil, &ParamError{Param: name, Msg: fmt.Sprintf("%s cannot point to %s", ref.Code, target)}
	}
	ttp, ok := q.r.types[target]
	if !ok {
		return nil, q.skip(name, fmt.Sprintf("chaining into %s is not supported: the server does not store %s", target, target))
	}
	code, mod, _ := strings.Cut(chained, ":")
	inner, err := q.lookup(ttp, target, name, code)
	if inner == nil {
		return nil, err
	}
	return q.compile(name, inner, mod, values, func(where Expr) Expr {
		return Chain{Param: ref.Code, Target: target, Where: where}
	})
}

func (q *query) has(name string, values []string) (Expr, error) {
	parts := strings.SplitN(strings.TrimPrefix(name, "_has:"), ":", 3)
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return nil, &ParamError{Param: name, Msg: "_has takes the form _has:Type:reference:parameter"}
	}
	typ, refCode, inner := parts[0], parts[1], parts[2]
	if strings.HasPrefix(inner, "_has:") || strings.Contains(inner, ".") {
		return nil, q.skip(name, "_has with a nested chain is not supported")
	}
	ttp, ok := q.r.types[typ]
	if !ok {
		return nil, q.skip(name, fmt.Sprintf("_has on %s is not supported: the server does not store %s", typ, typ))
	}
	ref, err := q.lookup(ttp, typ, name, refCode)
	if ref == nil {
		return nil, err
	}
	if ref.Type != fhir.ParamReference || !slices.Contains(ref.Target, q.typ) {
		return nil, &ParamError{Param: name, Msg: fmt.Sprintf("%s.%s is not a reference to %s", typ, refCode, q.typ)}
	}
	code, mod, _ := strings.Cut(inner, ":")
	p, err := q.lookup(ttp, typ, name, code)
	if p == nil {
		return nil, err
	}
	return q.compile(name, p, mod, values, func(where Expr) Expr {
		return Has{Type: typ, Param: refCode, Where: where}
	})
}
