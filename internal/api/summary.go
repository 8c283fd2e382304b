package api

import (
	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/search"
)

// subsetted is the tag of a resource returned with elements left out
// (R4 search.html#summary: servers SHALL mark them SUBSETTED).
var subsetted = map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"}

// summarize reduces a search match as _summary=true, text or data asks
// (fhir.Summarize: the isSummary, mandatory and modifier elements of the R4
// StructureDefinitions) and tags it SUBSETTED. Any other _summary, a nil
// request, or _elements (which takes precedence: the two are not meant to
// be combined) leave the body as stored.
func summarize(body []byte, req *search.Request) []byte {
	if req == nil || len(req.Elements) > 0 {
		return body
	}
	switch req.Summary {
	case fhir.SummaryTrue, fhir.SummaryText, fhir.SummaryData:
	default:
		return body
	}
	doc, err := fhirjson.Decode(body, fhirjson.Options{})
	if err != nil {
		return body // stored bodies were checked on write; never reached
	}
	out, err := fhir.Summarize(doc, req.Summary)
	if err != nil {
		return body
	}
	markSubsetted(out)
	b, err := fhirjson.Marshal(out)
	if err != nil {
		return body
	}
	return b
}

// markSubsetted adds the SUBSETTED tag to doc's meta, once, without
// changing a meta map that doc may share with another document.
func markSubsetted(doc map[string]any) {
	old, _ := doc["meta"].(map[string]any)
	meta := make(map[string]any, len(old)+1)
	for k, v := range old {
		meta[k] = v
	}
	tags, _ := meta["tag"].([]any)
	for _, t := range tags {
		if m, ok := t.(map[string]any); ok && m["system"] == subsetted["system"] && m["code"] == subsetted["code"] {
			doc["meta"] = meta
			return
		}
	}
	meta["tag"] = append(append([]any(nil), tags...), subsetted)
	doc["meta"] = meta
}
