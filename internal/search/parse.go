package search

import (
	"errors"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strings"
)

// Options tune Parse.
type Options struct {
	Strict       bool // Prefer: handling=strict: unknown parameters and modifiers are errors
	MaxCount     int  // cap of _count; 0 means 1000
	DefaultCount int  // page size without _count; 0 means 20
}

// Request is a parsed search: the filter as an expression tree and the
// result parameters.
type Request struct {
	Type       string
	Where      Expr // nil when there is no filter
	Sort       []SortSpec
	Count      int
	Total      string // none | estimate | accurate (the default)
	Summary    string // "" | true | false | text | data | count
	Elements   []string
	Include    []Include
	RevInclude []Include
	Warnings   []Issue // parameters ignored in lenient mode
}

// SortSpec is one _sort key.
type SortSpec struct {
	Param string
	Desc  bool
}

// Include is one _include or _revinclude: resources of SourceType whose
// reference parameter Param points (to TargetType, when set).
type Include struct {
	SourceType string
	Param      string
	TargetType string
	Iterate    bool
}

// Issue is a parameter that was ignored, and why.
type Issue struct {
	Param, Msg string
}

// ParamError is a search the server refuses (400), naming the parameter.
type ParamError struct {
	Param, Msg string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("search parameter %s: %s", e.Param, e.Msg)
}

// errModifier marks a modifier a parameter type does not support: ignored
// with a warning in lenient mode, refused in strict mode.
var errModifier = errors.New("modifier not supported")

func errUnsupportedModifier(mod string) error {
	return fmt.Errorf("%w: :%s", errModifier, mod)
}

// parser state for one request.
type query struct {
	r    *Registry
	tp   *typeParams
	typ  string
	opts Options
	req  *Request
}

// Parse turns a FHIR search query into a Request. AND is the repetition
// of a parameter, OR a comma-separated list. Parameters are taken in name
// order, so the same query always gives the same tree.
//
// Malformed values are always a *ParamError. Unknown parameters and
// unsupported modifiers are a *ParamError when opts.Strict, else a Warning.
//
// The tree as Expr.String prints it (fields: s system, c code, t text,
// lo/hi range, u/us unit and its system, clo/chi/cu canonical UCUM):
//
//	name=Zoë                        (match name (prefix c "zoe"))
//	identifier=|123                 (match identifier (eq s "") (eq c "123"))
//	gender:not=male                 (not (match gender (eq c "male")))
//	birthdate=ge1990-01-01          (match birthdate (ge hi 6.31152e+11))
//	value-quantity=gt5|http://unitsofmeasure.org|mg
//	                                (match value-quantity (eq cu "g") (gt chi 0.005))
//	subject:Patient.name=x          (chain subject Patient (match name (prefix c "x")))
//	_has:Observation:patient:code=x (has Observation patient (match code (eq c "x")))
//	_id=a,b                         (id "a" "b")
//	name:missing=true               (missing name true)
//
// A condition on an empty string, (eq s ""), asks for an entry whose field
// is empty: a token without a system. Dates are Unix milliseconds.
func (r *Registry) Parse(resourceType string, params url.Values, opts Options) (*Request, error) {
	tp, ok := r.types[resourceType]
	if !ok {
		return nil, &ParamError{Param: "_type", Msg: fmt.Sprintf("resource type %q is not served", resourceType)}
	}
	if opts.MaxCount <= 0 {
		opts.MaxCount = 1000
	}
	if opts.DefaultCount <= 0 {
		opts.DefaultCount = 20
	}
	q := &query{r: r, tp: tp, typ: resourceType, opts: opts, req: &Request{
		Type:  resourceType,
		Count: min(opts.DefaultCount, opts.MaxCount),
		Total: "accurate",
	}}
	var where And
	for _, name := range slices.Sorted(maps.Keys(params)) {
		values := nonEmpty(params[name]) // R4: empty parameters are ignored
		if len(values) == 0 {
			continue
		}
		if handled, err := q.resultParam(name, values); handled {
			if err != nil {
				return nil, err
			}
			continue
		}
		e, err := q.filter(name, values)
		if err != nil {
			return nil, err
		}
		if all, ok := e.(And); ok { // repeated parameter: keep the tree flat
			where = append(where, all...)
		} else if e != nil {
			where = append(where, e)
		}
	}
	q.req.Where = simplifyAnd(addImplied(where, tp.implied))
	return q.req, nil
}

func nonEmpty(values []string) []string {
	var out []string
	for _, v := range values {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// skip ignores a parameter the server cannot honour: an error when strict.
func (q *query) skip(name, msg string) error {
	if q.opts.Strict {
		return &ParamError{Param: name, Msg: msg}
	}
	q.req.Warnings = append(q.req.Warnings, Issue{Param: name, Msg: msg})
	return nil
}

// filter compiles one search parameter with all its values (AND).
func (q *query) filter(name string, values []string) (Expr, error) {
	if strings.HasPrefix(name, "_has:") {
		return q.has(name, values)
	}
	if strings.ContainsAny(name, "$[]") {
		return nil, q.skip(name, "unknown search parameter")
	}
	head, chained, isChain := strings.Cut(name, ".")
	code, mod, _ := strings.Cut(head, ":")
	p, err := q.lookup(q.tp, q.typ, name, code)
	if p == nil {
		return nil, err
	}
	if isChain {
		return q.chain(name, p, mod, chained, values)
	}
	return q.compile(name, p, mod, values, nil)
}

// lookup finds a parameter of a type; nil when it was skipped (or refused).
func (q *query) lookup(tp *typeParams, typ, name, code string) (*Param, error) {
	if p, ok := tp.byCode[code]; ok {
		return p, nil
	}
	if why, ok := tp.unsupported[code]; ok {
		return nil, q.skip(name, fmt.Sprintf("%s.%s is not supported (%s)", typ, code, strings.TrimPrefix(why, "not supported: ")))
	}
	return nil, q.skip(name, fmt.Sprintf("unknown search parameter %q for %s", code, typ))
}

// compile ANDs the values of one parameter; wrap, when set, puts each
// value's expression in a chain or _has.
func (q *query) compile(name string, p *Param, mod string, values []string, wrap func(Expr) Expr) (Expr, error) {
	if mod != "" && !p.accepts(mod) {
		return nil, q.skip(name, fmt.Sprintf("modifier :%s is not supported for %s", mod, p.Code))
	}
	var all And
	for _, v := range values {
		e, err := q.compileValue(p, mod, v)
		if errors.Is(err, errModifier) {
			return nil, q.skip(name, fmt.Sprintf("modifier :%s is not supported for %s", mod, p.Code))
		}
		if err != nil {
			return nil, &ParamError{Param: name, Msg: err.Error()}
		}
		if e == nil {
			continue
		}
		if wrap != nil {
			e = wrap(e)
		}
		all = append(all, e)
	}
	return simplifyAnd(all), nil
}

// compileValue compiles one value: a comma-separated list (OR).
func (q *query) compileValue(p *Param, mod, value string) (Expr, error) {
	switch {
	case mod == "missing":
		switch value {
		case "true", "false":
			return Missing{Param: p.Code, Missing: value == "true"}, nil
		}
		return nil, fmt.Errorf(":missing takes true or false, not %q", value)
	case p.Code == "_id" && mod == "":
		var ids IDIn
		for _, id := range splitEscaped(value, ',') {
			if id != "" {
				ids = append(ids, unescape(id))
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		return ids, nil
	}
	inner := mod
	if mod == "not" { // resources with no matching entry at all
		inner = ""
	}
	var any Or
	for _, v := range splitEscaped(value, ',') {
		if v == "" {
			continue
		}
		e, err := p.kind.query(p, inner, v)
		if err != nil {
			return nil, err
		}
		any = append(any, e)
	}
	e := simplifyOr(any)
	if e != nil && mod == "not" {
		e = Not{X: e}
	}
	return e, nil
}

func simplifyAnd(xs And) Expr {
	switch len(xs) {
	case 0:
		return nil
	case 1:
		return xs[0]
	}
	return xs
}

func simplifyOr(xs Or) Expr {
	switch len(xs) {
	case 0:
		return nil
	case 1:
		return xs[0]
	}
	return xs
}
