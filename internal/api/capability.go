package api

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/search"
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
	reg := s.eng.Search()
	served := map[string]bool{}
	for _, t := range fhir.Types() {
		served[t.Name] = true
	}
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
		for _, p := range reg.Params(t.Name) {
			params = append(params, searchParamEntry(t.Name, p, served))
			if p.Type == fhir.ParamReference && slices.ContainsFunc(p.Target, func(x string) bool { return served[x] }) {
				includes = append(includes, t.Name+":"+p.Code)
			}
		}
		for _, other := range fhir.Types() {
			for _, p := range reg.Params(other.Name) {
				if p.Type == fhir.ParamReference && slices.Contains(p.Target, t.Name) {
					revincludes = append(revincludes, other.Name+":"+p.Code)
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
			"conditionalCreate": !t.ReadOnly,
			"conditionalUpdate": !t.ReadOnly,
			"conditionalDelete": "not-supported",
			"searchParam":       params,
		}
		if !t.ReadOnly {
			res["conditionalDelete"] = "single"
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
			"documentation": "Search: GET [type]?params or POST [type]/_search with a form body (identical). " +
				"Unknown parameters are ignored with a warning in an OperationOutcome entry (search.mode outcome), " +
				"or refused with 400 under Prefer: handling=strict; a malformed value is always 400 naming the parameter. " +
				"Paging is keyset paging: follow the next and previous links. See docs/search.md.",
			"security": map[string]any{
				"cors": true,
				"service": []any{map[string]any{"coding": []any{map[string]any{
					"system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "SMART-on-FHIR"}}}},
				"description": "Bearer JWT access tokens with SMART App Launch 2 scopes",
			},
			"resource":    resources,
			"interaction": []any{map[string]any{"code": "transaction"}, map[string]any{"code": "batch"}},
			"searchParam": resultParams(),
		}},
	}
	b, _ := fhirjson.Marshal(cs)
	return b
}

// searchParamEntry describes one search parameter of typ: its type, its
// SearchParameter, and in documentation what it matches on this type and
// the modifiers and value forms the server accepts.
func searchParamEntry(typ string, p *search.Param, served map[string]bool) map[string]any {
	sp := map[string]any{"name": p.Code, "type": p.Type}
	var doc []string
	if p.Def != nil {
		sp["definition"] = p.Def.URL
		if d := describe(typ, p.Def.Description); d != "" {
			doc = append(doc, d)
		}
	}
	if mods := modifierList(p); mods != "" {
		doc = append(doc, "Modifiers: "+mods+".")
	} else {
		doc = append(doc, "Modifiers: none.")
	}
	if v := valueForms[p.Type]; v != "" {
		doc = append(doc, v)
	}
	if p.Type == fhir.ParamReference {
		var chain []string
		for _, t := range p.Target {
			if served[t] {
				chain = append(chain, t)
			}
		}
		if len(chain) > 0 {
			doc = append(doc, "Chaining (one level) into "+strings.Join(chain, ", ")+
				", e.g. "+p.Code+":"+chain[0]+".<parameter>=value; reverse chaining with _has.")
		}
	}
	sp["documentation"] = strings.Join(doc, " ")
	return sp
}

// describe returns the specification's description of a parameter for
// typ: the type's own line of a "Multiple Resources" list, else the whole.
func describe(typ, description string) string {
	const multiple = "Multiple Resources:"
	if !strings.HasPrefix(description, multiple) {
		return strings.TrimSpace(description)
	}
	for _, line := range strings.Split(description, "\n") {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "* ["+typ+"]("); ok {
			if _, text, ok := strings.Cut(rest, "): "); ok {
				return strings.TrimSpace(text)
			}
		}
	}
	return ""
}

// modifierList lists the modifiers p accepts on its type; the many
// :[type] modifiers of a reference are summarised.
func modifierList(p *search.Param) string {
	if p.Def == nil {
		return ""
	}
	var mods []string
	typed := false
	for _, m := range p.Def.Modifiers {
		if p.Type == fhir.ParamReference && slices.Contains(p.Target, m) {
			typed = true
			continue
		}
		mods = append(mods, ":"+m)
	}
	if typed {
		mods = append(mods, ":[type] (one of the targets: "+strings.Join(p.Target, ", ")+")")
	}
	return strings.Join(mods, ", ")
}

// valueForms says what values each parameter type takes and how it matches.
var valueForms = map[fhir.ParamType]string{
	fhir.ParamString: "Matches values that start with the given text, ignoring case and accents; " +
		":contains matches anywhere, :exact the value as written.",
	fhir.ParamToken: "Values: code, system|code, |code (no system), system|. :text matches the start of the display or text, " +
		":not resources with no matching code, :of-type typeSystem|typeCode|value on identifiers.",
	fhir.ParamDate: "Prefixes eq (default), ne, gt, lt, ge, le, sa, eb, ap; values yyyy, yyyy-mm, yyyy-mm-dd or " +
		"yyyy-mm-ddThh:mm[:ss[.fff]][Z|±hh:mm] (no zone: UTC), compared as ranges.",
	fhir.ParamNumber: "Prefixes eq (default), ne, gt, lt, ge, le, sa, eb, ap; eq uses the value's precision.",
	fhir.ParamQuantity: "Prefixes eq (default), ne, gt, lt, ge, le, sa, eb, ap; values number, number|system|code or number||code. " +
		"UCUM units (system http://unitsofmeasure.org) are compared in canonical units, so kg finds [lb_av].",
	fhir.ParamReference: "Values: id, Type/id or an absolute URL; :identifier takes system|value.",
	fhir.ParamURI:       "Exact match; :below matches URIs that start with the value, :above the value and its parent paths.",
	fhir.ParamComposite: "The components' values separated by $, each as for its own type, " +
		"e.g. http://loinc.org|29463-7$gt70|http://unitsofmeasure.org|kg.",
}

// resultParams are the parameters every search takes that shape the
// result rather than filter it, and _has.
func resultParams() []any {
	p := func(name, typ, doc string) any {
		return map[string]any{"name": name, "type": typ, "documentation": doc}
	}
	return []any{
		p("_count", "number", "Page size: default 20, at most 1000. _count=0 returns the total only."),
		p("_sort", "string", "Comma-separated parameters of the type, - for descending, e.g. _sort=-date,_id. "+
			"Ties are broken by id; resources without a value come last."),
		p("_total", "token", "none | estimate | accurate (the default)."),
		p("_summary", "token", "true (the isSummary, mandatory and modifier elements of the R4 StructureDefinition), "+
			"text (text, id, meta and mandatory elements), data (all but text), count (the total only), false. "+
			"Subsetted resources are tagged SUBSETTED."),
		p("_elements", "string", "Comma-separated top-level elements to return (id, meta and resourceType always); tagged SUBSETTED."),
		p("_include", "special", "SourceType:parameter[:TargetType]; _include:iterate also follows included resources (one more level). "+
			"The parameters are listed in each resource's searchInclude."),
		p("_revinclude", "special", "SourceType:parameter[:TargetType]; _revinclude:iterate as for _include. "+
			"The parameters are listed in each resource's searchRevInclude."),
		p("_has", "special", "Reverse chaining: _has:Type:reference:parameter=value, e.g. Patient?_has:Observation:patient:code=1234-5 (one level)."),
	}
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
