package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
)

// maxEverythingCount caps _count of $everything, as search caps its own.
const maxEverythingCount = 1000

// everything serves GET /fhir/Patient/{id}/$everything. The route needs the
// read scope on Patient; every other type is narrowed by the caller's own
// grants (k.access), so the record never holds what a direct read refuses.
func (s *Server) everything(k *call) response {
	if k.typ != "Patient" {
		return errResponse(fhirerr.New(fhirerr.NotFound, "$everything is defined on Patient only"))
	}
	r := k.c.Request
	raw := dropAccessToken(r.URL.RawQuery)
	k.query = []byte(r.Method + " " + r.URL.Path + "?" + raw)
	params, err := url.ParseQuery(raw)
	if err != nil {
		return errResponse(fhirerr.New(fhirerr.Invalid, "malformed query string"))
	}
	q, err := everythingQuery(k.id, params)
	if err != nil {
		return errResponse(err)
	}
	page, err := s.eng.Everything(k.ctx, q, k.access())
	if err != nil {
		return errResponse(err)
	}
	k.patients = appendUnique(k.patients, k.id)
	for i := range page.Resources {
		k.patientsOf(&page.Resources[i])
	}
	return response{status: http.StatusOK, body: s.everythingBundle(k, params, page)}
}

// everythingQuery reads the parameters. Those we do not honour (start, end)
// are refused rather than ignored: ignoring them would return more than asked.
func everythingQuery(pid string, params url.Values) (engine.EverythingQuery, error) {
	q := engine.EverythingQuery{Patient: pid, Count: 50}
	for name, vs := range params {
		v := vs[len(vs)-1]
		switch name {
		case "_count":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return q, fhirerr.At(fhirerr.Invalid, "_count", "_count must be a positive integer")
			}
			q.Count = min(n, maxEverythingCount)
		case "_since":
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return q, fhirerr.At(fhirerr.Invalid, "_since", "_since must be an instant such as 2024-01-01T00:00:00Z")
			}
			q.Since = t
		case "_type":
			for _, v := range vs {
				for _, t := range strings.Split(v, ",") {
					if t = strings.TrimSpace(t); t != "" {
						q.Types = append(q.Types, t)
					}
				}
			}
		case "_cursor":
			q.Cursor = v
		default:
			return q, fhirerr.At(fhirerr.Invalid, name, "$everything does not support the parameter %s", name)
		}
	}
	return q, nil
}

func (s *Server) everythingBundle(k *call, params url.Values, page *engine.EverythingPage) []byte {
	base := s.baseURL(k.c.Request)
	self := base + "/Patient/" + k.id + "/$everything"
	b := &bundle{ResourceType: "Bundle", ID: engine.NewID(), Type: "searchset", Timestamp: engine.FormatInstant(time.Now())}
	b.Link = []bundleLink{{Relation: "self", URL: withQuery(self, params)}}
	if page.Next != "" {
		next := cloneValues(params)
		next.Set("_cursor", page.Next)
		b.Link = append(b.Link, bundleLink{Relation: "next", URL: withQuery(self, next)})
	}
	for _, r := range page.Resources {
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + r.Type + "/" + r.ID, Resource: r.Body, Search: &entrySearch{Mode: "match"}})
	}
	return encodeBundle(b)
}

func withQuery(u string, params url.Values) string {
	if q := params.Encode(); q != "" {
		return u + "?" + q
	}
	return u
}
