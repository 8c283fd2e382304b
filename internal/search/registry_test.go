package search

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/clinic/ehr/fhir"
)

// servedTypes are the types of data/types.json.
func servedTypes() []string {
	var names []string
	for _, t := range fhir.Types() {
		names = append(names, t.Name)
	}
	return names
}

var (
	registryOnce sync.Once
	testReg      *Registry
	testRegErrs  []error
)

// registry compiles the real parameters once for all tests.
func registry(t testing.TB) *Registry {
	t.Helper()
	registryOnce.Do(func() { testReg, testRegErrs = NewRegistry(servedTypes()) })
	return testReg
}

// TestNewRegistryReportsOnlySpecials checks that every parameter of the six
// types compiles, except those the specification defines without a
// FHIRPath expression.
func TestNewRegistryReportsOnlySpecials(t *testing.T) {
	registry(t)
	for _, err := range testRegErrs {
		msg := err.Error()
		ok := false
		for _, code := range []string{"._text:", "._content:", "._query:"} {
			ok = ok || strings.Contains(msg, code)
		}
		if !ok {
			t.Errorf("unexpected registry error: %v", err)
		}
	}
	if got, want := len(testRegErrs), 3*len(servedTypes()); got != want {
		t.Errorf("got %d registry errors, want %d: %v", got, want, testRegErrs)
	}
}

// A restricted type indexes only what it keeps, and refuses the rest with
// the reason instead of matching nothing.
func TestRestrict(t *testing.T) {
	reg, _ := NewRegistry([]string{"Patient"})
	reg.Restrict("Patient", func(code string) bool { return code == "_id" || code == "family" }, "not indexed here")
	doc := map[string]any{"resourceType": "Patient", "id": "p1", "gender": "female",
		"name": []any{map[string]any{"family": "Haddad", "given": []any{"Layla"}}}}
	entries, sorts, err := reg.Extract("Patient", doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Param != "_id" && e.Param != "family" {
			t.Errorf("entry of a parameter not kept: %+v", e)
		}
	}
	if _, ok := sorts["gender"]; ok || len(entries) < 2 {
		t.Errorf("entries %v, sorts %v: want _id and family only", entries, sorts)
	}
	if _, ok := reg.Param("Patient", "gender"); ok || len(reg.Params("Patient")) != 2 {
		t.Errorf("gender still a parameter; params %d", len(reg.Params("Patient")))
	}
	tests := []struct {
		query   string
		wantErr string // "" when the query parses
	}{
		{"family=haddad", ""},
		{"gender=female", "not indexed here"},
		{"family=haddad&given=layla", "not indexed here"},
	}
	for _, tt := range tests {
		q, _ := url.ParseQuery(tt.query)
		_, err := reg.Parse("Patient", q, Options{Strict: true})
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Parse(%s) = %v, want error containing %q", tt.query, err, tt.wantErr)
		}
	}
}
