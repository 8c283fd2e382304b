package auth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Context is the launch context a scope applies to.
type Context string

const (
	ContextPatient Context = "patient"
	ContextUser    Context = "user"
	ContextSystem  Context = "system"
)

// Scope is one parsed SMART resource scope, e.g. patient/Observation.rs.
type Scope struct {
	Context Context
	Type    string     // resource type or "*"
	Perms   Perm       // never zero for a parsed scope
	Query   url.Values // granular scope query; nil when none
	Raw     string     // the scope as written in the token
}

// maxTypeLen bounds resource type names; the longest FHIR R4 name is far shorter.
const maxTypeLen = 64

// ErrInvalidScope wraps every ParseScope error. Messages never quote the
// input: scopes come from tokens.
var ErrInvalidScope = errors.New("invalid scope")

// ParseScope parses one SMART App Launch 2 scope, accepting the SMART 1
// permission forms .read, .write and .*. Granular queries are only accepted
// with v2 permissions, as SMART 1 has no such thing.
func ParseScope(s string) (Scope, error) {
	base, rawQuery, hasQuery := strings.Cut(s, "?")

	ctx, rest, ok := strings.Cut(base, "/")
	if !ok {
		return Scope{}, fmt.Errorf("%w: missing context/", ErrInvalidScope)
	}
	context := Context(ctx)
	switch context {
	case ContextPatient, ContextUser, ContextSystem:
	default:
		return Scope{}, fmt.Errorf("%w: unknown context", ErrInvalidScope)
	}

	typ, permText, ok := strings.Cut(rest, ".")
	if !ok {
		return Scope{}, fmt.Errorf("%w: missing .permissions", ErrInvalidScope)
	}
	if !validScopeType(typ) {
		return Scope{}, fmt.Errorf("%w: bad resource type", ErrInvalidScope)
	}

	perms, v1, err := parsePerms(permText)
	if err != nil {
		return Scope{}, fmt.Errorf("%w: %w", ErrInvalidScope, err)
	}

	sc := Scope{Context: context, Type: typ, Perms: perms, Raw: s}
	if hasQuery {
		if v1 {
			return Scope{}, fmt.Errorf("%w: SMART 1 permissions take no query", ErrInvalidScope)
		}
		q, err := parseScopeQuery(rawQuery)
		if err != nil {
			return Scope{}, fmt.Errorf("%w: %w", ErrInvalidScope, err)
		}
		sc.Query = q
	}
	return sc, nil
}

// ParseScopes splits a token's scope claim on whitespace and keeps the valid
// resource scopes. Others (openid, fhirUser, launch, offline_access, typos)
// grant no resource access, so they are dropped rather than refused.
func ParseScopes(s string) []Scope {
	var out []Scope
	for _, f := range strings.Fields(s) {
		if sc, err := ParseScope(f); err == nil {
			out = append(out, sc)
		}
	}
	return out
}

// String renders the canonical SMART 2 form: v1 permissions become letters
// and the query is re-encoded with sorted keys.
func (s Scope) String() string {
	var b strings.Builder
	b.WriteString(string(s.Context))
	b.WriteByte('/')
	b.WriteString(s.Type)
	b.WriteByte('.')
	b.WriteString(s.Perms.String())
	if s.Query != nil {
		b.WriteByte('?')
		b.WriteString(s.Query.Encode())
	}
	return b.String()
}

// validScopeType accepts "*" or a name shaped like a FHIR resource type.
func validScopeType(t string) bool {
	return t == "*" || validResourceType(t)
}

// validResourceType reports whether t looks like a FHIR resource type name:
// [A-Z][A-Za-z]+.
func validResourceType(t string) bool {
	if len(t) < 2 || len(t) > maxTypeLen || t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for i := 1; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// parseScopeQuery parses a granular scope query. An empty query or an empty
// parameter name would confine nothing, so both are refused.
func parseScopeQuery(raw string) (url.Values, error) {
	q, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fmt.Errorf("bad query: %w", err)
	}
	if len(q) == 0 {
		return nil, errors.New("empty query")
	}
	for k := range q {
		if k == "" {
			return nil, errors.New("query parameter without a name")
		}
	}
	return q, nil
}
