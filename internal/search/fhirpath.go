package search

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// The FHIRPath subset evaluated over decoded JSON (map[string]any, []any,
// string, json.Number or float64, bool). Supported:
//
//	paths            Patient.name.family, with choice elements: Observation.value
//	                 reaches valueQuantity, valueString, ... and remembers the type
//	type filters     a leading type name (Patient, Resource, DomainResource)
//	x | y            union (duplicates are removed later, on index entries)
//	x as T, as(T), ofType(T), x is T, is(T)
//	where(criteria)  with $this, =, !=, and, or, literals
//	exists(), empty(), not(), first(), extension('url')
//	resolve() is T   only this form: the referenced type, read from the
//	                 reference string, since the target is not at hand
//
// Types are known where JSON tells them: a choice suffix (valueQuantity), a
// resourceType, a boolean. as/ofType/is on other values do not match.
//
// Element paths are known along plain child steps from a resource
// (Patient.contact.gender): token search looks up the code system that a
// code element's required binding implies (fhir.CodeSystemOf).

// item is one FHIRPath value with its FHIR type name when known, and its
// element path when reached from a resource by plain child steps
// ("Patient.contact.gender"). Values under a choice element and values that
// functions make (resolve, extension, literals, booleans) have no path.
type item struct {
	v    any
	typ  string
	path string
}

// node is a compiled FHIRPath expression evaluated over an input collection.
type node interface {
	eval(focus []item) []item
}

type (
	pathNode   []node // each step consumes the previous step's output
	unionNode  []node // every member on the same input
	child      struct{ name string }
	typeFilter struct{ name string } // a leading type name: the input if it is such a resource
	litNode    struct{ it item }
	thisNode   struct{}
	eqNode     struct {
		left, right node
		neg         bool
	}
	andNode     struct{ left, right node }
	orNode      struct{ left, right node }
	whereFn     struct{ cond node }
	existsFn    struct{}
	emptyFn     struct{}
	notFn       struct{}
	firstFn     struct{}
	resolveFn   struct{}
	asFn        struct{ typ string } // as(T) and ofType(T): keep the items of type T
	isFn        struct{ typ string }
	extensionFn struct{ url string }
)

func (n pathNode) eval(focus []item) []item {
	for _, step := range n {
		focus = step.eval(focus) // no shortcut on empty: exists() and empty() answer it
	}
	return focus
}

func (n unionNode) eval(focus []item) []item {
	var out []item
	for _, member := range n {
		out = append(out, member.eval(focus)...)
	}
	return out
}

func (n child) eval(focus []item) []item {
	var out []item
	var from, path string // the items of one focus mostly share their path: build it once
	for _, it := range focus {
		m, ok := it.v.(map[string]any)
		if !ok {
			continue
		}
		if v, ok := m[n.name]; ok {
			if it.path != from {
				from, path = it.path, ""
				if from != "" {
					path = from + "." + n.name
				}
			}
			out = appendJSON(out, v, "", path)
			continue
		}
		out = appendChoice(out, m, n.name)
	}
	return out
}

// appendChoice adds the value of a choice element name[x]: JSON has no key
// "value", only "valueQuantity" or "valueString", whose suffix is the type.
func appendChoice(out []item, m map[string]any, name string) []item {
	var keys []string
	for k := range m {
		if len(k) > len(name) && strings.HasPrefix(k, name) && choiceTypes[k[len(name):]] != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys) // valid data has one; keep the order stable if not
	for _, k := range keys {
		// No path: the elements of a choice's data type are not the
		// resource's, and a choice is never a plain code element.
		out = appendJSON(out, m[k], choiceTypes[k[len(name):]], "")
	}
	return out
}

// appendJSON flattens arrays and types the values JSON itself types. A
// resource (contained, say) starts its own element paths.
func appendJSON(out []item, v any, typ, path string) []item {
	switch v := v.(type) {
	case nil:
		return out
	case []any:
		for _, e := range v {
			out = appendJSON(out, e, typ, path)
		}
		return out
	case bool:
		if typ == "" {
			typ = "boolean"
		}
	case map[string]any:
		if rt, ok := v["resourceType"].(string); ok {
			typ, path = rt, rt
		}
	}
	return append(out, item{v: v, typ: typ, path: path})
}

func (n typeFilter) eval(focus []item) []item {
	var out []item
	for _, it := range focus {
		m, _ := it.v.(map[string]any)
		rt, _ := m["resourceType"].(string)
		if rt != "" && (rt == n.name || n.name == "Resource" || n.name == "DomainResource") {
			out = append(out, it)
		}
	}
	return out
}

func (n litNode) eval([]item) []item      { return []item{n.it} }
func (thisNode) eval(focus []item) []item { return focus }

func (n eqNode) eval(focus []item) []item {
	l, r := n.left.eval(focus), n.right.eval(focus)
	if len(l) == 0 || len(r) == 0 {
		return nil
	}
	equal := len(l) == len(r)
	for i := 0; equal && i < len(l); i++ {
		equal = equalValues(l[i].v, r[i].v)
	}
	return boolean(equal != n.neg)
}

func (n andNode) eval(focus []item) []item {
	l, lok := truth(n.left.eval(focus))
	r, rok := truth(n.right.eval(focus))
	switch {
	case lok && !l, rok && !r:
		return boolean(false)
	case lok && rok:
		return boolean(true)
	}
	return nil
}

func (n orNode) eval(focus []item) []item {
	l, lok := truth(n.left.eval(focus))
	r, rok := truth(n.right.eval(focus))
	switch {
	case lok && l, rok && r:
		return boolean(true)
	case lok && rok:
		return boolean(false)
	}
	return nil
}

func (n whereFn) eval(focus []item) []item {
	var out []item
	for _, it := range focus {
		if ok, known := truth(n.cond.eval([]item{it})); known && ok {
			out = append(out, it)
		}
	}
	return out
}

func (existsFn) eval(focus []item) []item { return boolean(len(focus) > 0) }
func (emptyFn) eval(focus []item) []item  { return boolean(len(focus) == 0) }

func (notFn) eval(focus []item) []item {
	if b, ok := truth(focus); ok {
		return boolean(!b)
	}
	return nil
}

func (firstFn) eval(focus []item) []item {
	if len(focus) > 1 {
		return focus[:1]
	}
	return focus
}

// resolve yields, per reference, a stand-in typed with the referenced type.
func (resolveFn) eval(focus []item) []item {
	var out []item
	for _, it := range focus {
		if typ := referencedType(it.v); typ != "" {
			out = append(out, item{typ: typ})
		}
	}
	return out
}

func (n asFn) eval(focus []item) []item {
	var out []item
	for _, it := range focus {
		if typeMatches(it.typ, n.typ) {
			out = append(out, it)
		}
	}
	return out
}

func (n isFn) eval(focus []item) []item {
	if len(focus) == 0 {
		return nil
	}
	return boolean(typeMatches(focus[0].typ, n.typ))
}

func (n extensionFn) eval(focus []item) []item {
	var out []item
	for _, it := range focus {
		m, _ := it.v.(map[string]any)
		exts, _ := m["extension"].([]any)
		for _, e := range exts {
			if ext, ok := e.(map[string]any); ok && ext["url"] == n.url {
				out = append(out, item{v: ext, typ: "Extension"})
			}
		}
	}
	return out
}

func boolean(b bool) []item { return []item{{v: b, typ: "boolean"}} }

// truth is FHIRPath's singleton evaluation of a collection as a boolean:
// empty is unknown, a boolean is itself, any other single value is true.
func truth(c []item) (value, known bool) {
	if len(c) != 1 {
		return false, false
	}
	if b, ok := c[0].v.(bool); ok {
		return b, true
	}
	return true, true
}

// equalValues compares primitives; values of different kinds are unequal.
func equalValues(a, b any) bool {
	switch a := a.(type) {
	case string:
		b, ok := b.(string)
		return ok && a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case json.Number, float64:
		x, okA := toFloat(a)
		y, okB := toFloat(b)
		return okA && okB && x == y
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return f, err == nil
	case float64:
		return v, true
	}
	return 0, false
}

// typeMatches reports whether a value of type have is of type want or a
// specialisation of it. FHIRPath's System types (DateTime, String) stand
// for the FHIR primitives of the same name in lower camel case.
func typeMatches(have, want string) bool {
	if fhirType, ok := systemTypes[want]; ok {
		want = fhirType
	}
	return have != "" && (have == want || slices.Contains(specialisations[want], have))
}

var systemTypes = map[string]string{
	"Boolean": "boolean", "String": "string", "Integer": "integer", "Decimal": "decimal",
	"Date": "date", "DateTime": "dateTime", "Time": "time",
}

// specialisations lists the types derived from a type, as in the R4 type
// hierarchy (code is a string, Age is a Quantity).
var specialisations = map[string][]string{
	"string":   {"code", "id", "markdown"},
	"uri":      {"url", "canonical", "oid", "uuid"},
	"integer":  {"positiveInt", "unsignedInt"},
	"dateTime": {"instant"},
	"Quantity": {"Age", "Count", "Distance", "Duration", "MoneyQuantity", "SimpleQuantity"},
}

// choiceTypes maps the suffix of a choice element's JSON name to its type.
var choiceTypes = func() map[string]string {
	types := []string{
		"base64Binary", "boolean", "canonical", "code", "date", "dateTime", "decimal", "id",
		"instant", "integer", "markdown", "oid", "positiveInt", "string", "time", "unsignedInt",
		"uri", "url", "uuid",
		"Address", "Age", "Annotation", "Attachment", "CodeableConcept", "Coding", "ContactPoint",
		"Count", "Distance", "Duration", "HumanName", "Identifier", "Money", "Period", "Quantity",
		"Range", "Ratio", "Reference", "SampledData", "Signature", "Timing", "ContactDetail",
		"Contributor", "DataRequirement", "Expression", "ParameterDefinition", "RelatedArtifact",
		"TriggerDefinition", "UsageContext", "Dosage", "Meta",
	}
	m := make(map[string]string, len(types))
	for _, t := range types {
		m[strings.ToUpper(t[:1])+t[1:]] = t
	}
	return m
}()
