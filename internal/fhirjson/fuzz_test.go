package fhirjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzCheck asserts that Check never panics, is never more lenient than
// encoding/json or the slow reference below, and that whatever it accepts
// decodes and re-encodes cleanly.
func FuzzCheck(f *testing.F) {
	f.Add(readTestdata(f, "patient.json"))
	f.Add(readTestdata(f, "observation-bp.json"))
	for _, tc := range accepted {
		f.Add([]byte(tc.in))
	}
	for _, tc := range refusals {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(nested(100, false)))
	f.Add([]byte(nested(101, true)))
	f.Add([]byte(`{"o":` + manyKeys(20, "") + `,"p":` + manyKeys(40, "k39") + `}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		err := Check(data, Options{})
		ref := refCheck(data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Check returned %T, want *Error", err)
			}
			if e.Offset < 0 || e.Offset > int64(len(data)) {
				t.Fatalf("Offset %d outside input of %d bytes", e.Offset, len(data))
			}
			// Without escapes, the reference sees exactly what Check sees.
			if ref == nil && bytes.IndexByte(data, '\\') < 0 {
				t.Fatalf("Check refused (%v) what the reference accepts: %q", err, data)
			}
			return
		}
		if ref != nil {
			t.Fatalf("Check accepted what the reference refuses (%v): %q", ref, data)
		}
		m, err := Decode(data, Options{})
		if err != nil {
			t.Fatalf("Decode after Check: %v", err)
		}
		out, err := Marshal(m)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		// The canonical form must itself pass Check and be a fixed point.
		m2, err := Decode(out, Options{})
		if err != nil {
			t.Fatalf("Decode of canonical form %q: %v", out, err)
		}
		out2, err := Marshal(m2)
		if err != nil {
			t.Fatalf("Marshal canonical: %v", err)
		}
		if !bytes.Equal(out, out2) {
			t.Fatalf("canonical form not stable:\n%q\n%q", out, out2)
		}
	})
}

// refCheck is a slow, obviously-correct restatement of Check's rules on top
// of encoding/json's tokenizer. It cannot see lone surrogate escapes, which
// encoding/json silently replaces.
func refCheck(data []byte) error {
	if !json.Valid(data) {
		return errors.New("encoding/json: invalid")
	}
	if !utf8.Valid(data) {
		return errors.New("invalid UTF-8")
	}
	type frame struct {
		keys    map[string]bool // nil for arrays
		wantKey bool
	}
	var stack []*frame
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for first := true; ; first = false {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if first && tok != json.Delim('{') {
			return errors.New("top-level value is not an object")
		}
		if n := len(stack); n > 0 && stack[n-1].wantKey && tok != json.Delim('}') {
			key := tok.(string)
			switch top := stack[n-1]; {
			case strings.HasPrefix(key, "$"), strings.Contains(key, "."):
				return fmt.Errorf("bad key %q", key)
			case top.keys[key]:
				return fmt.Errorf("duplicate key %q", key)
			default:
				top.keys[key] = true
				top.wantKey = false
			}
			continue
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == DefaultMaxDepth {
				return errors.New("too deep")
			}
			f := &frame{}
			if tok == json.Delim('{') {
				f.keys, f.wantKey = map[string]bool{}, true
			}
			stack = append(stack, f)
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value just ended; its parent object now expects a key.
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].wantKey = true
		}
	}
}
