package engine

import (
	"encoding/json"
	"testing"

	"github.com/clinic/ehr/internal/fhirerr"
)

func TestTrimCriteriaPrefix(t *testing.T) {
	cases := []struct{ in, want string }{
		{"identifier=a|b", "identifier=a|b"},
		{"?identifier=a|b", "identifier=a|b"},
		{"Patient?identifier=a|b", "identifier=a|b"},
		{"Observation?identifier=a|b", "Observation?identifier=a|b"}, // another type: left for Parse to refuse
	}
	for _, c := range cases {
		if got := trimCriteriaPrefix("Patient", c.in); got != c.want {
			t.Errorf("trimCriteriaPrefix(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestConditionalRef(t *testing.T) {
	cases := []struct {
		ref, typ, criteria string
		ok                 bool
	}{
		{"Patient?identifier=http://x.org/mrn|7", "Patient", "identifier=http://x.org/mrn|7", true},
		{"Patient/123", "", "", false},
		{"urn:uuid:0b1c", "", "", false},
		{"#contained", "", "", false},
		{"http://other.org/fhir/Patient?identifier=7", "", "", false},
		{"?identifier=7", "", "", false},
	}
	for _, c := range cases {
		typ, criteria, ok := conditionalRef(c.ref)
		if typ != c.typ || criteria != c.criteria || ok != c.ok {
			t.Errorf("conditionalRef(%q) = %q %q %t", c.ref, typ, criteria, ok)
		}
	}
}

func TestRewriteRefs(t *testing.T) {
	doc := decode(t, `{"resourceType":"Observation",
		"subject":{"reference":"urn:uuid:p"},
		"specimen":{"reference":"Patient?identifier=7"},
		"component":[{"extension":[{"url":"x","valueReference":{"reference":"urn:uuid:s"}}]}],
		"contained":[{"resourceType":"Specimen","id":"c1","subject":{"reference":"urn:uuid:p"}}],
		"performer":[{"reference":"#c1"},{"reference":"Practitioner/9"}],
		"note":[{"text":"reference urn:uuid:p in prose is left alone"}]}`)
	subst := map[string]string{"urn:uuid:p": "Patient/1", "urn:uuid:s": "Specimen/2", "Patient?identifier=7": "Patient/1"}
	if err := rewriteRefs(doc, subst); err != nil {
		t.Fatal(err)
	}
	want := decode(t, `{"resourceType":"Observation",
		"subject":{"reference":"Patient/1"},
		"specimen":{"reference":"Patient/1"},
		"component":[{"extension":[{"url":"x","valueReference":{"reference":"Specimen/2"}}]}],
		"contained":[{"resourceType":"Specimen","id":"c1","subject":{"reference":"Patient/1"}}],
		"performer":[{"reference":"#c1"},{"reference":"Practitioner/9"}],
		"note":[{"text":"reference urn:uuid:p in prose is left alone"}]}`)
	if got, w := mustJSON(t, doc), mustJSON(t, want); got != w {
		t.Errorf("rewritten:\n%s\nwant:\n%s", got, w)
	}

	dangling := decode(t, `{"resourceType":"Observation","subject":{"reference":"urn:uuid:nobody"}}`)
	if err := rewriteRefs(dangling, subst); fhirerr.KindOf(err) != fhirerr.Invalid {
		t.Errorf("a urn: reference to no entry: %v", err)
	}
}

func TestCollectRefs(t *testing.T) {
	doc := decode(t, `{"subject":{"reference":"Patient?identifier=7"},"x":[{"reference":"Patient/1"},{"y":{"reference":"Specimen?accession=a|b"}}]}`)
	refs := map[string]bool{}
	collectRefs(doc, refs)
	if len(refs) != 2 || !refs["Patient?identifier=7"] || !refs["Specimen?accession=a|b"] {
		t.Errorf("collectRefs = %v", refs)
	}
}

func TestDeepCopy(t *testing.T) {
	doc := decode(t, `{"a":{"b":[{"c":"d"}]}}`)
	cp := deepCopy(doc).(map[string]any)
	cp["a"].(map[string]any)["b"].([]any)[0].(map[string]any)["c"] = "changed"
	if doc["a"].(map[string]any)["b"].([]any)[0].(map[string]any)["c"] != "d" {
		t.Error("deepCopy shares nested values with the original")
	}
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
