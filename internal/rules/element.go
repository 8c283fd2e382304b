package rules

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// node is one element of a decoded resource with its FHIRPath location
// (Observation.component[0].valueQuantity), so that every refusal can name
// the element it is about.
type node struct {
	path string
	v    any
}

// root is the resource itself.
func root(typ string, doc map[string]any) node { return node{path: typ, v: doc} }

// child returns the values of the element name, one node per array item.
// A name ending in [x] matches any type of a choice element (effective[x]
// finds effectiveDateTime). Empty values count as absent.
func (n node) child(name string) []node {
	m := n.object()
	key, ok := elementKey(m, name)
	if !ok || isEmpty(m[key]) {
		return nil
	}
	path := n.path + "." + key
	list, ok := m[key].([]any)
	if !ok {
		return []node{{path: path, v: m[key]}}
	}
	out := make([]node, 0, len(list))
	for i, v := range list {
		out = append(out, node{path: fmt.Sprintf("%s[%d]", path, i), v: v})
	}
	return out
}

// elementKey finds the JSON key of an element name, resolving [x].
func elementKey(m map[string]any, name string) (string, bool) {
	base, choice := strings.CutSuffix(name, "[x]")
	if !choice {
		_, ok := m[name]
		return name, ok
	}
	var keys []string
	for k := range m {
		if len(k) > len(base) && strings.HasPrefix(k, base) && k[len(base)] >= 'A' && k[len(base)] <= 'Z' {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return "", false
	}
	return slices.Min(keys), true // the schema allows one; be deterministic anyway
}

// selectPath returns the nodes at a dotted path below n.
func (n node) selectPath(path string) []node {
	nodes := []node{n}
	for _, name := range strings.Split(path, ".") {
		var next []node
		for _, x := range nodes {
			next = append(next, x.child(name)...)
		}
		nodes = next
	}
	return nodes
}

// missing returns where a required path is absent: the path must be present
// under every instance of its parent, so "participant.status" names each
// participant without a status.
func (n node) missing(path string) []string {
	var out []string
	parents := []node{n}
	for _, name := range strings.Split(path, ".") {
		var next []node
		for _, p := range parents {
			kids := p.child(name)
			if len(kids) == 0 {
				out = append(out, p.path+"."+name)
			}
			next = append(next, kids...)
		}
		parents = next
	}
	return out
}

// object returns n as a JSON object (nil when it is not one).
func (n node) object() map[string]any {
	m, _ := n.v.(map[string]any)
	return m
}

// str returns the string element key of n ("" when absent).
func (n node) str(key string) string {
	s, _ := n.object()[key].(string)
	return s
}

// number reads a JSON number, decoded as json.Number (request bodies) or
// float64.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case float64:
		return x, true
	}
	return 0, false
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// hasCoding reports whether a CodeableConcept node has a coding of system
// with one of codes.
func hasCoding(cc node, system string, codes []string) bool {
	for _, c := range cc.child("coding") {
		if c.str("system") == system && slices.Contains(codes, c.str("code")) {
			return true
		}
	}
	return false
}
