package api

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Conditional interactions are planned as a Bundle of one entry (see
// engine.Plan), so that the direct and the Bundle forms behave alike.

// conditionalCreate serves POST /fhir/{type} with If-None-Exist.
func (s *Server) conditionalCreate(k *call, doc map[string]any, criteria string) response {
	en := &engine.Entry{Method: "POST", URL: k.typ, Type: k.typ, Resource: doc, IfNoneExist: criteria}
	return k.conditional(en)
}

// conditionalUpdate serves PUT /fhir/{type}?criteria.
func (s *Server) conditionalUpdate(k *call) response {
	en, err := k.conditionalEntry("PUT")
	if err != nil {
		return errResponse(err)
	}
	if en.Resource, err = k.readResource(); err != nil {
		return errResponse(err)
	}
	return k.conditional(en)
}

// conditionalDelete serves DELETE /fhir/{type}?criteria. No match deletes
// nothing and answers 204, as deleting is idempotent; several matches are 412.
func (s *Server) conditionalDelete(k *call) response {
	en, err := k.conditionalEntry("DELETE")
	if err != nil {
		return errResponse(err)
	}
	return k.conditional(en)
}

func (k *call) conditionalEntry(method string) (*engine.Entry, error) {
	raw := dropAccessToken(k.c.Request.URL.RawQuery)
	if raw == "" {
		return nil, fhirerr.New(fhirerr.Invalid, "a conditional %s needs search criteria: %s /fhir/%s?identifier=system|value", method, method, k.typ)
	}
	ifMatch, err := engine.ParseETag(k.c.GetHeader("If-Match"))
	if err != nil {
		return nil, err
	}
	en, err := engine.NewEntry(method, k.typ+"?"+raw)
	if err != nil {
		return nil, err
	}
	en.IfMatch = ifMatch
	return en, nil
}

// conditional runs a one-entry plan and answers as the direct interaction
// would.
func (k *call) conditional(en *engine.Entry) response {
	k.query = []byte(entryQuery(en))
	if err := k.entryAllowed(en); err != nil {
		return errResponse(err)
	}
	plan, err := k.s.eng.Plan(k.ctx, []*engine.Entry{en}, k.planOptions())
	if err != nil {
		return errResponse(err)
	}
	k.recorded = true
	r, err := k.commitPlan(en, plan)
	if err != nil {
		return errResponse(err)
	}
	if r.Interaction == "delete" {
		resp := response{status: http.StatusNoContent}
		if r.Resource != nil {
			resp.header = http.Header{"ETag": {etag(r.Resource.VersionID)}}
		}
		return resp
	}
	return k.writeResult(&engine.Write{Result: r.Resource, Warnings: r.Warnings}, r.Status)
}

// entryAllowed checks an entry against the token's scopes before anything
// runs. A conditional entry also needs the search permission: its outcome
// tells whether a matching resource exists.
func (k *call) entryAllowed(en *engine.Entry) error {
	needs := []auth.Interaction{auth.Interaction(en.Interaction())}
	if en.Conditional() {
		needs = append(needs, auth.SearchType)
	}
	for _, need := range needs {
		if !k.principal.Decide(need, en.Type).Allowed {
			return fhirerr.New(fhirerr.Forbidden, "the token's scopes do not allow %s on %s", need, en.Type)
		}
	}
	if en.Type == auditEventType {
		return k.syncAuditTrail()
	}
	return nil
}

// planOptions confine a plan to the caller: reads and searches are narrowed
// as direct ones are, and each write is checked once its target is final.
func (k *call) planOptions() engine.PlanOptions {
	return engine.PlanOptions{Read: k.accessAs(auth.Read), Search: k.accessAs(auth.SearchType), Check: k.checkWrite}
}

func (k *call) accessAs(need auth.Interaction) engine.Access {
	return func(typ string) (bool, search.Expr) {
		d := k.principal.Decide(need, typ)
		if !d.Allowed {
			return false, nil
		}
		return true, k.s.grantsExpr(typ, d)
	}
}

// checkWrite is restrictWrite and restrictDelete for entries, run inside
// the unit against r: new content must stay in the caller's compartment,
// and an existing resource must be one the caller can see.
func (k *call) checkWrite(ctx context.Context, r store.Reader, en *engine.Entry, w *engine.Write) error {
	d := k.principal.Decide(auth.Interaction(en.Interaction()), w.Type)
	switch {
	case !d.Allowed:
		return fhirerr.New(fhirerr.Forbidden, "the token's scopes do not allow %s on %s", en.Interaction(), w.Type)
	case d.Unrestricted:
		return nil
	}
	if w.Interaction != "delete" {
		// The new content must lie inside one grant: its patient's
		// compartment and its query (the same test as a direct write).
		inside := false
		for _, g := range d.Grants {
			inside = inside || k.s.grantCovers(w, g)
		}
		if !inside {
			return fhirerr.New(fhirerr.Forbidden, "the resource would be outside what the token's scopes allow")
		}
	}
	cur, err := r.Read(ctx, w.Type, w.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil // a new resource: its content was checked above
	case err != nil:
		return fhirerr.Wrap(fhirerr.Unavailable, err, "storage is unavailable")
	case cur.Deleted:
		return nil
	}
	// The current version must be one the write grant covers, as for a
	// direct update: a write-only token may change what it may not read.
	restrict := k.s.grantsExpr(w.Type, d)
	if restrict == nil {
		return nil // the caller sees every resource of the type
	}
	page, err := r.Search(ctx, &store.Query{Type: w.Type, Where: search.And{search.IDIn{w.ID}, restrict}, Count: 1})
	if err != nil {
		return fhirerr.Wrap(fhirerr.Unavailable, err, "storage is unavailable")
	}
	if len(page.Resources) == 0 {
		return fhirerr.New(fhirerr.Forbidden, "the resource is outside the patient compartment the token allows")
	}
	return nil
}

// dropAccessToken removes a bearer token sent in the query string, so that
// it reaches neither the criteria nor the audit trail. Tokens are accepted
// in the Authorization header only.
func dropAccessToken(raw string) string {
	if !strings.Contains(raw, "access_token") {
		return raw
	}
	values, err := url.ParseQuery(raw)
	if err != nil {
		return raw // malformed: refused as such later, and carries no parsable token
	}
	values.Del("access_token")
	return values.Encode()
}
