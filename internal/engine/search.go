package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Access tells what the caller may read of a type: allowed false hides the
// type entirely; a non-nil restrict confines it (patient compartment,
// granular scopes). Included resources pass through the same check, so an
// _include never returns what a direct read would refuse.
type Access func(typ string) (allowed bool, restrict search.Expr)

// Page is one page of search results.
type Page struct {
	Matches  []store.Resource
	Included []store.Resource
	Total    int // -1 when not computed
	Next     string
	Prev     string
}

// Cursor directions in page tokens.
const (
	dirAfter  = "a"
	dirBefore = "b"
)

type pageToken struct {
	Dir    string        `json:"d"`
	Cursor *store.Cursor `json:"c"`
}

// EncodePageToken makes the opaque _cursor value of a paging link.
func EncodePageToken(dir string, c *store.Cursor) string {
	b, _ := json.Marshal(pageToken{Dir: dir, Cursor: c})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodePageToken(s string) (*pageToken, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fhirerr.At(fhirerr.Invalid, "_cursor", "malformed paging cursor")
	}
	var t pageToken
	if err := json.Unmarshal(b, &t); err != nil || t.Cursor == nil || (t.Dir != dirAfter && t.Dir != dirBefore) {
		return nil, fhirerr.At(fhirerr.Invalid, "_cursor", "malformed paging cursor")
	}
	return &t, nil
}

// checkCursor refuses a cursor that does not fit the search: one sort value
// per sort key, each a string, a number or null. Cursors come back from
// clients, so a forged one must fail here, never reach storage.
func checkCursor(c *store.Cursor, keys int) error {
	if len(c.Values) != keys {
		return fhirerr.At(fhirerr.Invalid, "_cursor", "the paging cursor belongs to another search")
	}
	for _, v := range c.Values {
		switch v.(type) {
		case nil, string, float64:
		default:
			return fhirerr.At(fhirerr.Invalid, "_cursor", "malformed paging cursor")
		}
	}
	return nil
}

// SearchType runs a parsed search. cursor is the _cursor value of a paging
// link ("" for the first page).
func (e *Engine) SearchType(ctx context.Context, req *search.Request, access Access, cursor string) (*Page, error) {
	if err := checkType(req.Type, false); err != nil {
		return nil, err
	}
	allowed, restrict := access(req.Type)
	if !allowed {
		return nil, fhirerr.New(fhirerr.Forbidden, "searching %s is not permitted", req.Type)
	}
	q := &store.Query{Type: req.Type, Where: and(req.Where, restrict), Count: req.Count}
	for _, s := range req.Sort {
		q.Sort = append(q.Sort, store.SortKey{Param: s.Param, Desc: s.Desc})
	}
	switch {
	case req.Summary == "count":
		q.Count, q.Total = 0, true
	case req.Total == "accurate" || req.Total == "estimate":
		q.Total = true
	}
	if cursor != "" {
		t, err := decodePageToken(cursor)
		if err != nil {
			return nil, err
		}
		if err := checkCursor(t.Cursor, len(q.Sort)); err != nil {
			return nil, err
		}
		if t.Dir == dirAfter {
			q.After = t.Cursor
		} else {
			q.Before = t.Cursor
		}
	}
	res, err := e.store.Search(ctx, q)
	if err != nil {
		return nil, storeErr(err, "search")
	}
	page := &Page{Matches: res.Resources, Total: res.Total}
	if res.Next != nil {
		page.Next = EncodePageToken(dirAfter, res.Next)
	}
	if res.Prev != nil {
		page.Prev = EncodePageToken(dirBefore, res.Prev)
	}
	if err := e.includes(ctx, req, access, page); err != nil {
		return nil, err
	}
	return page, nil
}

func and(a, b search.Expr) search.Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return search.And{a, b}
}

// includes resolves _include and _revinclude (with one :iterate level).
func (e *Engine) includes(ctx context.Context, req *search.Request, access Access, page *Page) error {
	if len(req.Include) == 0 && len(req.RevInclude) == 0 {
		return nil
	}
	seen := map[string]bool{}
	for _, r := range page.Matches {
		seen[r.Type+"/"+r.ID] = true
	}
	base := page.Matches
	for round := 0; round < 2; round++ {
		var added []store.Resource
		for _, inc := range req.Include {
			if round == 1 && !inc.Iterate {
				continue
			}
			found, err := e.forwardInclude(ctx, base, inc, access)
			if err != nil {
				return err
			}
			added = appendNew(added, found, seen)
		}
		for _, inc := range req.RevInclude {
			if round == 1 && !inc.Iterate {
				continue
			}
			found, err := e.reverseInclude(ctx, base, inc, access)
			if err != nil {
				return err
			}
			added = appendNew(added, found, seen)
		}
		page.Included = append(page.Included, added...)
		if len(added) == 0 {
			break
		}
		base = added
	}
	return nil
}

func appendNew(dst, src []store.Resource, seen map[string]bool) []store.Resource {
	for _, r := range src {
		k := r.Type + "/" + r.ID
		if !seen[k] {
			seen[k] = true
			dst = append(dst, r)
		}
	}
	return dst
}

// maxIncluded bounds the ids fetched for one include, so one page cannot
// pull an unbounded graph.
const maxIncluded = 1000

func (e *Engine) forwardInclude(ctx context.Context, from []store.Resource, inc search.Include, access Access) ([]store.Resource, error) {
	byType := map[string][]string{}
	for _, r := range from {
		if r.Type != inc.SourceType || r.Deleted {
			continue
		}
		doc, err := fhirjson.Decode(r.Body, fhirjson.Options{})
		if err != nil {
			return nil, fmt.Errorf("decode stored %s/%s: %w", r.Type, r.ID, err)
		}
		entries, _, err := e.search.Extract(r.Type, doc)
		if err != nil {
			return nil, fmt.Errorf("extract %s/%s: %w", r.Type, r.ID, err)
		}
		for _, en := range entries {
			if en.Param != inc.Param || en.System == "" || en.Code == "" {
				continue
			}
			if inc.TargetType != "" && en.System != inc.TargetType {
				continue
			}
			byType[en.System] = append(byType[en.System], en.Code)
		}
	}
	var out []store.Resource
	types := make([]string, 0, len(byType))
	for t := range byType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		if checkType(t, false) != nil {
			continue
		}
		allowed, restrict := access(t)
		if !allowed {
			continue
		}
		ids := dedupe(byType[t])
		if len(ids) > maxIncluded {
			ids = ids[:maxIncluded]
		}
		res, err := e.store.Search(ctx, &store.Query{Type: t, Where: and(search.IDIn(ids), restrict), Count: len(ids)})
		if err != nil {
			return nil, storeErr(err, "include")
		}
		out = append(out, res.Resources...)
	}
	return out, nil
}

func (e *Engine) reverseInclude(ctx context.Context, to []store.Resource, inc search.Include, access Access) ([]store.Resource, error) {
	if checkType(inc.SourceType, false) != nil {
		return nil, nil
	}
	allowed, restrict := access(inc.SourceType)
	if !allowed {
		return nil, nil
	}
	var refs search.Or
	for _, r := range to {
		if inc.TargetType != "" && r.Type != inc.TargetType {
			continue
		}
		refs = append(refs, search.Match{Param: inc.Param, Conds: []search.Cond{
			{Field: search.FieldSystem, Op: search.OpEq, Value: r.Type},
			{Field: search.FieldCode, Op: search.OpEq, Value: r.ID},
		}})
	}
	if len(refs) == 0 {
		return nil, nil
	}
	res, err := e.store.Search(ctx, &store.Query{Type: inc.SourceType, Where: and(refs, restrict), Count: maxIncluded})
	if err != nil {
		return nil, storeErr(err, "revinclude")
	}
	return res.Resources, nil
}

func dedupe(xs []string) []string {
	sort.Strings(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}
