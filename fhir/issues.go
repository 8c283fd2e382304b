package fhir

import (
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// locatedIssue keeps the pointer tokens next to the issue for sorting.
type locatedIssue struct {
	tokens []string
	issue  Issue
}

// issuesFrom flattens the library's error tree into one issue per failed
// rule. Inner nodes ($ref, groups) only carry their causes. The messages
// are written here rather than taken from the library, whose messages quote
// the offending value, which may be patient data.
func issuesFrom(resourceType string, root *jsonschema.ValidationError) []Issue {
	var located []locatedIssue
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		located = append(located, leafIssues(e)...)
	}
	walk(root)

	slices.SortFunc(located, func(a, b locatedIssue) int {
		if c := compareLocations(a.tokens, b.tokens); c != 0 {
			return c
		}
		if c := strings.Compare(a.issue.Code, b.issue.Code); c != 0 {
			return c
		}
		return strings.Compare(a.issue.Diagnostics, b.issue.Diagnostics)
	})
	issues := make([]Issue, 0, len(located))
	for _, l := range located {
		l.issue.Severity = SeverityError
		l.issue.Expression = fhirPath(resourceType, l.tokens)
		if n := len(issues); n > 0 && issues[n-1] == l.issue {
			continue // the same rule reached through two paths
		}
		issues = append(issues, l.issue)
	}
	return issues
}

// leafIssues describes one failed rule. Rules about an object's members
// (required, additionalProperties) give one issue per member, located at
// the member.
func leafIssues(e *jsonschema.ValidationError) []locatedIssue {
	at := func(tokens []string, code, format string, args ...any) locatedIssue {
		return locatedIssue{tokens: tokens, issue: Issue{Code: code, Diagnostics: fmt.Sprintf(format, args...)}}
	}
	loc := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.Required:
		out := make([]locatedIssue, len(k.Missing))
		for i, name := range k.Missing {
			out[i] = at(child(loc, name), CodeRequired, "missing required element %q", name)
		}
		return out
	case *kind.AdditionalProperties:
		out := make([]locatedIssue, len(k.Properties))
		for i, name := range k.Properties {
			out[i] = at(child(loc, name), CodeStructure, "unknown element %q", name)
		}
		return out
	case *kind.Type:
		return []locatedIssue{at(loc, CodeStructure, "expected %s%s, found %s",
			strings.Join(k.Want, " or "), datatypeNote(e.SchemaURL), k.Got)}
	case *kind.Enum:
		return []locatedIssue{at(loc, CodeCodeInvalid, "code is not one of %s", listAllowed(k.Want))}
	case *kind.Const:
		return []locatedIssue{at(loc, CodeInvalid, "must be %s", schemaValue(k.Want))}
	case *kind.Pattern:
		return []locatedIssue{at(loc, CodeValue, "not a valid %s", datatypeName(e.SchemaURL, "value"))}
	case *kind.InvalidJsonValue:
		return []locatedIssue{at(loc, CodeStructure, "not a JSON value")}
	default:
		return []locatedIssue{at(loc, CodeInvalid, "fails the schema rule %q", strings.Join(e.ErrorKind.KeywordPath(), "/"))}
	}
}

func child(loc []string, name string) []string {
	return append(slices.Clip(loc), name)
}

// datatypeName returns the FHIR datatype a schema location defines, such as
// "date" for ".../4.0#/definitions/date", or fallback for an inline schema.
func datatypeName(schemaURL, fallback string) string {
	_, frag, _ := strings.Cut(schemaURL, "#/definitions/")
	if frag == "" || strings.Contains(frag, "/") {
		return fallback
	}
	return frag
}

// datatypeNote names the FHIR primitive in a type error: "string (FHIR date)".
func datatypeNote(schemaURL string) string {
	name := datatypeName(schemaURL, "")
	if name == "" || !isPrimitiveName(name) {
		return ""
	}
	return " (FHIR " + name + ")"
}

// FHIR primitive datatypes are the ones whose names start in lower case.
func isPrimitiveName(name string) bool {
	return name != "" && 'a' <= name[0] && name[0] <= 'z'
}

// maxListedCodes keeps messages short for long enums.
const maxListedCodes = 12

func listAllowed(values []any) string {
	shown := values
	if len(shown) > maxListedCodes {
		shown = shown[:maxListedCodes]
	}
	parts := make([]string, len(shown))
	for i, v := range shown {
		parts[i] = schemaValue(v)
	}
	list := strings.Join(parts, ", ")
	if len(values) > len(shown) {
		list += fmt.Sprintf(" (and %d more)", len(values)-len(shown))
	}
	return list
}

// schemaValue prints a value taken from the schema (never from the resource).
func schemaValue(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}
