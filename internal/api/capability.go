package api

import (
	"net/http"
	"sort"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirjson"
)

// capabilities serves the CapabilityStatement, generated from the type
// registry and the search-parameter registry in fhir/. No token is needed.
func (s *Server) capabilities(c *gin.Context) {
	start := time.Now()
	defer func() { s.metrics.observe("capabilities", "", c.Writer.Status(), time.Since(start)) }()
	body := s.capabilityStatement(c.Request)
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, fhirJSON, body)
}

func (s *Server) capabilityStatement(r *http.Request) []byte {
	var resources []any
	for _, t := range fhir.Types() {
		interactions := []any{
			map[string]any{"code": "read"}, map[string]any{"code": "vread"},
			map[string]any{"code": "history-instance"}, map[string]any{"code": "search-type"},
		}
		if !t.ReadOnly {
			interactions = append(interactions,
				map[string]any{"code": "create"}, map[string]any{"code": "update"}, map[string]any{"code": "delete"})
		}
		var params []any
		var includes, revincludes []string
		for _, p := range s.eng.Search().Params(t.Name) {
			sp := map[string]any{"name": p.Code, "type": p.Type}
			if p.Def != nil {
				sp["definition"] = p.Def.URL
				if p.Def.Description != "" {
					sp["documentation"] = p.Def.Description
				}
			}
			params = append(params, sp)
			if p.Type == "reference" {
				includes = append(includes, t.Name+":"+p.Code)
			}
		}
		for _, other := range fhir.Types() {
			for _, p := range s.eng.Search().Params(other.Name) {
				if p.Type != "reference" {
					continue
				}
				for _, target := range p.Target {
					if target == t.Name {
						revincludes = append(revincludes, other.Name+":"+p.Code)
						break
					}
				}
			}
		}
		sort.Strings(includes)
		sort.Strings(revincludes)
		res := map[string]any{
			"type":              t.Name,
			"interaction":       interactions,
			"versioning":        "versioned-update",
			"readHistory":       true,
			"updateCreate":      !t.ReadOnly,
			"conditionalDelete": "not-supported",
			"searchParam":       params,
		}
		if t.Profile != "" {
			res["profile"] = t.Profile
		}
		if len(includes) > 0 {
			res["searchInclude"] = includes
		}
		if len(revincludes) > 0 {
			res["searchRevInclude"] = revincludes
		}
		resources = append(resources, res)
	}
	cs := map[string]any{
		"resourceType": "CapabilityStatement",
		"status":       "active",
		"date":         engine.FormatInstant(s.started),
		"publisher":    "ehrd",
		"kind":         "instance",
		"software":     map[string]any{"name": "ehrd"},
		"implementation": map[string]any{
			"description": "EHR back-office FHIR R4 server",
			"url":         s.baseURL(r),
		},
		"fhirVersion": "4.0.1",
		"format":      []string{"application/fhir+json", "application/json"},
		"rest": []any{map[string]any{
			"mode": "server",
			"security": map[string]any{
				"cors": true,
				"service": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}}}},
				"description": "Bearer JWT access tokens with SMART App Launch 2 scopes",
			},
			"resource": resources,
		}},
	}
	b, _ := fhirjson.Marshal(cs)
	return b
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "uptime": time.Since(s.started).Round(time.Second).String()})
}

func (s *Server) readyz(c *gin.Context) {
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(c.Request); err != nil {
			s.log.Warn("not ready", "err", err)
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable"})
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}
