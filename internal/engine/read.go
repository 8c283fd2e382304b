package engine

import (
	"context"

	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Read returns the current version of typ/id. A deleted resource is Gone
// (the marker is returned with the error so that the caller can report its
// version); restrict, when non-nil, must match the resource or it is NotFound,
// exactly as if it did not exist.
func (e *Engine) Read(ctx context.Context, typ, id string, restrict search.Expr) (*store.Resource, error) {
	if err := checkType(typ, false); err != nil {
		return nil, err
	}
	if !validID(id) {
		return nil, fhirerr.New(fhirerr.NotFound, "%s/%s not found", typ, id)
	}
	res, err := e.store.Read(ctx, typ, id)
	if err != nil {
		return nil, storeErr(err, typ+"/"+id)
	}
	if restrict != nil {
		ok, err := e.reachable(ctx, typ, id, restrict)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fhirerr.New(fhirerr.NotFound, "%s/%s not found", typ, id)
		}
	}
	if res.Deleted {
		return res, fhirerr.New(fhirerr.Gone, "%s/%s was deleted", typ, id)
	}
	return res, nil
}

// VRead returns one version of typ/id.
func (e *Engine) VRead(ctx context.Context, typ, id string, vid int64, restrict search.Expr) (*store.Resource, error) {
	if _, err := e.Read(ctx, typ, id, restrict); err != nil && fhirerr.KindOf(err) != fhirerr.Gone {
		return nil, err
	}
	res, err := e.store.ReadVersion(ctx, typ, id, vid)
	if err != nil {
		return nil, storeErr(err, "version")
	}
	if res.Deleted {
		return res, fhirerr.New(fhirerr.Gone, "version %d of %s/%s is a deletion", vid, typ, id)
	}
	return res, nil
}

// History returns versions of typ/id, newest first.
func (e *Engine) History(ctx context.Context, q store.HistoryQuery, restrict search.Expr) ([]store.Resource, error) {
	if _, err := e.Read(ctx, q.Type, q.ID, restrict); err != nil && fhirerr.KindOf(err) != fhirerr.Gone {
		return nil, err
	}
	vs, err := e.store.History(ctx, q)
	if err != nil {
		return nil, storeErr(err, "history")
	}
	return vs, nil
}

// reachable reports whether typ/id is a current resource matching restrict.
// A deleted resource is reachable when its last live version was, so that
// a permitted caller learns it is Gone; without that version we answer no.
func (e *Engine) reachable(ctx context.Context, typ, id string, restrict search.Expr) (bool, error) {
	page, err := e.store.Search(ctx, &store.Query{Type: typ, Where: search.And{search.IDIn{id}, restrict}, Count: 1})
	if err != nil {
		return false, storeErr(err, "search")
	}
	if len(page.Resources) > 0 {
		return true, nil
	}
	return false, nil
}
