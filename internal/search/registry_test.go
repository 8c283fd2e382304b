package search

import (
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
