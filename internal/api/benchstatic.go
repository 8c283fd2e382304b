package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// GET /bench/static is the load tool's ceiling a (docs/performance.md): the
// server's router, global middleware and token check, answering a fixed
// Patient with no engine call, no audit record and no FHIR metrics. What a
// read by id costs beyond it is storage, audit and encoding. It is served
// only when Config.BenchStaticRoute is set (EHR_BENCH_STATIC_ROUTE), and is
// not part of the public API.

// BenchStaticID is the id of the Patient that /bench/static answers.
const BenchStaticID = "bench-static"

// benchStaticBody is shaped like a seeded patient of the load tool, so that
// the ceiling writes about as many bytes as a read.
var benchStaticBody = []byte(`{"resourceType":"Patient","id":"` + BenchStaticID + `",` +
	`"meta":{"versionId":"1","lastUpdated":"2025-01-01T00:00:00.000Z"},` +
	`"identifier":[{"system":"urn:oid:2.16.840.1.113883.19.5","value":"MRN-000000"}],` +
	`"active":true,"name":[{"use":"official","family":"Static","given":["Bench"]}],` +
	`"telecom":[{"system":"phone","value":"+1-555-0100","use":"home"}],` +
	`"gender":"unknown","birthDate":"1970-01-01",` +
	`"address":[{"use":"home","line":["1 Bench Street"],"city":"Springfield","postalCode":"00000","country":"US"}],` +
	`"generalPractitioner":[{"reference":"Practitioner/pr-000"}]}`)

// benchRoutes registers the benchmark route when it is asked for.
func (s *Server) benchRoutes(r *gin.Engine) {
	if s.cfg.BenchStaticRoute {
		r.GET("/bench/static", s.benchStatic)
	}
}

// benchStatic verifies the bearer token as every FHIR route does (a refusal
// is answered the same way) and answers the fixed Patient.
func (s *Server) benchStatic(c *gin.Context) {
	k := &call{s: s, c: c, ctx: c.Request.Context()}
	if resp, ok := k.authenticate(); !ok {
		writeResponse(c, resp)
		return
	}
	writeResponse(c, response{status: http.StatusOK, body: benchStaticBody, header: http.Header{"ETag": {etag(1)}}})
}
