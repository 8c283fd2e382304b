package engine

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// EverythingQuery asks for one patient's record (Patient/$everything).
type EverythingQuery struct {
	Patient string
	Types   []string  // _type: only these types; empty means every type
	Since   time.Time // _since: only resources updated at or after; zero means no bound
	Count   int       // page size
	Cursor  string    // _cursor of a next link; "" for the first page
}

// EverythingPage is one page of a patient's record.
type EverythingPage struct {
	Resources []store.Resource
	Next      string // cursor of the next page; "" on the last one
}

// everythingCursor is where the next page starts: a type of the walk and,
// within it, the keyset position (nil: the type's start).
type everythingCursor struct {
	Type   string        `json:"t"`
	Cursor *store.Cursor `json:"c,omitempty"`
}

// Everything returns the patient and the resources of their compartment,
// type by type (the patient first), each type paged by id. access confines
// every type as it confines a search, so the record never holds what a
// direct read would refuse; types the caller cannot read are left out.
func (e *Engine) Everything(ctx context.Context, q EverythingQuery, access Access) (*EverythingPage, error) {
	allowed, restrict := access("Patient")
	if !allowed {
		return nil, fhirerr.New(fhirerr.Forbidden, "reading Patient is not permitted")
	}
	if _, err := e.Read(ctx, "Patient", q.Patient, restrict); err != nil {
		return nil, err
	}
	types, err := everythingTypes(q.Types)
	if err != nil {
		return nil, err
	}
	at := everythingCursor{Type: types[0]}
	if q.Cursor != "" {
		if at, err = decodeEverythingCursor(q.Cursor); err != nil {
			return nil, err
		}
	}
	start := slices.Index(types, at.Type)
	if start < 0 {
		return nil, fhirerr.At(fhirerr.Invalid, "_cursor", "the paging cursor does not belong to this query")
	}
	if q.Count <= 0 {
		q.Count = 50
	}
	page := &EverythingPage{}
	for i := start; i < len(types); i++ {
		typ := types[i]
		after := at.Cursor
		if typ != at.Type {
			after = nil
		}
		got, next, err := e.compartmentPage(ctx, typ, q, access, after, q.Count-len(page.Resources))
		if err != nil {
			return nil, err
		}
		page.Resources = append(page.Resources, got...)
		if len(page.Resources) < q.Count {
			continue
		}
		switch {
		case next != nil:
			page.Next = encodeEverythingCursor(everythingCursor{Type: typ, Cursor: next})
		case i+1 < len(types):
			page.Next = encodeEverythingCursor(everythingCursor{Type: types[i+1]})
		}
		return page, nil
	}
	return page, nil
}

// compartmentPage returns up to count resources of typ in the patient's
// compartment, after the keyset position, and the position after them when
// more follow.
func (e *Engine) compartmentPage(ctx context.Context, typ string, q EverythingQuery, access Access, after *store.Cursor, count int) ([]store.Resource, *store.Cursor, error) {
	inCompartment, ok := PatientCompartment(typ, q.Patient)
	if !ok {
		return nil, nil, nil
	}
	allowed, restrict := access(typ)
	if !allowed {
		return nil, nil, nil
	}
	where := and(inCompartment, restrict)
	if !q.Since.IsZero() {
		since := search.Match{Param: "_lastUpdated", Conds: []search.Cond{
			{Field: search.FieldLo, Op: search.OpGe, Value: float64(q.Since.UnixMilli())},
		}}
		where = and(where, since)
	}
	res, err := e.store.Search(ctx, &store.Query{Type: typ, Where: where, Count: count, After: after})
	if err != nil {
		return nil, nil, storeErr(err, "$everything")
	}
	return res.Resources, res.Next, nil
}

// everythingTypes is the walk's order: Patient, then the served types in
// their order. AuditEvent is never part of a patient's record.
func everythingTypes(only []string) ([]string, error) {
	for _, t := range only {
		if info, ok := fhir.LookupType(t); !ok || info.Name == "AuditEvent" {
			return nil, fhirerr.At(fhirerr.Invalid, "_type", "%q is not a type of a patient's record here", t)
		}
	}
	var out []string
	for _, t := range append([]string{"Patient"}, typeNamesExcept("Patient", "AuditEvent")...) {
		if len(only) == 0 || slices.Contains(only, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

func typeNamesExcept(skip ...string) []string {
	var out []string
	for _, t := range fhir.Types() {
		if !slices.Contains(skip, t.Name) {
			out = append(out, t.Name)
		}
	}
	return out
}

func encodeEverythingCursor(c everythingCursor) string {
	b, _ := json.Marshal(c) // strings and a cursor of strings and numbers: cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeEverythingCursor(s string) (everythingCursor, error) {
	var c everythingCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || json.Unmarshal(b, &c) != nil || c.Type == "" {
		return c, fhirerr.At(fhirerr.Invalid, "_cursor", "malformed paging cursor")
	}
	return c, nil
}
