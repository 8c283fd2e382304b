package engine

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Write is a prepared write. Unit runs inside the group commit and fills the
// result fields when it succeeds.
type Write struct {
	Type, ID    string
	Interaction string // create | update | delete
	Unit        func(tx store.Tx) error

	Patients []string            // patients whose compartment the resource is in (for the audit trail)
	Index    []search.IndexEntry // the new content's index entries (create, update)
	Result   *store.Resource     // the version written (nil when nothing changed)
	Prev     *store.Resource     // the version replaced, if any
	Created  bool                // a new resource (201)
	NoOp     bool                // nothing written: deleting what is already deleted
	Warnings []fhirerr.Issue
}

// Precondition is an If-Match version; 0 means none was given.
type Precondition int64

// ParseETag reads a weak ETag W/"n" (or a bare n) into a version.
func ParseETag(s string) (Precondition, error) {
	if s == "" {
		return 0, nil
	}
	v := s
	if len(v) > 2 && (v[:2] == "W/" || v[:2] == "w/") {
		v = v[2:]
	}
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, fhirerr.New(fhirerr.Invalid, "If-Match must be a version ETag such as W/\"3\"")
	}
	return Precondition(n), nil
}

// Create prepares the creation of a resource with a server-assigned id. Any
// id in the body is ignored, as the specification says.
func (e *Engine) Create(ctx context.Context, typ string, doc map[string]any) (*Write, error) {
	return e.put(ctx, typ, e.newID(), doc, 0, true)
}

// Update prepares a new version of typ/id (or its creation with that id).
func (e *Engine) Update(ctx context.Context, typ, id string, doc map[string]any, ifMatch Precondition) (*Write, error) {
	if !validID(id) {
		return nil, fhirerr.New(fhirerr.Invalid, "invalid resource id")
	}
	bodyID, _ := doc["id"].(string)
	if bodyID == "" {
		return nil, fhirerr.At(fhirerr.Invalid, typ+".id", "the resource must carry its id for an update")
	}
	if bodyID != id {
		return nil, fhirerr.At(fhirerr.Invalid, typ+".id", "the id in the body does not match the id in the URL")
	}
	return e.put(ctx, typ, id, doc, ifMatch, false)
}

func (e *Engine) put(ctx context.Context, typ, id string, doc map[string]any, ifMatch Precondition, create bool) (*Write, error) {
	if err := checkType(typ, true); err != nil {
		return nil, err
	}
	if err := e.validate(typ, doc); err != nil {
		return nil, err
	}
	now := e.now().UTC().Truncate(time.Millisecond)
	doc["id"] = id
	meta := setMeta(doc, now)

	ch := &Change{Type: typ, ID: id, Doc: doc}
	if err := e.prepareRules(ctx, ch); err != nil {
		return nil, err
	}
	entries, sortVals, err := e.search.Extract(typ, doc)
	if err != nil {
		return nil, fhirerr.Wrap(fhirerr.Invalid, err, "cannot index the resource: %v", err)
	}

	w := &Write{Type: typ, ID: id, Interaction: "update", Patients: patientsOf(typ, id, entries), Index: entries}
	if create {
		w.Interaction = "create"
	}
	w.Unit = func(tx store.Tx) error {
		cur, err := tx.Read(ctx, typ, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return storeErr(err, typ+"/"+id)
		}
		if cur == nil && ifMatch != 0 {
			return fhirerr.New(fhirerr.PreconditionFailed, "If-Match given but %s/%s does not exist", typ, id)
		}
		if cur != nil && ifMatch != 0 && int64(ifMatch) != cur.VersionID {
			return fhirerr.New(fhirerr.PreconditionFailed, "version conflict: If-Match W/\"%d\" but the current version is %d", ifMatch, cur.VersionID)
		}
		if cur != nil && create {
			// A random 128-bit id never collides in practice; refuse rather than overwrite.
			return fhirerr.New(fhirerr.Conflict, "generated id already in use; retry")
		}
		c := *ch
		c.Warnings = nil
		if cur != nil && !cur.Deleted {
			c.Prev = cur
		}
		if err := e.commitRules(ctx, tx, &c); err != nil {
			return storeErr(err, typ+"/"+id)
		}
		vid := int64(1)
		if cur != nil {
			vid = cur.VersionID + 1
		}
		meta["versionId"] = strconv.FormatInt(vid, 10)
		body, err := fhirjson.Marshal(doc)
		if err != nil {
			return fmt.Errorf("encode %s: %w", typ, err)
		}
		res := store.Resource{Type: typ, ID: id, VersionID: vid, LastUpdated: now, Body: body}
		if err := tx.Put(store.Write{Resource: res, Index: entries, Sort: sortVals}); err != nil {
			return storeErr(err, typ+"/"+id)
		}
		w.Result = &res
		w.Prev = c.Prev
		w.Created = cur == nil || cur.Deleted
		w.Warnings = append(ch.Warnings, c.Warnings...)
		return nil
	}
	return w, nil
}

// Delete prepares the deletion of typ/id. Deleting a resource that is
// already deleted changes nothing; deleting one that never existed is 404.
func (e *Engine) Delete(ctx context.Context, typ, id string, ifMatch Precondition) (*Write, error) {
	if err := checkType(typ, true); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, fhirerr.New(fhirerr.NotFound, "%s/%s not found", typ, id)
	}
	w := &Write{Type: typ, ID: id, Interaction: "delete"}
	w.Unit = func(tx store.Tx) error {
		cur, err := tx.Read(ctx, typ, id)
		if err != nil {
			return storeErr(err, typ+"/"+id)
		}
		if ifMatch != 0 && int64(ifMatch) != cur.VersionID {
			return fhirerr.New(fhirerr.PreconditionFailed, "version conflict: If-Match W/\"%d\" but the current version is %d", ifMatch, cur.VersionID)
		}
		if prevDoc, err := fhirjson.Decode(cur.Body, fhirjson.Options{}); err == nil && !cur.Deleted {
			if ids, err := e.patientsOfDoc(typ, prevDoc); err == nil {
				w.Patients = ids
			}
		}
		if cur.Deleted {
			w.NoOp = true
			w.Prev = cur
			return nil
		}
		c := &Change{Type: typ, ID: id, Prev: cur}
		if err := e.commitRules(ctx, tx, c); err != nil {
			return storeErr(err, typ+"/"+id)
		}
		res := store.Resource{Type: typ, ID: id, VersionID: cur.VersionID + 1, LastUpdated: e.now().UTC().Truncate(time.Millisecond), Deleted: true}
		if err := tx.Put(store.Write{Resource: res}); err != nil {
			return storeErr(err, typ+"/"+id)
		}
		w.Result = &res
		w.Prev = cur
		return nil
	}
	return w, nil
}

// validate checks the resource against the R4 JSON schema.
func (e *Engine) validate(typ string, doc map[string]any) error {
	if rt := fhirjson.ResourceType(doc); rt != typ {
		return fhirerr.At(fhirerr.Invalid, "resourceType", "resourceType %q does not match the endpoint type %s", rt, typ)
	}
	issues := fhir.Validate(typ, doc)
	if len(issues) == 0 {
		return nil
	}
	fe := &fhirerr.Error{Kind: fhirerr.Invalid}
	for _, is := range issues {
		sev := is.Severity
		if sev == "" {
			sev = "error"
		}
		fe.Issues = append(fe.Issues, fhirerr.Issue{Severity: sev, Code: is.Code, Expression: is.Expression, Diagnostics: is.Diagnostics})
	}
	return fe
}

// setMeta stamps meta.lastUpdated, keeping the client's tags, profiles and
// security labels. versionId is set inside the transaction.
func setMeta(doc map[string]any, now time.Time) map[string]any {
	meta, _ := doc["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		doc["meta"] = meta
	}
	meta["lastUpdated"] = FormatInstant(now)
	delete(meta, "versionId")
	return meta
}

// FormatInstant renders a FHIR instant in UTC with milliseconds.
func FormatInstant(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// validID follows the FHIR id rule: [A-Za-z0-9\-\.]{1,64}.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}
