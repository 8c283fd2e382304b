package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// item is one Bundle entry to send, and where it came from.
type item struct {
	n       int    // line (NDJSON) or entry (Bundle) number in its file, from 0
	typ, id string // what it writes; id is empty for a create
	req     request
	fullURL string
	body    json.RawMessage // the resource, byte for byte as read; nil for DELETE and GET

	uncertain bool  // an earlier run may have sent it: compare before writing
	bad       error // unusable input: reported, never sent
}

// request is Bundle.entry.request.
type request struct {
	Method          string `json:"method"`
	URL             string `json:"url"`
	IfNoneMatch     string `json:"ifNoneMatch,omitempty"`
	IfModifiedSince string `json:"ifModifiedSince,omitempty"`
	IfMatch         string `json:"ifMatch,omitempty"`
	IfNoneExist     string `json:"ifNoneExist,omitempty"`
}

// ref names the item in reports: Type/id, or the request.
func (it *item) ref() string {
	switch {
	case it.id != "":
		return it.typ + "/" + it.id
	case it.req.Method != "":
		return it.req.Method + " " + it.req.URL
	}
	return it.typ
}

// head is what the importer reads of a resource; the rest is passed on
// untouched, so decimals and extensions reach the server as written.
type head struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Identifier   []struct {
		System string `json:"system"`
		Value  string `json:"value"`
	} `json:"identifier"`
}

// resourceItem makes a resource without a request (an NDJSON line, an
// entry of a collection) into an idempotent write:
//   - with an id: PUT Type/id, which creates it with that id or updates it;
//   - without an id but with an identifier: a conditional create,
//     POST Type with ifNoneExist identifier=system|value;
//   - with neither: a plain create, which a retry may duplicate.
func resourceItem(n int, raw []byte) item {
	it := item{n: n}
	var h head
	if err := json.Unmarshal(raw, &h); err != nil {
		it.bad = fmt.Errorf("not a JSON resource: %w", err)
		return it
	}
	it.typ, it.id = h.ResourceType, h.ID
	switch {
	case h.ResourceType == "":
		it.bad = errors.New("no resourceType")
		return it
	case h.ID != "":
		it.req = request{Method: "PUT", URL: h.ResourceType + "/" + h.ID}
	default:
		it.req = request{Method: "POST", URL: h.ResourceType}
		it.req.IfNoneExist = identifierCriteria(h)
	}
	it.body = json.RawMessage(raw)
	return it
}

// identifierCriteria is the search for the resource's first identifier
// with a system and a value, or "" when it has none.
func identifierCriteria(h head) string {
	for _, id := range h.Identifier {
		if id.System != "" && id.Value != "" {
			return "identifier=" + url.QueryEscape(escapeSearch(id.System)+"|"+escapeSearch(id.Value))
		}
	}
	return ""
}

// escapeSearch escapes the characters FHIR search gives a meaning to.
func escapeSearch(s string) string {
	return strings.NewReplacer(`\`, `\\`, `|`, `\|`, `,`, `\,`, `$`, `\$`).Replace(s)
}

// idempotent reports whether sending the item twice stores it once.
func (it *item) idempotent() bool {
	return it.req.Method != "POST" || it.req.IfNoneExist != ""
}

// bundleEntry reads one entry of a batch or transaction Bundle. Its
// request is kept, but a create that could duplicate on retry becomes a
// conditional create when the resource has an identifier.
func bundleEntry(n int, e *rawEntry) item {
	it := item{n: n, fullURL: e.FullURL, body: e.Resource, req: e.Request}
	if e.Request.Method == "" || e.Request.URL == "" {
		it.bad = errors.New("entry without request.method and request.url")
		return it
	}
	it.req.Method = strings.ToUpper(it.req.Method)
	path, _, _ := strings.Cut(strings.TrimPrefix(e.Request.URL, "/"), "?")
	it.typ, it.id, _ = strings.Cut(path, "/")
	if i := strings.IndexByte(it.id, '/'); i >= 0 {
		it.id = it.id[:i] // Type/id/_history/n
	}
	if len(e.Resource) > 0 {
		var h head
		if err := json.Unmarshal(e.Resource, &h); err != nil {
			it.bad = fmt.Errorf("entry resource is not JSON: %w", err)
			return it
		}
		if it.req.Method == "POST" && it.req.IfNoneExist == "" {
			it.req.IfNoneExist = identifierCriteria(h)
		}
	}
	return it
}

// rawEntry is Bundle.entry as read from a file.
type rawEntry struct {
	FullURL  string          `json:"fullUrl,omitempty"`
	Resource json.RawMessage `json:"resource,omitempty"`
	Request  request         `json:"request"`
}
