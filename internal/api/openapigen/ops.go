package main

import (
	"fmt"
	"strings"
)

// operation is one annotated stub: one (type, interaction) route.
type operation struct {
	ID          string
	Summary     string
	Description []string
	Tag         string
	Accept      string // request media types, swag's comma-separated form
	Produce     string
	Params      []param
	Responses   []response
	Scopes      [][]string // alternatives; one alternative needs all its scopes
	Method      string     // lower case, as swag's @Router takes it
	Path        string
}

type param struct {
	Name, In, Type string
	Required       bool
	Description    string
	Attrs          string // swag attributes such as Enums(…) or minimum(0)
}

type response struct {
	Status      int
	Model       string // Go type of the body, "" for none
	Description string
	Headers     []header
}

type header struct{ Name, Description string }

const (
	outcome  = "openAPIOperationOutcome"
	fhirJSON = "application/fhir+json"
	// accepted request bodies: FHIR JSON, or plain JSON
	fhirAccept = "application/fhir+json,json"
)

// issueCodes is the OperationOutcome issue.code each error status carries.
// It mirrors kindTable in internal/api/outcome.go; a test there checks that
// the two agree.
var issueCodes = map[int]string{
	400: "invalid",
	401: "login",
	403: "forbidden",
	404: "not-found",
	405: "not-supported",
	409: "conflict",
	410: "deleted",
	412: "conflict",
	413: "too-costly",
	415: "not-supported",
	422: "business-rule",
	429: "throttled",
	500: "exception",
	503: "transient",
}

// failure is an error response: an OperationOutcome whose description says
// when it happens and which issue.code it carries.
func failure(status int, when string, headers ...header) response {
	return response{Status: status, Model: outcome, Headers: headers,
		Description: fmt.Sprintf("%s (issue.code %s)", when, issueCodes[status])}
}

var (
	hdrETag         = header{"ETag", `Version of the resource as a weak ETag, e.g. W/"3": send it back in If-Match`}
	hdrLastModified = header{"Last-Modified", "When the version was stored (HTTP date)"}
	hdrLocation     = header{"Location", "URL of the version written: [base]/Type/id/_history/vid"}
	hdrWarning      = header{"Warning", `199 ehrd "…": the first warning of the write, when the server had any (all of them come with Prefer: return=OperationOutcome)`}
	hdrRetryAfter   = header{"Retry-After", "Seconds to wait before retrying"}
	hdrAuth         = header{"WWW-Authenticate", `Bearer realm="ehr", with error= invalid_token, invalid_request (401) or insufficient_scope (403)`}
)

// The failures every authenticated FHIR interaction can answer.
func commonFailures() []response {
	return []response{
		failure(401, "Unauthorized: no bearer token, or an invalid or expired one", hdrAuth),
		failure(403, "Forbidden: the token's scopes do not allow this interaction on this type", hdrAuth),
		failure(429, "Too many requests from this client (when rate limiting is configured)", hdrRetryAfter),
		failure(500, "Internal error: nothing about it is disclosed; the request id (X-Request-Id) finds it in the log"),
		failure(503, "Unavailable: storage, or the audit record of the request, could not be written; nothing was changed"),
	}
}

// smart lists the alternatives of SMART scopes for the permissions: each
// context (patient, user, system) with every permission letter given.
func smart(typ string, perms ...string) [][]string {
	var alts [][]string
	for _, ctx := range []string{"patient", "user", "system"} {
		var alt []string
		for _, p := range perms {
			alt = append(alt, ctx+"/"+typ+"."+p)
		}
		alts = append(alts, alt)
	}
	return alts
}

// Header parameters.
func hdrParam(name, desc string) param {
	return param{Name: name, In: "header", Type: "string", Description: desc}
}

var (
	pIfMatch         = hdrParam("If-Match", "Only if the current version is this one (412 otherwise): its ETag as the ETag header gave it, W/ and the quoted version number")
	pIfNoneMatch     = hdrParam("If-None-Match", "304 Not Modified when the current version has this ETag (W/ and the quoted version number), or for *")
	pIfModifiedSince = hdrParam("If-Modified-Since", "304 Not Modified when the resource has not changed since this HTTP date")
	pIfNoneExist     = hdrParam("If-None-Exist", "Conditional create: search criteria such as identifier=http://hospital.example.org/mrn|MRN-000123. One match: nothing is created and the match is returned (200); several: 412")
	pPreferReturn    = param{Name: "Prefer", In: "header", Type: "string", Description: "What a successful write returns: return=representation (the resource, the default), return=minimal (no body) or return=OperationOutcome (an informational OperationOutcome with any warnings)",
		Attrs: "Enums(return=representation, return=minimal, return=OperationOutcome)"}
	pPreferHandling = param{Name: "Prefer", In: "header", Type: "string", Description: "handling=strict refuses unknown parameters and unsupported modifiers (400); handling=lenient, the default, ignores them and reports them in an outcome entry of the Bundle",
		Attrs: "Enums(handling=strict, handling=lenient)"}
)

func idParam(typ string) param {
	return param{Name: "id", In: "path", Type: "string", Required: true,
		Description: "Logical id of the " + typ + " (server-assigned: letters, digits, - and ., at most 64)"}
}

func bodyParam(typ, desc string) param {
	return param{Name: "resource", In: "body", Type: modelName(typ), Required: true, Description: desc}
}

func modelName(typ string) string  { return "openAPI" + typ }
func bundleName(typ string) string { return "openAPI" + typ + "Bundle" }

// searchParams are the type's search parameters as query (or form) parameters.
func searchParams(t resourceType, in string) []param {
	var ps []param
	for _, p := range t.Params {
		ps = append(ps, param{Name: p.Code, In: in, Type: "string", Description: paramDescription(p)})
	}
	return ps
}

// resultParams are the parameters that shape a search's result.
func resultParams(t resourceType, in string) []param {
	ps := []param{
		{Name: "_count", In: in, Type: "integer", Description: "Page size: 20 by default, at most 1000 (larger values are lowered). 0 returns the total only", Attrs: "minimum(0)"},
		{Name: "_sort", In: in, Type: "string", Description: "Comma-separated search parameter codes to sort by; - before a code sorts descending (e.g. -_lastUpdated). Composite parameters cannot sort"},
		{Name: "_total", In: in, Type: "string", Description: "Whether Bundle.total is computed", Attrs: "Enums(none, estimate, accurate) default(accurate)"},
		{Name: "_summary", In: in, Type: "string", Description: "count returns the total and no entries", Attrs: "Enums(true, false, text, data, count)"},
		{Name: "_elements", In: in, Type: "string", Description: "Comma-separated top-level elements to return (e.g. identifier,name); entries are then marked SUBSETTED"},
	}
	if len(t.Includes) > 0 {
		ps = append(ps, param{Name: "_include", In: in, Type: "string",
			Description: "Adds the resources these references point to, as include entries: " + strings.Join(t.Includes, ", ") + " (optionally :TargetType; _include:iterate follows included resources too). Repeat for several"})
	}
	if len(t.RevIncludes) > 0 {
		ps = append(ps, param{Name: "_revinclude", In: in, Type: "string",
			Description: "Adds the resources that point to the matches, as include entries: " + strings.Join(t.RevIncludes, ", ") + ". Repeat for several"})
	}
	ps = append(ps,
		param{Name: "_format", In: in, Type: "string", Description: "Only JSON is served: json or application/fhir+json"},
		param{Name: "_cursor", In: in, Type: "string", Description: "Opaque position of a page, set by the next and previous links: follow those links rather than building it"},
	)
	return ps
}

// searchDescription is what a search operation says beyond its parameters.
func searchDescription(t resourceType) []string {
	d := []string{
		"Searches " + t.Name + " resources and returns a page of matches as a searchset Bundle with self and next links (keyset paging: pages do not drift while data is written).",
		"Chained parameters (reference.parameter=…, through a reference to a served type) and reverse chains (_has:Type:reference:parameter=…) are accepted.",
		"A patient/ scope narrows the search to the compartment of the token's patient silently.",
	}
	if len(t.Unsupported) > 0 {
		d = append(d, "Not supported, as the specification gives them no FHIRPath expression: "+strings.Join(t.Unsupported, ", ")+" (ignored with a warning, or refused under Prefer: handling=strict).")
	}
	if len(t.NotIndexed) > 0 {
		d = append(d, "Not indexed for this type, so refused like those: "+strings.Join(t.NotIndexed, ", ")+".")
	}
	return d
}

// typeOperations are the routes of one type, in a fixed order.
func typeOperations(t resourceType) []operation {
	T := t.Name
	base := "/fhir/" + T
	inst := base + "/{id}"
	var ops []operation

	searchFailures := append([]response{
		failure(400, "Bad request: a malformed parameter value, or an unknown parameter or modifier under Prefer: handling=strict"),
	}, commonFailures()...)
	ops = append(ops, operation{
		ID: "search" + T, Summary: "Search " + T, Tag: T,
		Description: searchDescription(t),
		Produce:     fhirJSON,
		Params:      append(append(searchParams(t, "query"), resultParams(t, "query")...), pPreferHandling),
		Responses:   append([]response{{Status: 200, Model: bundleName(T), Description: "A searchset Bundle of matches (and included resources)"}}, searchFailures...),
		Scopes:      smart(T, "s"),
		Method:      "get", Path: base,
	})
	ops = append(ops, operation{
		ID: "search" + T + "Post", Summary: "Search " + T + " with the parameters in a form body", Tag: T,
		Description: append([]string{"The same search as GET, with the parameters sent as application/x-www-form-urlencoded, so that they stay out of URLs and logs. Parameters in the URL are added to the body's."}, searchDescription(t)[1:]...),
		Accept:      "x-www-form-urlencoded",
		Produce:     fhirJSON,
		Params:      append(append(searchParams(t, "formData"), resultParams(t, "formData")...), pPreferHandling),
		Responses: append([]response{{Status: 200, Model: bundleName(T), Description: "A searchset Bundle of matches (and included resources)"}}, append(searchFailures,
			failure(413, "The form body is too large"),
			failure(415, "The body is not application/x-www-form-urlencoded"))...),
		Scopes: smart(T, "s"),
		Method: "post", Path: base + "/_search",
	})
	ops = append(ops, operation{
		ID: "read" + T, Summary: "Read a " + T, Tag: T,
		Description: []string{"The current version of the " + T + ". A resource outside the compartment of a patient/ token's patient is answered 404, so that its existence does not leak."},
		Produce:     fhirJSON,
		Params:      []param{idParam(T), pIfNoneMatch, pIfModifiedSince},
		Responses: append([]response{
			{Status: 200, Model: modelName(T), Description: "The current version", Headers: []header{hdrETag, hdrLastModified}},
			{Status: 304, Description: "Not modified (If-None-Match or If-Modified-Since)", Headers: []header{hdrETag, hdrLastModified}},
			failure(404, "Not found: no "+T+" with this id, or one outside the token's patient compartment"),
			failure(410, "Gone: the "+T+" was deleted; ETag names the deletion's version", hdrETag),
		}, commonFailures()...),
		Scopes: smart(T, "r"),
		Method: "get", Path: inst,
	})
	ops = append(ops, operation{
		ID: "vread" + T, Summary: "Read one version of a " + T, Tag: T,
		Description: []string{"The version vid of the " + T + ", as it was written (vread)."},
		Produce:     fhirJSON,
		Params: []param{idParam(T), {Name: "vid", In: "path", Type: "integer", Required: true,
			Description: "Version number (meta.versionId), from 1"}},
		Responses: append([]response{
			{Status: 200, Model: modelName(T), Description: "That version", Headers: []header{hdrETag, hdrLastModified}},
			failure(404, "Not found: no such "+T+" or version, or one outside the token's patient compartment"),
			failure(410, "Gone: this version records the deletion"),
		}, commonFailures()...),
		Scopes: smart(T, "r"),
		Method: "get", Path: inst + "/_history/{vid}",
	})
	ops = append(ops, operation{
		ID: "history" + T, Summary: "History of a " + T, Tag: T,
		Description: []string{"Every version of the " + T + ", newest first, as a history Bundle: each entry's request says what made the version (POST, PUT or DELETE) and its response the status, ETag and time."},
		Produce:     fhirJSON,
		Params: []param{idParam(T),
			{Name: "_count", In: "query", Type: "integer", Description: "Versions per page: 100 by default, at most 1000", Attrs: "minimum(0)"},
			{Name: "_since", In: "query", Type: "string", Description: "Only versions stored at or after this instant, e.g. 2024-01-01T00:00:00Z", Attrs: "format(date-time)"},
			{Name: "_before_version", In: "query", Type: "integer", Description: "Only versions older than this one: set by the next link", Attrs: "minimum(1)"},
		},
		Responses: append([]response{
			{Status: 200, Model: bundleName(T), Description: "A history Bundle"},
			failure(400, "Bad request: a malformed _count, _since or _before_version"),
			failure(404, "Not found: no "+T+" with this id, or one outside the token's patient compartment"),
		}, commonFailures()...),
		Scopes: smart(T, "r"),
		Method: "get", Path: inst + "/_history",
	})
	if T == "Patient" {
		ops = append(ops, operation{
			ID: "everythingPatient", Summary: "Everything about a Patient ($everything)", Tag: T,
			Description: []string{
				"The Patient and the resources of its compartment, type by type (the Patient first), as a searchset Bundle paged with next links.",
				"It needs the read scope on Patient; every other type is confined as the token's own scopes confine a search of it, and types it cannot search are left out, so the record never holds what a direct read would refuse.",
				"Parameters other than these (start, end) are refused rather than ignored.",
			},
			Produce: fhirJSON,
			Params: []param{idParam(T),
				{Name: "_type", In: "query", Type: "string", Description: "Comma-separated resource types to include (e.g. Observation,MedicationAdministration); all by default"},
				{Name: "_since", In: "query", Type: "string", Description: "Only resources updated at or after this instant, e.g. 2024-01-01T00:00:00Z", Attrs: "format(date-time)"},
				{Name: "_count", In: "query", Type: "integer", Description: "Page size: 50 by default, at most 1000", Attrs: "minimum(1)"},
				{Name: "_cursor", In: "query", Type: "string", Description: "Opaque position of a page, set by the next link"},
			},
			Responses: append([]response{
				{Status: 200, Model: "openAPIBundle", Description: "A searchset Bundle of the patient's record"},
				failure(400, "Bad request: an unknown parameter or type in _type, or a malformed _since, _count or _cursor"),
				failure(404, "Not found: no Patient with this id, or one outside the token's patient compartment"),
				failure(410, "Gone: the Patient was deleted"),
			}, commonFailures()...),
			Scopes: smart(T, "r"),
			Method: "get", Path: inst + "/$everything",
		})
		ops = append(ops, operation{
			ID: "accountingPatient", Summary: "Accounting of disclosures of a Patient ($accounting)", Tag: T + ",Audit log",
			Description: []string{
				"The HIPAA accounting of disclosures for one patient: every recorded access to the patient's records in the period, oldest first, as a searchset Bundle of AuditEvents.",
				"It reads the audit trail, so it needs an AuditEvent search scope (not a Patient one), and it is audited itself.",
			},
			Produce: fhirJSON,
			Params: []param{idParam(T),
				{Name: "start", In: "query", Type: "string", Description: "First day of the period, e.g. 2026-01-01 (inclusive); none: from the start of the log", Attrs: "format(date)"},
				{Name: "end", In: "query", Type: "string", Description: "Last day of the period, e.g. 2026-06-30 (inclusive); none: up to now", Attrs: "format(date)"},
				{Name: "_count", In: "query", Type: "integer", Description: "Page size: 20 by default, at most 1000", Attrs: "minimum(0)"},
				{Name: "_cursor", In: "query", Type: "string", Description: "Opaque position of a page, set by the next link"},
			},
			Responses: append([]response{
				{Status: 200, Model: bundleName("AuditEvent"), Description: "A searchset Bundle of the AuditEvents that concern the patient"},
				failure(400, "Bad request: start or end is not a date"),
			}, commonFailures()...),
			Scopes: smart("AuditEvent", "s"),
			Method: "get", Path: inst + "/$accounting",
		})
	}
	if t.ReadOnly {
		return ops
	}

	writeFailures := func(extra ...response) []response {
		rs := []response{
			failure(400, "Bad request: malformed JSON, a body that fails the R4 JSON schema, a wrong resourceType, or a reference to a record that does not exist"),
		}
		rs = append(rs, extra...)
		rs = append(rs,
			failure(413, "The body exceeds the size limit (EHR_MAX_BODY_BYTES, 8 MiB by default)"),
			failure(415, "The body is not application/fhir+json or application/json"),
			failure(422, "Unprocessable: a business rule refuses the content (vital-signs profile, required elements, UCUM units, code systems, status transitions); each issue names the element"),
		)
		return append(rs, commonFailures()...)
	}
	written := []header{hdrLocation, hdrETag, hdrLastModified, hdrWarning}
	ops = append(ops, operation{
		ID: "create" + T, Summary: "Create a " + T, Tag: T,
		Description: []string{
			"Stores a new " + T + " with a server-assigned id (an id in the body is ignored) as version 1.",
			"With If-None-Exist the create is conditional: the criteria are searched in the same storage transaction, so identical concurrent requests create one resource.",
		},
		Accept:  fhirAccept,
		Produce: fhirJSON,
		Params:  []param{bodyParam(T, "The "+T+" to create"), pIfNoneExist, pPreferReturn},
		Responses: append([]response{
			{Status: 201, Model: modelName(T), Description: "Created: the stored resource (see Prefer)", Headers: written},
			{Status: 200, Model: modelName(T), Description: "If-None-Exist matched one resource: nothing was created, the match is returned", Headers: []header{hdrLocation, hdrETag, hdrLastModified}},
		}, writeFailures(
			failure(403, "Forbidden: the token's scopes do not allow creating this type, or the resource would be outside the token's patient compartment", hdrAuth),
			failure(412, "Precondition failed: If-None-Exist matched more than one resource"),
		)...),
		Scopes: smart(T, "c"),
		Method: "post", Path: base,
	})
	ops = append(ops, operation{
		ID: "update" + T, Summary: "Update (or create) a " + T, Tag: T,
		Description: []string{
			"Stores a new version of the " + T + ", or creates it with this id when there is none (update as create). The body's id must equal the id in the URL.",
			"Send If-Match with the ETag you read to avoid overwriting someone else's change (optimistic locking).",
		},
		Accept:  fhirAccept,
		Produce: fhirJSON,
		Params:  []param{idParam(T), bodyParam(T, "The new content of the "+T+", with its id"), pIfMatch, pPreferReturn},
		Responses: append([]response{
			{Status: 200, Model: modelName(T), Description: "Updated: the stored version (see Prefer)", Headers: written},
			{Status: 201, Model: modelName(T), Description: "Created with the given id (see Prefer)", Headers: written},
		}, writeFailures(
			failure(404, "Not found: the "+T+" is outside the token's patient compartment"),
			failure(409, "Conflict: the resource was changed concurrently, or the change conflicts with stored records (e.g. a double booking); retry after reading"),
			failure(412, "Precondition failed: If-Match does not name the current version"),
		)...),
		Scopes: smart(T, "u"),
		Method: "put", Path: inst,
	})
	ops = append(ops, operation{
		ID: "conditionalUpdate" + T, Summary: "Update the " + T + " that matches search criteria", Tag: T,
		Description: []string{
			"Conditional update: the query parameters are search criteria of " + T + " (unknown parameters are refused). No match: the " + T + " is created (201). One match: it gets a new version (200); an id in the body must then be the match's. Several matches: 412.",
			"The criteria are searched in the same storage transaction as the write.",
		},
		Accept:  fhirAccept,
		Produce: fhirJSON,
		Params:  append(append([]param{bodyParam(T, "The new content of the "+T)}, searchParams(t, "query")...), pIfMatch, pPreferReturn),
		Responses: append([]response{
			{Status: 200, Model: modelName(T), Description: "One match: updated (see Prefer)", Headers: written},
			{Status: 201, Model: modelName(T), Description: "No match: created (see Prefer)", Headers: written},
		}, writeFailures(
			failure(409, "Conflict: the resource was changed concurrently, or the change conflicts with stored records; retry"),
			failure(412, "Precondition failed: the criteria match more than one resource, or If-Match does not name the match's current version"),
		)...),
		Scopes: smart(T, "u", "s"),
		Method: "put", Path: base,
	})
	ops = append(ops, operation{
		ID: "delete" + T, Summary: "Delete a " + T, Tag: T,
		Description: []string{
			"Deletes the " + T + ": a read then answers 410 Gone, and the history keeps every version. Deleting what is already deleted succeeds and changes nothing.",
			"A " + T + " that other current records still refer to is not deleted (409, naming the first referrers).",
		},
		Produce: fhirJSON,
		Params:  []param{idParam(T), pIfMatch},
		Responses: append([]response{
			{Status: 204, Description: "Deleted (or nothing to delete)", Headers: []header{hdrETag}},
			failure(400, `Bad request: a malformed If-Match`),
			failure(404, "Not found: no "+T+" with this id ever existed, or it is outside the token's patient compartment"),
			failure(409, "Conflict: other records still refer to the "+T),
			failure(412, "Precondition failed: If-Match does not name the current version"),
		}, commonFailures()...),
		Scopes: smart(T, "d"),
		Method: "delete", Path: inst,
	})
	ops = append(ops, operation{
		ID: "conditionalDelete" + T, Summary: "Delete the " + T + " that matches search criteria", Tag: T,
		Description: []string{
			"Conditional delete: the query parameters are search criteria of " + T + " (unknown parameters are refused). No match: nothing happens (204). One match: it is deleted. Several matches: 412.",
		},
		Produce: fhirJSON,
		Params:  searchParams(t, "query"),
		Responses: append([]response{
			{Status: 204, Description: "Deleted, or nothing matched", Headers: []header{hdrETag}},
			failure(400, "Bad request: no criteria, or an unknown or malformed parameter"),
			failure(409, "Conflict: other records still refer to the match"),
			failure(412, "Precondition failed: the criteria match more than one resource"),
		}, commonFailures()...),
		Scopes: smart(T, "d", "s"),
		Method: "delete", Path: base,
	})
	return ops
}
