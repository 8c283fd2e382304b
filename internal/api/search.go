package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// search serves GET /fhir/{type} and POST /fhir/{type}/_search alike.
func (s *Server) search(k *call) response {
	r := k.c.Request
	params, err := k.searchParams()
	if err != nil {
		return errResponse(err)
	}
	cursor := params.Get("_cursor")
	params.Del("_cursor")
	req, err := s.eng.Search().Parse(k.typ, params, search.Options{Strict: preferStrict(r)})
	if err != nil {
		var pe *search.ParamError
		if errors.As(err, &pe) {
			return errResponse(fhirerr.At(fhirerr.Invalid, pe.Param, "%s", pe.Msg))
		}
		return errResponse(err)
	}
	page, err := s.eng.SearchType(k.ctx, req, k.access(), cursor)
	if err != nil {
		return errResponse(err)
	}
	for i := range page.Matches {
		k.patientsOf(&page.Matches[i])
	}
	for i := range page.Included {
		k.patientsOf(&page.Included[i])
	}
	return response{status: http.StatusOK, body: s.searchBundle(k, req, params, page)}
}

// searchParams merges the URL query with a POST form body, and keeps the
// raw query bytes for the audit trail (BALP: byte for byte).
func (k *call) searchParams() (url.Values, error) {
	r := k.c.Request
	raw := r.URL.RawQuery
	params, err := url.ParseQuery(raw)
	if err != nil {
		return nil, fhirerr.New(fhirerr.Invalid, "malformed query string")
	}
	if r.Method == http.MethodPost {
		body, err := k.readFormBody()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fhirerr.New(fhirerr.Invalid, "malformed form body")
		}
		for key, vs := range form {
			params[key] = append(params[key], vs...)
		}
		if len(body) > 0 {
			if raw != "" {
				raw += "&"
			}
			raw += string(body)
		}
	}
	k.query = []byte(r.Method + " " + r.URL.Path + "?" + raw)
	return params, nil
}

func (k *call) readFormBody() ([]byte, error) {
	r := k.c.Request
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/x-www-form-urlencoded" {
			return nil, fhirerr.New(fhirerr.UnsupportedMedia, "POST _search takes application/x-www-form-urlencoded")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(k.c.Writer, r.Body, k.s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fhirerr.New(fhirerr.TooLarge, "request body exceeds %d bytes", k.s.cfg.MaxBodyBytes)
		}
		return nil, fhirerr.Wrap(fhirerr.Invalid, err, "cannot read the request body")
	}
	return body, nil
}

func (s *Server) searchBundle(k *call, req *search.Request, params url.Values, page *engine.Page) []byte {
	return s.bundleFor(k, k.typ, req, params, page)
}

// bundleFor renders a searchset whose links point at base/path?params.
func (s *Server) bundleFor(k *call, path string, req *search.Request, params url.Values, page *engine.Page) []byte {
	base := s.baseURL(k.c.Request)
	b := &bundle{ResourceType: "Bundle", ID: engine.NewID(), Type: "searchset", Timestamp: engine.FormatInstant(time.Now())}
	if page.Total >= 0 {
		t := page.Total
		b.Total = &t
	}
	self := base + "/" + path
	if q := params.Encode(); q != "" {
		self += "?" + q
	}
	b.Link = append(b.Link, bundleLink{Relation: "self", URL: self})
	for rel, tok := range map[string]string{"next": page.Next, "previous": page.Prev} {
		if tok == "" {
			continue
		}
		p := cloneValues(params)
		p.Set("_cursor", tok)
		b.Link = append(b.Link, bundleLink{Relation: rel, URL: base + "/" + path + "?" + p.Encode()})
	}
	sortLinks(b.Link)
	if req.Summary != "count" {
		for _, r := range page.Matches {
			b.Entry = append(b.Entry, s.entry(base, r, req, "match"))
		}
		for _, r := range page.Included {
			b.Entry = append(b.Entry, s.entry(base, r, nil, "include"))
		}
	}
	if len(req.Warnings) > 0 {
		var issues []fhirerr.Issue
		for _, w := range req.Warnings {
			issues = append(issues, fhirerr.Issue{Severity: "warning", Code: "not-supported", Expression: w.Param, Diagnostics: w.Msg})
		}
		b.Entry = append(b.Entry, bundleEntry{Resource: informational("", issues), Search: &entrySearch{Mode: "outcome"}})
	}
	return encodeBundle(b)
}

func (s *Server) entry(base string, r store.Resource, req *search.Request, mode string) bundleEntry {
	body := summarize(r.Body, req) // _summary=true|text|data (summary.go)
	if req != nil && len(req.Elements) > 0 {
		body = elements(body, req.Elements)
	}
	return bundleEntry{FullURL: base + "/" + r.Type + "/" + r.ID, Resource: body, Search: &entrySearch{Mode: mode}}
}

// elements keeps only the listed top-level elements (plus the mandatory
// ones) and marks the copy SUBSETTED, as _elements asks.
func elements(body []byte, keep []string) []byte {
	doc, err := fhirjson.Decode(body, fhirjson.Options{})
	if err != nil {
		return body
	}
	out := map[string]any{"resourceType": doc["resourceType"], "id": doc["id"]}
	for _, k := range keep {
		if v, ok := doc[k]; ok {
			out[k] = v
		}
		if v, ok := doc["_"+k]; ok {
			out["_"+k] = v
		}
	}
	meta, _ := doc["meta"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
	}
	tags, _ := meta["tag"].([]any)
	meta["tag"] = append(tags, map[string]any{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", "code": "SUBSETTED"})
	out["meta"] = meta
	b, err := fhirjson.Marshal(out)
	if err != nil {
		return body
	}
	return b
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func sortLinks(ls []bundleLink) {
	order := map[string]int{"self": 0, "previous": 1, "next": 2}
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && order[ls[j].Relation] < order[ls[j-1].Relation]; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// history serves GET /fhir/{type}/{id}/_history.
func (s *Server) history(k *call) response {
	q := store.HistoryQuery{Type: k.typ, ID: k.id, Count: 100}
	params := k.c.Request.URL.Query()
	if c := params.Get("_count"); c != "" {
		n, err := strconv.Atoi(c)
		if err != nil || n < 0 {
			return errResponse(fhirerr.At(fhirerr.Invalid, "_count", "_count must be a non-negative integer"))
		}
		q.Count = min(n, 1000)
	}
	if since := params.Get("_since"); since != "" {
		t, err := time.Parse(time.RFC3339Nano, since)
		if err != nil {
			return errResponse(fhirerr.At(fhirerr.Invalid, "_since", "_since must be an instant such as 2024-01-01T00:00:00Z"))
		}
		q.Since = t
	}
	if before := params.Get("_before_version"); before != "" {
		n, err := strconv.ParseInt(before, 10, 64)
		if err != nil || n < 1 {
			return errResponse(fhirerr.At(fhirerr.Invalid, "_before_version", "must be a version number"))
		}
		q.BeforeVersion = n
	}
	versions, err := s.eng.History(k.ctx, q, k.restrict(k.typ))
	if err != nil {
		return errResponse(err)
	}
	base := s.baseURL(k.c.Request)
	b := &bundle{ResourceType: "Bundle", ID: engine.NewID(), Type: "history", Timestamp: engine.FormatInstant(time.Now())}
	b.Link = []bundleLink{{Relation: "self", URL: base + "/" + k.typ + "/" + k.id + "/_history"}}
	if q.Count > 0 && len(versions) == q.Count {
		last := versions[len(versions)-1].VersionID
		b.Link = append(b.Link, bundleLink{Relation: "next", URL: base + "/" + k.typ + "/" + k.id + "/_history?_count=" + strconv.Itoa(q.Count) + "&_before_version=" + strconv.FormatInt(last, 10)})
	}
	for _, v := range versions {
		k.entities = append(k.entities, versionedRef(v.Type, v.ID, v.VersionID))
		e := bundleEntry{FullURL: base + "/" + v.Type + "/" + v.ID,
			Response: &entryResponse{Etag: etag(v.VersionID), LastModified: engine.FormatInstant(v.LastUpdated)}}
		if v.Deleted {
			e.Request = &entryRequest{Method: "DELETE", URL: v.Type + "/" + v.ID}
			e.Response.Status = "204"
		} else {
			e.Resource = v.Body
			method, status := "PUT", "200"
			if v.VersionID == 1 {
				method, status = "POST", "201"
			}
			e.Request = &entryRequest{Method: method, URL: v.Type + "/" + v.ID}
			if method == "POST" {
				e.Request.URL = v.Type
			}
			e.Response.Status = status
		}
		b.Entry = append(b.Entry, e)
	}
	if len(versions) > 0 {
		k.patientsOf(&versions[0])
	}
	t := len(versions)
	b.Total = &t
	return response{status: http.StatusOK, body: encodeBundle(b)}
}
