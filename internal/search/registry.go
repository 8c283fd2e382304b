package search

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/clinic/ehr/fhir"
)

// Registry holds the search parameters of the served types, compiled once
// at start-up. It is read-only afterwards and safe for concurrent use.
type Registry struct {
	types map[string]*typeParams
}

type typeParams struct {
	byCode      map[string]*Param
	sorted      []*Param
	unsupported map[string]string // code → why it is not indexed
	implied     []impliedComposite
}

// Param is one search parameter of one resource type, compiled.
type Param struct {
	Code   string
	Type   fhir.ParamType
	Target []string          // resource types a reference may point to
	Def    *fhir.SearchParam // the definition from the specification

	path  node        // the expression; nil for a composite's part
	kind  kind        // the behaviour of Type
	parts []component // composite only
}

// kind is the behaviour of one search-parameter type. Each lives in its own
// file, so that extraction at write time and query compilation cannot drift
// apart.
type kind interface {
	// index normalises the values the expression selected. Entries may be
	// for p.Code or for an auxiliary name such as "subject:identifier".
	index(p *Param, items []item) ([]IndexEntry, error)
	// sortValue is the _sort key an entry of p.Code gives, if any.
	sortValue(e IndexEntry) (any, bool)
	// query compiles one value (one member of a comma-separated list) with
	// the modifier ("" when none; :missing and :not are handled by Parse).
	query(p *Param, mod, value string) (Expr, error)
}

// kinds maps the parameter types the server can index to their behaviour.
var kinds = map[fhir.ParamType]kind{
	fhir.ParamString:    stringKind{},
	fhir.ParamToken:     tokenKind{},
	fhir.ParamReference: referenceKind{},
	fhir.ParamDate:      dateKind{},
	fhir.ParamNumber:    numberKind{},
	fhir.ParamQuantity:  quantityKind{},
	fhir.ParamURI:       uriKind{},
	fhir.ParamComposite: compositeKind{},
}

// NewRegistry compiles the parameters of the given types. It returns one
// error per parameter it cannot serve (special parameters, expressions
// outside the FHIRPath subset): the caller logs them; those parameters are
// then refused by Parse, never silently ignored at write time.
func NewRegistry(types []string) (*Registry, []error) {
	r := &Registry{types: make(map[string]*typeParams, len(types))}
	var errs []error
	for _, t := range types {
		defs := fhir.SearchParams(t)
		if defs == nil {
			errs = append(errs, fmt.Errorf("search: resource type %s is not served", t))
			continue
		}
		tp := &typeParams{byCode: map[string]*Param{}, unsupported: map[string]string{}}
		for _, code := range slices.Sorted(maps.Keys(defs)) {
			p, err := compileParam(t, defs[code])
			if err != nil {
				tp.unsupported[code] = err.Error()
				errs = append(errs, fmt.Errorf("search parameter %s.%s: %w", t, code, err))
				continue
			}
			tp.byCode[code] = p
			tp.sorted = append(tp.sorted, p)
		}
		tp.implied = findImplied(t, tp)
		r.types[t] = tp
	}
	return r, errs
}

var errNoExpression = errors.New("not supported: the specification gives it no FHIRPath expression")

func compileParam(resourceType string, def *fhir.SearchParam) (*Param, error) {
	if def.Type == fhir.ParamSpecial {
		return nil, errors.New("not supported: special parameters need dedicated code")
	}
	if def.Expression == "" {
		return nil, errNoExpression
	}
	p, err := newParam(def)
	if err != nil {
		return nil, err
	}
	if p.path, err = parsePath(def.Expression); err != nil {
		return nil, fmt.Errorf("expression %q: %w", def.Expression, err)
	}
	if def.Type == fhir.ParamComposite {
		if p.parts, err = compileParts(def); err != nil {
			return nil, err
		}
	}
	if def.Code == "phonetic" {
		p.kind = phoneticKind{}
	}
	return p, nil
}

// newParam makes a Param without its expression: composites use it for
// their parts, whose expressions are relative.
func newParam(def *fhir.SearchParam) (*Param, error) {
	k, ok := kinds[def.Type]
	if !ok {
		return nil, fmt.Errorf("not supported: parameter type %q", def.Type)
	}
	return &Param{Code: def.Code, Type: def.Type, Target: def.Target, Def: def, kind: k}, nil
}

// Restrict keeps only the type's parameters that keep accepts. The others
// are refused by Parse with why, and Extract no longer indexes them: the
// server stores no entries for them, so a search on them must fail rather
// than find nothing. Call it before the registry is shared.
func (r *Registry) Restrict(resourceType string, keep func(code string) bool, why string) {
	tp, ok := r.types[resourceType]
	if !ok {
		return
	}
	kept := tp.sorted[:0]
	for _, p := range tp.sorted {
		if keep(p.Code) {
			kept = append(kept, p)
			continue
		}
		delete(tp.byCode, p.Code)
		tp.unsupported[p.Code] = why
	}
	clear(tp.sorted[len(kept):])
	tp.sorted = kept
	tp.implied = findImplied(resourceType, tp)
}

// Param returns a parameter of the type by code.
func (r *Registry) Param(resourceType, code string) (*Param, bool) {
	tp, ok := r.types[resourceType]
	if !ok {
		return nil, false
	}
	p, ok := tp.byCode[code]
	return p, ok
}

// Params returns the supported parameters of the type, sorted by code.
func (r *Registry) Params(resourceType string) []*Param {
	tp, ok := r.types[resourceType]
	if !ok {
		return nil
	}
	return slices.Clone(tp.sorted)
}

// accepts reports whether p takes the modifier: the ones the fhir package
// lists for it, and :missing, which every indexed parameter supports.
func (p *Param) accepts(mod string) bool {
	return mod == "missing" || slices.Contains(p.Def.Modifiers, mod)
}

// Extract evaluates every parameter of the resource's type over doc and
// returns the normalised index entries and one sort value per parameter
// that has a value: the folded first string, the first token code, the
// first reference as "Type/id", the first uri, or the low end of the first
// date (Unix ms), number or quantity.
func (r *Registry) Extract(resourceType string, doc map[string]any) ([]IndexEntry, map[string]any, error) {
	tp, ok := r.types[resourceType]
	if !ok {
		return nil, nil, fmt.Errorf("extract: resource type %q is not served", resourceType)
	}
	if rt, _ := doc["resourceType"].(string); rt != resourceType {
		return nil, nil, fmt.Errorf("extract %s: document has resourceType %q", resourceType, rt)
	}
	root := []item{{v: doc, typ: resourceType, path: resourceType}}
	var entries []IndexEntry
	sortValues := make(map[string]any)
	for _, p := range tp.sorted {
		found, err := p.kind.index(p, p.path.eval(root))
		if err != nil {
			return nil, nil, fmt.Errorf("extract %s.%s: %w", resourceType, p.Code, err)
		}
		found = dedupe(found)
		for _, e := range found {
			if e.Param != p.Code {
				continue
			}
			if v, ok := p.kind.sortValue(e); ok {
				sortValues[p.Code] = v
				break
			}
		}
		entries = append(entries, found...)
	}
	return entries, sortValues, nil
}

// entryKey is an IndexEntry without pointers, to find duplicates.
type entryKey struct {
	param, s, c, t, u, us, cu string
	lo, hi, clo, chi          float64
	has                       [4]bool
}

func keyOf(e IndexEntry) entryKey {
	k := entryKey{param: e.Param, s: e.System, c: e.Code, t: e.Text, u: e.Unit, us: e.UnitSystem, cu: e.CUnit}
	for i, f := range []*float64{e.Lo, e.Hi, e.CLo, e.CHi} {
		if f != nil {
			k.has[i] = true
		}
	}
	k.lo, k.hi, k.clo, k.chi = deref(e.Lo), deref(e.Hi), deref(e.CLo), deref(e.CHi)
	return k
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}

// dedupe drops repeated entries (the same code in two codings, the same
// reference reached by two union members), keeping the first.
func dedupe(entries []IndexEntry) []IndexEntry {
	if len(entries) < 2 {
		return entries
	}
	seen := make(map[entryKey]bool, len(entries))
	out := entries[:0]
	for _, e := range entries {
		k := keyOf(e)
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}

func ptr(f float64) *float64 { return &f }
