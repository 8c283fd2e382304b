package seed

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// generate writes a clinic to a fresh directory in the given format.
func generate(t testing.TB, cfg Config, format string, opts Options) string {
	t.Helper()
	dir := t.TempDir()
	var w Writer = NewBundleWriter(dir)
	if format == "ndjson" {
		nw, err := NewNDJSONWriter(dir)
		if err != nil {
			t.Fatal(err)
		}
		w = nw
	}
	if _, err := Generate(context.Background(), cfg, opts, w); err != nil {
		t.Fatalf("generate: %v", err)
	}
	return dir
}

// digest hashes every file of dir, by name.
func digest(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}

// resource is a generated resource decoded as the server decodes it.
type resource struct {
	typ, id string
	doc     map[string]any
	raw     []byte
}

// readNDJSON loads every resource of an NDJSON output, type by type.
func readNDJSON(t *testing.T, dir string) []resource {
	t.Helper()
	var out []resource
	for _, typ := range Types {
		f, err := os.Open(filepath.Join(dir, typ+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			out = append(out, decode(t, sc.Bytes()))
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	return out
}

func decode(t *testing.T, line []byte) resource {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("bad JSON %q: %v", line, err)
	}
	typ, _ := doc["resourceType"].(string)
	id, _ := doc["id"].(string)
	return resource{typ: typ, id: id, doc: doc, raw: slices.Clone(line)}
}

// walkRefs calls fn with every reference string in v.
func walkRefs(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "reference" {
				fn(s)
				continue
			}
			walkRefs(x, fn)
		}
	case []any:
		for _, x := range v {
			walkRefs(x, fn)
		}
	}
}

// num reads a decoded JSON number.
func num(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("not a number: %v", v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func path(doc map[string]any, keys ...string) any {
	var v any = doc
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}
