package engine

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// This file holds what conditional interactions share: reading criteria,
// counting matches, and resolving conditional and urn: references. Matches
// are counted inside the storage unit that acts on them: the commit is
// serialised (SQLite's writer, MongoDB's commit lock), so search-then-write
// in one unit is atomic and identical concurrent requests create one resource.

// Criteria is a parsed conditional query such as identifier=sys|val.
type Criteria struct {
	Type  string
	Raw   string      // as sent, for messages and the audit trail
	Where search.Expr // never nil
}

// ParseCriteria reads the criteria of a conditional interaction. Unknown
// parameters are refused (strict handling): silently ignoring one would widen
// the match. Empty criteria are refused too, as they match everything.
func (e *Engine) ParseCriteria(typ, raw string) (*Criteria, error) {
	if err := checkType(typ, false); err != nil {
		return nil, err
	}
	raw = trimCriteriaPrefix(typ, raw)
	values, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fhirerr.New(fhirerr.Invalid, "malformed conditional criteria %q", raw)
	}
	req, err := e.search.Parse(typ, values, search.Options{Strict: true})
	if err != nil {
		var pe *search.ParamError
		if errors.As(err, &pe) {
			return nil, fhirerr.At(fhirerr.Invalid, pe.Param, "conditional criteria: %s", pe.Msg)
		}
		return nil, fhirerr.Wrap(fhirerr.Invalid, err, "conditional criteria %q cannot be parsed", raw)
	}
	if req.Where == nil {
		return nil, fhirerr.New(fhirerr.Invalid, "conditional criteria %q select nothing: give at least one search parameter", raw)
	}
	return &Criteria{Type: typ, Raw: raw, Where: req.Where}, nil
}

// trimCriteriaPrefix accepts "identifier=x", "?identifier=x" and
// "Type?identifier=x", which clients send interchangeably in ifNoneExist.
func trimCriteriaPrefix(typ, raw string) string {
	if rest, ok := strings.CutPrefix(raw, typ+"?"); ok {
		return rest
	}
	return strings.TrimPrefix(raw, "?")
}

// matches returns up to two current resources matching c within restrict:
// enough to tell none, one and several apart.
func matches(ctx context.Context, r store.Reader, c *Criteria, restrict search.Expr) ([]store.Resource, error) {
	res, err := r.Search(ctx, &store.Query{Type: c.Type, Where: and(c.Where, restrict), Count: 2})
	if err != nil {
		return nil, storeErr(err, "conditional search")
	}
	return res.Resources, nil
}

// matchAll runs the conditional searches of a plan, one indexed query per
// criteria. known holds what a previous run found (while planning): a
// criteria that matched one resource is settled by reading that resource
// again, cheaper than a search inside the serialised commit; if it is still
// at the same version it still matches. Criteria that matched nothing are
// always searched again: that is the race that would create duplicates.
// failed names the criteria an error concerns.
func (e *Engine) matchAll(ctx context.Context, r store.Reader, crits []*Criteria, access Access, known map[*Criteria][]store.Resource) (hits map[*Criteria][]store.Resource, failed *Criteria, err error) {
	hits = make(map[*Criteria][]store.Resource, len(crits))
	for _, c := range crits {
		restrict, err := searchRestrict(access, c.Type)
		if err != nil {
			return nil, c, err
		}
		if k := known[c]; len(k) == 1 {
			if cur, ok := unchanged(ctx, r, &k[0]); ok {
				hits[c] = []store.Resource{*cur}
				continue
			}
		}
		if hits[c], err = matches(ctx, r, c, restrict); err != nil {
			return nil, c, err
		}
	}
	return hits, nil, nil
}

// unchanged reads res again and reports whether it is still current at the
// same version.
func unchanged(ctx context.Context, r store.Reader, res *store.Resource) (*store.Resource, bool) {
	cur, err := r.Read(ctx, res.Type, res.ID)
	if err != nil || cur.Deleted || cur.VersionID != res.VersionID {
		return nil, false
	}
	return cur, true
}

// severalMatch is the 412 of a conditional interaction whose criteria are
// not selective enough.
func severalMatch(what string, c *Criteria) error {
	return fhirerr.New(fhirerr.PreconditionFailed, "%s: criteria %s?%s match more than one resource; make them more selective", what, c.Type, c.Raw)
}

// searchRestrict asks access what the caller may search of typ.
func searchRestrict(access Access, typ string) (search.Expr, error) {
	if access == nil {
		return nil, nil
	}
	allowed, restrict := access(typ)
	if !allowed {
		return nil, fhirerr.New(fhirerr.Forbidden, "conditional interactions on %s need the search permission", typ)
	}
	return restrict, nil
}

// conditionalRef parses a conditional reference "Type?criteria"; ok is false
// for any other reference (relative, absolute, urn:, contained).
func conditionalRef(ref string) (typ, criteria string, ok bool) {
	typ, criteria, found := strings.Cut(ref, "?")
	if !found || typ == "" || strings.ContainsAny(typ, "/:#") {
		return "", "", false
	}
	return typ, criteria, true
}

// parseRef reads the criteria of a conditional reference.
func (e *Engine) parseRef(ref string) (*Criteria, error) {
	typ, raw, _ := conditionalRef(ref)
	if _, served := fhir.LookupType(typ); !served {
		return nil, fhirerr.New(fhirerr.Invalid, "conditional reference %q: %s is not served here, so it cannot be resolved", ref, typ)
	}
	return e.ParseCriteria(typ, raw)
}

// resolveRef names the one resource a conditional reference matched.
func resolveRef(ref string, c *Criteria, found []store.Resource) (string, error) {
	switch len(found) {
	case 0:
		return "", fhirerr.New(fhirerr.PreconditionFailed, "conditional reference %q matches no resource", ref)
	case 1:
		return c.Type + "/" + found[0].ID, nil
	}
	return "", severalMatch("conditional reference", c)
}

// isLocalURN tells the fullUrl forms that only live inside a Bundle.
func isLocalURN(s string) bool {
	return strings.HasPrefix(s, "urn:uuid:") || strings.HasPrefix(s, "urn:oid:")
}

// collectRefs lists the conditional references anywhere in a resource.
func collectRefs(v any, into map[string]bool) {
	walkRefs(v, func(ref string) (string, bool) {
		if _, _, ok := conditionalRef(ref); ok {
			into[ref] = true
		}
		return "", false
	})
}

// rewriteRefs replaces every reference string found in subst, at any depth
// (components, extensions, contained resources). A urn: reference that
// subst does not know is an error: it names no entry of the Bundle.
func rewriteRefs(doc map[string]any, subst map[string]string) error {
	var missing string
	walkRefs(doc, func(ref string) (string, bool) {
		if to, ok := subst[ref]; ok {
			return to, true
		}
		if isLocalURN(ref) && missing == "" {
			missing = ref
		}
		return "", false
	})
	if missing != "" {
		return fhirerr.New(fhirerr.Invalid, "reference %q matches the fullUrl of no entry in the Bundle", missing)
	}
	return nil
}

// walkRefs calls fn on the value of every "reference" string element; fn
// returns a replacement and whether to replace.
func walkRefs(v any, fn func(string) (string, bool)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "reference" {
				if to, ok := fn(s); ok {
					v[k] = to
				}
				continue
			}
			walkRefs(x, fn)
		}
	case []any:
		for _, x := range v {
			walkRefs(x, fn)
		}
	}
}

// deepCopy copies a decoded JSON document, so that each preparation of an
// entry starts from the client's content.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = deepCopy(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}
