package search

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clinic/ehr/fhir"
)

// loadResource decodes a testdata file as the server does: numbers keep
// their text as json.Number.
func loadResource(t testing.TB, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return decodeJSON(t, b)
}

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// formatEntry prints an entry on one line, fields in IndexEntry order:
// "family c=muller t=Müller". Date ranges print as UTC instants.
func formatEntry(e IndexEntry, isDate bool) string {
	var b strings.Builder
	b.WriteString(e.Param)
	for _, f := range []struct{ name, v string }{{"s", e.System}, {"c", e.Code}, {"t", e.Text}} {
		if f.v != "" {
			fmt.Fprintf(&b, " %s=%s", f.name, f.v)
		}
	}
	num := func(name string, v *float64) {
		switch {
		case v == nil:
		case isDate:
			fmt.Fprintf(&b, " %s=%s", name, time.UnixMilli(int64(*v)).UTC().Format("2006-01-02T15:04:05.000Z"))
		default:
			fmt.Fprintf(&b, " %s=%s", name, strconv.FormatFloat(*v, 'g', -1, 64))
		}
	}
	num("lo", e.Lo)
	num("hi", e.Hi)
	for _, f := range []struct{ name, v string }{{"u", e.Unit}, {"us", e.UnitSystem}} {
		if f.v != "" {
			fmt.Fprintf(&b, " %s=%s", f.name, f.v)
		}
	}
	num("clo", e.CLo)
	num("chi", e.CHi)
	if e.CUnit != "" {
		fmt.Fprintf(&b, " cu=%s", e.CUnit)
	}
	return b.String()
}

// isDateParam tells formatEntry how to print an entry's range: the date
// parameters and the composites whose range part is a date.
func isDateParam(r *Registry, typ, param string) bool {
	code, _, _ := strings.Cut(param, ":")
	p, ok := r.Param(typ, code)
	if !ok {
		return false
	}
	if p.Type == fhir.ParamDate {
		return true
	}
	for _, part := range p.parts {
		if part.param.Type == fhir.ParamDate {
			return true
		}
	}
	return false
}

func formatEntries(r *Registry, typ string, entries []IndexEntry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = formatEntry(e, isDateParam(r, typ, e.Param))
	}
	return out
}

func TestDumpEntries(t *testing.T) {
	name := os.Getenv("DUMP")
	if name == "" {
		t.Skip("set DUMP=file.json to print a resource's entries")
	}
	doc := loadResource(t, name)
	typ := doc["resourceType"].(string)
	entries, sortValues, err := registry(t).Extract(typ, doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range formatEntries(registry(t), typ, entries) {
		fmt.Printf("%q,\n", line)
	}
	fmt.Println(sortValues)
}
