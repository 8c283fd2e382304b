package fhir

import "testing"

func TestFHIRPath(t *testing.T) {
	tests := []struct {
		tokens []string
		want   string
	}{
		{nil, "Patient"},
		{[]string{"gender"}, "Patient.gender"},
		{[]string{"name", "0", "given", "1"}, "Patient.name[0].given[1]"},
		{[]string{"_birthDate", "extension", "0", "url"}, "Patient._birthDate.extension[0].url"},
		{[]string{"contained", "12", "resourceType"}, "Patient.contained[12].resourceType"},
	}
	for _, tt := range tests {
		if got := fhirPath("Patient", tt.tokens); got != tt.want {
			t.Errorf("fhirPath(%q) = %q, want %q", tt.tokens, got, tt.want)
		}
	}
}

func TestCompareLocations(t *testing.T) {
	tests := []struct {
		a, b []string
		want int // sign only
	}{
		{[]string{"name", "2"}, []string{"name", "10"}, -1},
		{[]string{"name", "10"}, []string{"name", "2"}, 1},
		{[]string{"birthDate"}, []string{"gender"}, -1},
		{[]string{"name"}, []string{"name", "0"}, -1},
		{[]string{"name", "0"}, []string{"name", "0"}, 0},
	}
	for _, tt := range tests {
		got := compareLocations(tt.a, tt.b)
		if sign(got) != tt.want {
			t.Errorf("compareLocations(%q, %q) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
