// Package fhirjson is the strict JSON reader every FHIR request body goes
// through before anything else looks at it.
//
// encoding/json is lenient in ways that matter for a clinical record: it keeps
// the last of two duplicate keys, silently replaces invalid UTF-8 and lone
// surrogates with U+FFFD, and turns decimals into float64. Check refuses the
// first two up front, and Decode keeps numbers as their exact text.
package fhirjson

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// DefaultMaxDepth is the nesting limit used when Options.MaxDepth is 0.
const DefaultMaxDepth = 100

// maxDepthLimit is encoding/json's own nesting limit. Capping MaxDepth here
// keeps the promise that whatever Check accepts, Decode can decode.
const maxDepthLimit = 10000

// Options bounds what the reader accepts.
type Options struct {
	MaxDepth int // maximum nesting of objects/arrays; 0 means the default 100
}

// maxDepth resolves the effective limit: 0 (or negative) means the default,
// and values above encoding/json's limit are capped to it.
func (o Options) maxDepth() int {
	switch {
	case o.MaxDepth <= 0:
		return DefaultMaxDepth
	case o.MaxDepth > maxDepthLimit:
		return maxDepthLimit
	}
	return o.MaxDepth
}

// Error says what is wrong and where. Path is a FHIRPath-like location such as
// "Patient.name[0].given[1]" when it can be known (the resourceType value if it
// was already seen at the root, else "$"), Offset is the byte offset in the input.
type Error struct {
	Offset int64
	Path   string
	Msg    string
}

func (e *Error) Error() string {
	return fmt.Sprintf("fhirjson: %s: %s (offset %d)", e.Path, e.Msg, e.Offset)
}

// Check validates the raw bytes without building a document. It refuses:
// invalid UTF-8 (anywhere, including inside strings; also lone surrogate \u
// escapes), any JSON syntax error, trailing data after the top-level value,
// duplicate keys in any object, nesting deeper than MaxDepth, object keys that
// start with '$' or contain '.', a top-level value that is not an object.
// Every error it returns is an *Error.
func Check(data []byte, opt Options) error {
	s := scanners.Get().(*scanner)
	s.reset(data, opt.maxDepth())
	err := s.run()
	s.release()
	scanners.Put(s)
	return err
}

// Decode runs Check, then decodes into map[string]any with json.Decoder.UseNumber
// so that decimals keep their exact text (98.60 stays "98.60" as json.Number).
func Decode(data []byte, opt Options) (map[string]any, error) {
	if err := Check(data, opt); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		// Unreachable while Check is stricter than encoding/json; kept so a
		// divergence surfaces as an error rather than a half-filled map.
		return nil, fmt.Errorf("fhirjson: decode after check: %w", err)
	}
	return m, nil
}

// Marshal encodes compactly without HTML escaping (no \u003c for '<'), so stored
// resources keep the client's characters; json.Number values are written
// verbatim. Map keys come out sorted (encoding/json's order): that is our
// canonical form. encoding/json still escapes U+2028 and U+2029, which is
// harmless: they decode back to the same characters.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("fhirjson: marshal: %w", err)
	}
	// Encode terminates each value with a newline; the canonical form has none.
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// ResourceType returns the string "resourceType" member of a decoded document, or "".
func ResourceType(m map[string]any) string {
	rt, _ := m["resourceType"].(string)
	return rt
}
