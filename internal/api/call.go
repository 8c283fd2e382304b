package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
)

// call is one FHIR interaction in flight: who asked, what for, and what the
// audit trail must say about it.
type call struct {
	s           *Server
	c           *gin.Context
	ctx         context.Context
	interaction string // audit subtype (FHIR restful-interaction code)
	action      string // C R U D E
	typ, id     string
	principal   *auth.Principal
	decision    auth.Decision

	entities []string // versioned references touched
	patients []string // patients concerned
	query    []byte   // raw query of a search
	recorded bool     // the handler recorded its events itself (writes)
}

// response is what a handler wants written; it is written only after the
// audit record is durable.
type response struct {
	status int
	body   []byte
	header http.Header
	err    *fhirerr.Error
}

func errResponse(err error) response {
	fe := fhirerr.As(err)
	return response{status: statusOf(fe), err: fe}
}

// fhir wraps a handler with authentication, authorization and auditing.
func (s *Server) fhir(interaction, action string, need auth.Interaction, fn func(*call) response) gin.HandlerFunc {
	return func(c *gin.Context) {
		k := &call{s: s, c: c, ctx: c.Request.Context(), interaction: interaction, action: action,
			typ: c.Param("type"), id: c.Param("id")}
		start := time.Now()
		resp := k.run(need, fn)
		s.finish(k, resp, start)
	}
}

// auditCall wraps the audit-log proof endpoints: they read AuditEvent data.
func (s *Server) auditCall(fn func(*call) response) gin.HandlerFunc {
	return func(c *gin.Context) {
		k := &call{s: s, c: c, ctx: c.Request.Context(), interaction: "operation", action: "R", typ: "AuditEvent"}
		start := time.Now()
		resp := k.run(auth.Read, fn)
		s.finish(k, resp, start)
	}
}

func (k *call) run(need auth.Interaction, fn func(*call) response) response {
	if resp, ok := k.authenticate(); !ok {
		return resp
	}
	if _, ok := fhir.LookupType(k.typ); !ok {
		return errResponse(fhirerr.New(fhirerr.NotFound, "resource type %q is not supported", k.typ))
	}
	k.decision = k.principal.Decide(need, k.typ)
	if !k.decision.Allowed {
		return errResponse(fhirerr.New(fhirerr.Forbidden, "the token's scopes do not allow %s on %s", need, k.typ))
	}
	if k.typ == auditEventType {
		if err := k.syncAuditTrail(); err != nil {
			return errResponse(err)
		}
	}
	return fn(k)
}

// authenticate verifies the bearer token. Refusals say nothing of the reason
// to the caller; the reason goes to the log and the audit record.
func (k *call) authenticate() (response, bool) {
	raw, err := auth.BearerToken(k.c.Request)
	if err != nil {
		if errors.Is(err, auth.ErrInvalidRequest) {
			resp := errResponse(fhirerr.New(fhirerr.Invalid, "the token must be sent once, in the Authorization header"))
			resp.header = http.Header{"WWW-Authenticate": {`Bearer realm="ehr", error="invalid_request"`}}
			return resp, false
		}
		resp := errResponse(fhirerr.Wrap(fhirerr.Unauthorized, err, "a bearer token is required"))
		resp.header = http.Header{"WWW-Authenticate": {`Bearer realm="ehr"`}}
		return resp, false
	}
	p, err := k.s.cfg.Verifier.Verify(raw)
	if err != nil {
		k.s.log.Info("token refused", "request_id", requestIDOf(k.c), "reason", err.Error())
		resp := errResponse(fhirerr.Wrap(fhirerr.Unauthorized, err, "invalid token"))
		resp.header = http.Header{"WWW-Authenticate": {`Bearer realm="ehr", error="invalid_token"`}}
		return resp, false
	}
	k.principal = p
	return response{}, true
}

// finish records the audit events unless the handler already did, then
// writes the response. A failed audit write turns any answer into 503.
func (s *Server) finish(k *call, resp response, start time.Time) {
	if resp.status == 0 {
		resp.status = http.StatusOK
	}
	if resp.status == http.StatusForbidden && resp.header == nil {
		resp.header = http.Header{"WWW-Authenticate": {`Bearer realm="ehr", error="insufficient_scope"`}}
	}
	if !k.recorded {
		// A client that hung up gets ctx.Err() after its record was
		// committed: only ErrUnavailable means the record is missing.
		if err := s.rec.Record(k.ctx, k.events(resp.status, resp.err)...); errors.Is(err, audit.ErrUnavailable) {
			s.log.Error("audit record failed", "request_id", requestIDOf(k.c), "err", err)
			resp = errResponse(fhirerr.Wrap(fhirerr.Unavailable, err, "the audit trail is unavailable; request refused"))
		}
	}
	s.metrics.observe(k.interaction, k.typ, resp.status, time.Since(start))
	writeResponse(k.c, resp)
}

// commit runs a prepared write inside the group commit with its audit
// record. It returns the write's own error, or Unavailable when the commit
// (and so the audit record) failed.
func (k *call) commit(w *engine.Write) error {
	k.recorded = true
	var unitErr error
	err := k.s.rec.Do(k.ctx, w.Unit, func(uerr error) []audit.Event {
		unitErr = uerr
		k.patients = w.Patients
		if uerr == nil && w.Result != nil {
			k.entities = []string{versionedRef(w.Result.Type, w.Result.ID, w.Result.VersionID)}
		} else if uerr == nil && w.Prev != nil {
			k.entities = []string{versionedRef(w.Prev.Type, w.Prev.ID, w.Prev.VersionID)}
		} else {
			k.entities = []string{w.Type + "/" + w.ID}
		}
		status := http.StatusOK
		var fe *fhirerr.Error
		if uerr != nil {
			fe = fhirerr.As(uerr)
			status = statusOf(fe)
		}
		return k.events(status, fe)
	})
	if err != nil {
		if errors.Is(err, audit.ErrUnavailable) {
			k.s.log.Error("commit failed", "request_id", requestIDOf(k.c), "err", err)
			return fhirerr.Wrap(fhirerr.Unavailable, err, "storage or audit trail unavailable; nothing was written")
		}
		if unitErr != nil {
			return unitErr
		}
		if k.ctx.Err() != nil && errors.Is(err, k.ctx.Err()) {
			return nil // committed with its record; the client has gone
		}
		return err
	}
	return nil
}

// events builds the request's AuditEvents: one per patient concerned (BALP
// patient variants), or one when no patient is concerned.
func (k *call) events(status int, fe *fhirerr.Error) []audit.Event {
	ev := audit.Event{
		Interaction: k.interaction,
		Action:      k.action,
		Outcome:     outcomeCode(status),
		Agent:       k.agent(),
		Entities:    k.entities,
		Query:       k.query,
		Type:        k.typ,
		RequestID:   requestIDOf(k.c),
		Recorded:    time.Now().UTC(),
	}
	if fe != nil && status >= 400 {
		ev.OutcomeDesc = outcomeDesc(fe)
	}
	if len(ev.Entities) == 0 && k.typ != "" && k.id != "" {
		ev.Entities = []string{k.typ + "/" + k.id}
	}
	if len(k.patients) == 0 {
		return []audit.Event{ev}
	}
	out := make([]audit.Event, 0, len(k.patients))
	for _, p := range k.patients {
		e := ev
		e.Patient = p
		out = append(out, e)
	}
	return out
}

// outcomeDesc is the audit description of a failure: the kind and the first
// diagnostic, which never holds resource content.
func outcomeDesc(fe *fhirerr.Error) string {
	d := string(fe.Kind)
	if fe.Kind == fhirerr.Internal || len(fe.Issues) == 0 {
		return d
	}
	if fe.Err != nil && fe.Kind == fhirerr.Unauthorized {
		return d + ": " + fe.Err.Error()
	}
	return d + ": " + fe.Issues[0].Diagnostics
}

func outcomeCode(status int) int {
	switch {
	case status < 400:
		return 0
	case status < 500:
		return 4
	default:
		return 8
	}
}

func (k *call) agent() audit.Agent {
	a := audit.Agent{Address: clientIP(k.c.Request)}
	if p := k.principal; p != nil {
		a.Subject, a.ClientID, a.FHIRUser, a.JTI, a.Issuer = p.Subject, p.ClientID, p.FHIRUser, p.JTI, p.Issuer
		a.PurposeOfUse = p.PurposeOfUse
	}
	return a
}
