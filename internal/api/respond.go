package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/internal/store"
)

const fhirJSON = "application/fhir+json; charset=utf-8"

// writeResponse writes a response that the audit trail has already covered.
func writeResponse(c *gin.Context, resp response) {
	h := c.Writer.Header()
	for k, vs := range resp.header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	body := resp.body
	if resp.err != nil {
		body = operationOutcome(resp.err)
	}
	if body == nil {
		c.Status(resp.status)
		c.Writer.WriteHeaderNow()
		return
	}
	c.Data(resp.status, fhirJSON, body)
}

// resourceHeaders are the version headers of a stored resource.
func resourceHeaders(r *store.Resource) http.Header {
	return http.Header{
		"ETag":          {etag(r.VersionID)},
		"Last-Modified": {r.LastUpdated.UTC().Format(http.TimeFormat)},
	}
}

func etag(vid int64) string { return `W/"` + strconv.FormatInt(vid, 10) + `"` }

func versionedRef(typ, id string, vid int64) string {
	return typ + "/" + id + "/_history/" + strconv.FormatInt(vid, 10)
}

// baseURL is the FHIR base for fullUrl, Location and paging links.
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimRight(s.cfg.BaseURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/fhir"
}

// bundle is assembled around raw resource bytes, so stored JSON is served
// without re-encoding.
type bundle struct {
	ResourceType string          `json:"resourceType"`
	ID           string          `json:"id,omitempty"`
	Type         string          `json:"type"`
	Timestamp    string          `json:"timestamp,omitempty"`
	Total        *int            `json:"total,omitempty"`
	Link         []bundleLink    `json:"link,omitempty"`
	Entry        []bundleEntry   `json:"entry,omitempty"`
	Meta         json.RawMessage `json:"meta,omitempty"`
}

type bundleLink struct {
	Relation string `json:"relation"`
	URL      string `json:"url"`
}

type bundleEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Search   *entrySearch    `json:"search,omitempty"`
	Request  *entryRequest   `json:"request,omitempty"`
	Response *entryResponse  `json:"response,omitempty"`
}

type entrySearch struct {
	Mode string `json:"mode"`
}

type entryRequest struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

type entryResponse struct {
	Status       string          `json:"status"`
	Location     string          `json:"location,omitempty"`
	Etag         string          `json:"etag,omitempty"`
	LastModified string          `json:"lastModified,omitempty"`
	Outcome      json.RawMessage `json:"outcome,omitempty"`
}

func encodeBundle(b *bundle) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(b) // only raw, already-validated JSON and plain fields: cannot fail
	return bytes.TrimRight(buf.Bytes(), "\n")
}
