package search

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: any parameter name and value, on every type, strict or not,
// gives a Request or a *ParamError, never a panic.
func FuzzParse(f *testing.F) {
	seeds := []struct{ name, value string }{
		{"name", "Zoë,MÜLLER"}, {"name:exact", `a\,b`}, {"birthdate", "ge1990-01-01"},
		{"birthdate", "ap2024-05-22T10:00:00+02:00"}, {"birthdate", "xx2020"}, {"_id", "p1,p2"},
		{"identifier", "http://x|1"}, {"identifier:of-type", "s|MR|1"}, {"gender:not", "male"},
		{"value-quantity", "gt5.4|http://unitsofmeasure.org|mg"}, {"value-quantity", "ap1e2||[lb_av]"},
		{"code-value-quantity", "http://loinc.org|8480-6$gt140"}, {"code-value-concept", "a|b$c|d"},
		{"subject:Patient.name", "zoe"}, {"patient.birthdate", "1984"}, {"_has:Observation:patient:code", "x"},
		{"_sort", "-date,_id"}, {"_count", "10"}, {"_include", "Observation:subject:Patient"},
		{"_revinclude:iterate", "Specimen:parent"}, {"_profile:above", "http://a.org/b/c"}, {"name[0]", "x"},
		{"a.b.c", "1"}, {"_summary", "count"}, {"_elements", "id,status"}, {"subject", "https://e/fhir/Patient/1/_history/2"},
	}
	for _, s := range seeds {
		f.Add(s.name, s.value, false)
	}
	r := registry(f)
	types := servedTypes()
	f.Fuzz(func(t *testing.T, name, value string, strict bool) {
		for _, typ := range types {
			req, err := r.Parse(typ, url.Values{name: {value, value}}, Options{Strict: strict})
			if err != nil {
				var pe *ParamError
				if !errors.As(err, &pe) {
					t.Fatalf("%s?%s=%s: error %v is not a *ParamError", typ, name, value, err)
				}
				continue
			}
			if req.Where != nil {
				_ = req.Where.String()
			}
		}
	})
}

// FuzzPath: any expression either fails to compile or evaluates without a
// panic.
func FuzzPath(f *testing.F) {
	for _, s := range []string{
		"Patient.name.family", "(Observation.value as Quantity) | Observation.component.value.as(Quantity)",
		"Patient.telecom.where(system='phone')", "Patient.deceased.exists() and Patient.deceased != false",
		"Observation.subject.where(resolve() is Patient)", "Patient.extension('u').value.first()",
		"Patient.name.where($this.use = 'x' or given.empty().not())", "'a\\'b' = 1.5",
	} {
		f.Add(s)
	}
	doc := loadResource(f, "observation-bp.json")
	f.Fuzz(func(t *testing.T, expr string) {
		n, err := parsePath(expr)
		if err != nil {
			return
		}
		n.eval([]item{{v: doc, typ: "Observation"}})
	})
}

// FuzzExtract: any JSON object under a served resourceType is indexed or
// refused with an error, never a panic.
func FuzzExtract(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	r := registry(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		var doc map[string]any
		if dec.Decode(&doc) != nil || doc == nil {
			return
		}
		typ, _ := doc["resourceType"].(string)
		if _, ok := r.types[typ]; !ok {
			return
		}
		r.Extract(typ, doc) //nolint:errcheck // only panics matter
	})
}
