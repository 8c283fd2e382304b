package api

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
)

// accounting serves GET /fhir/Patient/{id}/$accounting?start=…&end=…: the
// HIPAA accounting of disclosures for one patient — every recorded access to
// their records in the period, oldest first, as a searchset of AuditEvents.
// It reads the audit trail, so it needs an AuditEvent search scope, and it
// is audited itself.
func (s *Server) accounting(c *gin.Context) {
	k := &call{s: s, c: c, ctx: c.Request.Context(), interaction: "operation", action: "E", typ: "AuditEvent"}
	start := time.Now()
	resp := k.run(auth.SearchType, func(k *call) response {
		if c.Param("type") != "Patient" {
			return errResponse(fhirerr.New(fhirerr.NotFound, "$accounting is defined on Patient only"))
		}
		pid := c.Param("id")
		k.patients = []string{pid}
		k.entities = []string{"Patient/" + pid}
		q := c.Request.URL.Query()
		params := url.Values{"patient": {"Patient/" + pid}, "_sort": {"date"}}
		if v := q.Get("start"); v != "" {
			params.Add("date", "ge"+v)
		}
		if v := q.Get("end"); v != "" {
			params.Add("date", "le"+v)
		}
		if v := q.Get("_count"); v != "" {
			params.Set("_count", v)
		}
		k.query = []byte(c.Request.Method + " " + c.Request.URL.Path + "?" + c.Request.URL.RawQuery)
		req, err := s.eng.Search().Parse("AuditEvent", params, search.Options{Strict: true})
		if err != nil {
			return errResponse(fhirerr.Wrap(fhirerr.Invalid, err, "start and end must be dates such as 2026-01-01"))
		}
		page, err := s.eng.SearchType(k.ctx, req, k.access(), q.Get("_cursor"))
		if err != nil {
			return errResponse(err)
		}
		kept := url.Values{}
		for _, name := range []string{"start", "end", "_count"} {
			if v := q.Get(name); v != "" {
				kept.Set(name, v)
			}
		}
		return response{status: http.StatusOK, body: s.bundleFor(k, "Patient/"+pid+"/$accounting", req, kept, page)}
	})
	s.finish(k, resp, start)
}
