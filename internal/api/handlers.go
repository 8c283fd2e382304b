package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/store"
)

func (s *Server) read(k *call) response {
	res, err := s.eng.Read(k.ctx, k.typ, k.id, k.restrict(k.typ))
	if res != nil {
		k.entities = []string{versionedRef(res.Type, res.ID, res.VersionID)}
	}
	if err != nil {
		resp := errResponse(err)
		if fhirerr.KindOf(err) == fhirerr.Gone && res != nil {
			resp.header = http.Header{"ETag": {etag(res.VersionID)}}
		}
		return resp
	}
	k.patientsOf(res)
	if notModified(k.c.Request, res) {
		return response{status: http.StatusNotModified, header: resourceHeaders(res)}
	}
	return response{status: http.StatusOK, body: res.Body, header: resourceHeaders(res)}
}

func (s *Server) vread(k *call) response {
	vid, err := strconv.ParseInt(k.c.Param("vid"), 10, 64)
	if err != nil || vid < 1 {
		return errResponse(fhirerr.New(fhirerr.NotFound, "version %q not found", k.c.Param("vid")))
	}
	res, err := s.eng.VRead(k.ctx, k.typ, k.id, vid, k.restrict(k.typ))
	if res != nil {
		k.entities = []string{versionedRef(res.Type, res.ID, res.VersionID)}
	}
	if err != nil {
		return errResponse(err)
	}
	k.patientsOf(res)
	return response{status: http.StatusOK, body: res.Body, header: resourceHeaders(res)}
}

// notModified answers If-None-Match and If-Modified-Since.
func notModified(r *http.Request, res *store.Resource) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		for _, t := range strings.Split(inm, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || t == etag(res.VersionID) || t == `"`+strconv.FormatInt(res.VersionID, 10)+`"` {
				return true
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" {
		if t, err := http.ParseTime(ims); err == nil {
			return !res.LastUpdated.Truncate(time.Second).After(t)
		}
	}
	return false
}

func (s *Server) create(k *call) response {
	doc, err := k.readResource()
	if err != nil {
		return errResponse(err)
	}
	if criteria := k.c.GetHeader("If-None-Exist"); criteria != "" {
		return s.conditionalCreate(k, doc, criteria)
	}
	w, err := s.eng.Create(k.ctx, k.typ, doc)
	if err != nil {
		return errResponse(err)
	}
	if err := k.restrictWrite(w); err != nil {
		return errResponse(err)
	}
	if err := k.commit(w); err != nil {
		return errResponse(err)
	}
	return k.writeResult(w, http.StatusCreated)
}

func (s *Server) update(k *call) response {
	ifMatch, err := engine.ParseETag(k.c.GetHeader("If-Match"))
	if err != nil {
		return errResponse(err)
	}
	doc, err := k.readResource()
	if err != nil {
		return errResponse(err)
	}
	w, err := s.eng.Update(k.ctx, k.typ, k.id, doc, ifMatch)
	if err != nil {
		return errResponse(err)
	}
	if err := k.restrictWrite(w); err != nil {
		return errResponse(err)
	}
	if err := k.commit(w); err != nil {
		return errResponse(err)
	}
	status := http.StatusOK
	if w.Created {
		status = http.StatusCreated
	}
	return k.writeResult(w, status)
}

func (s *Server) delete(k *call) response {
	ifMatch, err := engine.ParseETag(k.c.GetHeader("If-Match"))
	if err != nil {
		return errResponse(err)
	}
	w, err := s.eng.Delete(k.ctx, k.typ, k.id, ifMatch)
	if err != nil {
		return errResponse(err)
	}
	if err := k.restrictDelete(w); err != nil {
		return errResponse(err)
	}
	if err := k.commit(w); err != nil {
		return errResponse(err)
	}
	resp := response{status: http.StatusNoContent}
	if w.Result != nil {
		resp.header = http.Header{"ETag": {etag(w.Result.VersionID)}}
	}
	return resp
}

// writeResult answers a create or update according to Prefer: return=.
func (k *call) writeResult(w *engine.Write, status int) response {
	res := w.Result
	h := resourceHeaders(res)
	base := k.s.baseURL(k.c.Request)
	h.Set("Location", base+"/"+versionedRef(res.Type, res.ID, res.VersionID))
	switch preferReturn(k.c.Request) {
	case "minimal":
		return response{status: status, header: h}
	case "OperationOutcome":
		return response{status: status, header: h, body: informational("stored "+res.Type+"/"+res.ID, w.Warnings)}
	}
	if len(w.Warnings) > 0 {
		// Warnings travel in a header-free way: FHIR has no slot in the
		// resource, so they are surfaced with Prefer: return=OperationOutcome
		// and summarised in a Warning header here.
		h.Set("Warning", `199 ehrd "`+strings.ReplaceAll(w.Warnings[0].Diagnostics, `"`, `'`)+`"`)
	}
	return response{status: status, header: h, body: res.Body}
}

func preferReturn(r *http.Request) string {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ";") {
			part = strings.TrimSpace(part)
			if rest, ok := strings.CutPrefix(part, "return="); ok {
				return strings.Trim(rest, `"`)
			}
		}
	}
	return ""
}

func preferStrict(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for _, part := range strings.Split(v, ";") {
			if strings.TrimSpace(part) == "handling=strict" {
				return true
			}
		}
	}
	return false
}

// readResource reads and checks a request body: media type, size limit,
// then the strict JSON reader before anything else looks at it.
func (k *call) readResource() (map[string]any, error) {
	body, err := k.readBody()
	if err != nil {
		return nil, err
	}
	doc, err := fhirjson.Decode(body, fhirjson.Options{})
	if err != nil {
		var je *fhirjson.Error
		if errors.As(err, &je) {
			return nil, fhirerr.At(fhirerr.Invalid, je.Path, "malformed JSON: %s", je.Msg)
		}
		return nil, fhirerr.New(fhirerr.Invalid, "malformed JSON")
	}
	return doc, nil
}

func (k *call) readBody() ([]byte, error) {
	r := k.c.Request
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/fhir+json" && mt != "application/json") {
			return nil, fhirerr.New(fhirerr.UnsupportedMedia, "send application/fhir+json")
		}
	}
	limited := http.MaxBytesReader(k.c.Writer, r.Body, k.s.cfg.MaxBodyBytes)
	body, err := io.ReadAll(limited)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fhirerr.New(fhirerr.TooLarge, "request body exceeds %d bytes", k.s.cfg.MaxBodyBytes)
		}
		return nil, fhirerr.Wrap(fhirerr.Invalid, err, "cannot read the request body")
	}
	if len(body) == 0 {
		return nil, fhirerr.New(fhirerr.Invalid, "the request body is empty")
	}
	return body, nil
}

// patientsOf notes the patients a returned resource concerns, for the audit.
func (k *call) patientsOf(res *store.Resource) {
	ids, err := k.s.eng.PatientsOf(res)
	if err != nil {
		k.s.log.Warn("cannot tell the patients of a resource", "request_id", requestIDOf(k.c), "type", res.Type, "err", err)
		return
	}
	k.patients = appendUnique(k.patients, ids...)
}

func appendUnique(dst []string, xs ...string) []string {
	for _, x := range xs {
		found := false
		for _, d := range dst {
			if d == x {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, x)
		}
	}
	return dst
}
