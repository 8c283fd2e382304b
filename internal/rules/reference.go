package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/clinic/ehr/fhir"
)

// target is where a relative reference points.
type target struct{ typ, id string }

func (t target) String() string { return t.typ + "/" + t.id }

// refKind classifies a literal reference.
type refKind int

const (
	// refElsewhere: a contained resource (#id), an absolute URL, a urn:uuid:
	// or a conditional reference: not a record of this server to look up.
	refElsewhere refKind = iota
	refServed            // Type/id of a type this server serves
	refForeign           // Type/id of a type it does not serve: accepted as it is
	refMalformed         // names a served type but is not Type/id[/_history/vid]
)

// idPattern is the FHIR id syntax.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// parseReference reads a literal reference ("Patient/123",
// "Observation/9/_history/2"). The version is dropped: what matters to the
// rules is the resource.
func parseReference(s string) (target, refKind) {
	if s == "" || strings.HasPrefix(s, "#") || strings.ContainsAny(s, ":?") {
		return target{}, refElsewhere
	}
	parts := strings.Split(s, "/")
	t := target{typ: parts[0]}
	if len(parts) > 1 {
		t.id = parts[1]
	}
	wellFormed := (len(parts) == 2 || len(parts) == 4 && parts[2] == "_history" && parts[3] != "") && idPattern.MatchString(t.id)
	if _, served := fhir.LookupType(t.typ); served {
		if !wellFormed {
			return target{}, refMalformed
		}
		return t, refServed
	}
	if wellFormed {
		return t, refForeign
	}
	return target{}, refElsewhere
}

// referenceType is the resource type a Reference element points to: its
// declared type, or the type in its relative or absolute URL; "" when the
// reference does not tell (a contained resource, a urn:uuid:).
func referenceType(ref node) string {
	if t := ref.str("type"); t != "" {
		return t
	}
	s := ref.str("reference")
	if t, kind := parseReference(s); kind == refServed || kind == refForeign {
		return t.typ
	}
	if !strings.HasPrefix(s, "http://") && !strings.HasPrefix(s, "https://") {
		return ""
	}
	parts := strings.Split(s, "/")
	if i := slices.Index(parts, "_history"); i >= 0 {
		parts = parts[:i]
	}
	if len(parts) < 2 {
		return ""
	}
	if typ := parts[len(parts)-2]; typ != "" && typ[0] >= 'A' && typ[0] <= 'Z' {
		return typ
	}
	return ""
}

// walkReferences calls fn with every Reference element of the document (any
// object with a string "reference"), wherever it is: in components,
// extensions, primitive extensions and contained resources. Keys are walked
// in sorted order so that issues come out in a stable order.
func walkReferences(n node, fn func(ref node)) {
	switch v := n.v.(type) {
	case map[string]any:
		if _, ok := v["reference"].(string); ok {
			fn(n)
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			walkReferences(node{path: n.path + "." + k, v: v[k]}, fn)
		}
	case []any:
		for i, x := range v {
			walkReferences(node{path: fmt.Sprintf("%s[%d]", n.path, i), v: x}, fn)
		}
	}
}
