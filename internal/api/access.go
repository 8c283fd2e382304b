package api

import (
	"slices"

	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
)

// nothing matches no resource: ids are never empty.
var nothing = search.IDIn{""}

// restrict turns the token's decision for typ into a search restriction
// (authorization as a query rewrite): nil when unrestricted, else the union
// of the grants (patient compartment, granular scope query).
func (k *call) restrict(typ string) search.Expr {
	d := k.decision
	if typ != k.typ {
		d = k.principal.Decide(auth.Read, typ)
	}
	return k.s.grantsExpr(typ, d)
}

func (s *Server) grantsExpr(typ string, d auth.Decision) search.Expr {
	if !d.Allowed {
		return nothing
	}
	if d.Unrestricted {
		return nil
	}
	var any search.Or
	for _, g := range d.Grants {
		var all search.And
		if g.Patient != "" {
			c, ok := engine.PatientCompartment(typ, g.Patient)
			if !ok {
				continue
			}
			all = append(all, c)
		}
		if g.Query != nil {
			req, err := s.eng.Search().Parse(typ, g.Query, search.Options{})
			if err != nil {
				s.log.Warn("granular scope query cannot be parsed; it grants nothing", "type", typ, "err", err)
				continue
			}
			if req.Where != nil {
				all = append(all, req.Where)
			}
		}
		switch len(all) {
		case 0:
			return nil
		case 1:
			any = append(any, all[0])
		default:
			any = append(any, all)
		}
	}
	switch len(any) {
	case 0:
		return nothing
	case 1:
		return any[0]
	}
	return any
}

// access is the engine's view of what the caller may read, per type.
func (k *call) access() engine.Access {
	return func(typ string) (bool, search.Expr) {
		d := k.decision
		if typ != k.typ {
			d = k.principal.Decide(auth.Read, typ)
		}
		if !d.Allowed {
			return false, nil
		}
		return true, k.s.grantsExpr(typ, d)
	}
}

// restrictWrite refuses a create or update that would put a resource outside
// the caller's patient compartment, or change one outside it.
func (k *call) restrictWrite(w *engine.Write) error {
	if k.decision.Unrestricted {
		return nil
	}
	for _, g := range k.decision.Grants {
		if k.s.grantCovers(w, g) {
			return k.existingReachable(w)
		}
	}
	return fhirerr.New(fhirerr.Forbidden, "the resource would be outside what the token's scopes allow")
}

// grantCovers reports whether a create or update's new content lies within
// one grant: in its patient's compartment, and matching its query. A query
// that cannot be decided in memory covers nothing (fail closed).
func (s *Server) grantCovers(w *engine.Write, g auth.Grant) bool {
	if g.Patient != "" && !slices.Contains(w.Patients, g.Patient) {
		return false
	}
	if g.Query == nil {
		return true
	}
	req, err := s.eng.Search().Parse(w.Type, g.Query, search.Options{})
	if err != nil {
		return false
	}
	ok, supported := search.MatchEntries(req.Where, w.ID, w.Index)
	return ok && supported
}

func (k *call) restrictDelete(w *engine.Write) error {
	if k.decision.Unrestricted {
		return nil
	}
	return k.existingReachable(w)
}

// existingReachable refuses changes to a resource the caller cannot see.
func (k *call) existingReachable(w *engine.Write) error {
	_, err := k.s.eng.Read(k.ctx, w.Type, w.ID, k.restrict(w.Type))
	switch fhirerr.KindOf(err) {
	case fhirerr.Gone:
		return nil
	case fhirerr.NotFound:
		if _, err2 := k.s.eng.Read(k.ctx, w.Type, w.ID, nil); fhirerr.KindOf(err2) == fhirerr.NotFound {
			return nil // a new resource: its content was checked above
		}
		return fhirerr.New(fhirerr.Forbidden, "the resource is outside the patient compartment the token allows")
	}
	return err
}
