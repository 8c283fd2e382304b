package search

import (
	"slices"
	"testing"
	"time"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in        string
		v, lo, hi float64
	}{
		{"100", 100, 99.5, 100.5},
		{"100.00", 100, 99.995, 100.005},
		{"1.50", 1.5, 1.495, 1.505},
		{"0.1", 0.1, 0.05, 0.15},
		{"0", 0, -0.5, 0.5},
		{"-3", -3, -3.5, -2.5},
		{"+3", 3, 2.5, 3.5},
		{"1e2", 100, 50, 150},   // one significant digit
		{"1.0e2", 100, 95, 105}, // two
		{"1.5E-3", 0.0015, 0.00145, 0.00155},
		{"98.60", 98.6, 98.595, 98.605},
		{"123456789012345678901", 123456789012345678901, 123456789012345678901 - 0.5, 123456789012345678901 + 0.5},
	}
	for _, tt := range tests {
		d, err := parseDecimal(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if d.v != tt.v || d.lo != tt.lo || d.hi != tt.hi {
			t.Errorf("%s: got %v [%v, %v], want %v [%v, %v]", tt.in, d.v, d.lo, d.hi, tt.v, tt.lo, tt.hi)
		}
	}
	for _, bad := range []string{"", "-", "abc", "1.", ".5", "1..2", "1e", "1e+", "0x10", "Inf", "NaN", "1_000", "1e999", "1,5", " 1"} {
		if _, err := parseDecimal(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseDateRange(t *testing.T) {
	ms := func(s string) float64 {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return float64(tm.UnixMilli())
	}
	tests := []struct{ in, lo, hi string }{
		{"2024", "2024-01-01T00:00:00Z", "2024-12-31T23:59:59.999Z"},
		{"2024-02", "2024-02-01T00:00:00Z", "2024-02-29T23:59:59.999Z"},
		{"2024-03-05", "2024-03-05T00:00:00Z", "2024-03-05T23:59:59.999Z"},
		{"2024-03-05T10:30", "2024-03-05T10:30:00Z", "2024-03-05T10:30:59.999Z"},
		{"2024-03-05T10:30:15Z", "2024-03-05T10:30:15Z", "2024-03-05T10:30:15.999Z"},
		{"2024-03-05T10:30:15+02:00", "2024-03-05T08:30:15Z", "2024-03-05T08:30:15.999Z"},
		{"2024-03-05T10:30:15 02:00", "2024-03-05T08:30:15Z", "2024-03-05T08:30:15.999Z"}, // '+' decoded to ' '
		{"2024-03-05T10:30:15-05:00", "2024-03-05T15:30:15Z", "2024-03-05T15:30:15.999Z"},
		{"2024-03-05T10:30:15", "2024-03-05T10:30:15Z", "2024-03-05T10:30:15.999Z"}, // no zone: UTC
		{"2024-03-05T10:30:15.5Z", "2024-03-05T10:30:15.5Z", "2024-03-05T10:30:15.599Z"},
		{"2024-03-05T10:30:15.123456Z", "2024-03-05T10:30:15.123Z", "2024-03-05T10:30:15.123Z"},
		{"1960-06-01T00:00:00.5Z", "1960-06-01T00:00:00.5Z", "1960-06-01T00:00:00.599Z"},
	}
	for _, tt := range tests {
		lo, hi, err := parseDateRange(tt.in)
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if lo != ms(tt.lo) || hi != ms(tt.hi) {
			t.Errorf("%s: got [%v, %v], want [%s, %s]", tt.in, lo, hi, tt.lo, tt.hi)
		}
	}
	for _, bad := range []string{
		"", "24", "2024-1", "2024-13", "2023-02-29", "2024-00-10", "2024-03-05T", "2024-03-05T25:00",
		"2024-03-05T10", "2024-03-05T10:30:60Z", "2024-03-05T10:30:15+15:00", "2024-03-05T10:30:15.Z",
		"2024-03-05 10:30:15", "2024-03-05T10:30:15ZZ", "0000", "yesterday", "2024-03-05Z",
	} {
		if _, _, err := parseDateRange(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Zoë", "zoe"},
		{"MÜLLER", "muller"},
		{"  Ångström ", "angstrom"},
		{"Seán Ó Briain", "sean o briain"},
		{"Łukasz", "łukasz"}, // ł is a letter of its own, not l with a mark
		{"Straße", "straße"},
		{"ǅemal", "ǆemal"},
		{"plain", "plain"},
	}
	for _, tt := range tests {
		if got := fold(tt.in); got != tt.want {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSoundex(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Robert", "R163"}, {"Rupert", "R163"}, {"Rubin", "R150"}, {"Ashcraft", "A261"},
		{"Tymczak", "T522"}, {"Pfister", "P236"}, {"Müller", "M460"}, {"Mueller", "M460"},
		{"O'Brien", "O165"}, {"Lee", "L000"}, {"123", ""},
	}
	for _, tt := range tests {
		if got := soundex(tt.in); got != tt.want {
			t.Errorf("soundex(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSplitEscaped(t *testing.T) {
	tests := []struct {
		in   string
		sep  byte
		want []string
	}{
		{`a,b`, ',', []string{"a", "b"}},
		{`a\,b,c`, ',', []string{"a,b", "c"}},
		{`a\|b|c`, '|', []string{"a|b", "c"}},
		{`a\\,b`, ',', []string{`a\`, "b"}},
		{`x\$y$z`, '$', []string{"x$y", "z"}},
		{`a,`, ',', []string{"a", ""}},
		{`a\`, ',', []string{`a\`}},
	}
	for _, tt := range tests {
		parts := splitEscaped(tt.in, tt.sep)
		for i := range parts {
			parts[i] = unescape(parts[i])
		}
		if !slices.Equal(parts, tt.want) {
			t.Errorf("split(%q, %q) = %q, want %q", tt.in, tt.sep, parts, tt.want)
		}
	}
}

func TestAncestors(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"http://a.org/fhir/ValueSet/x", []string{"http://a.org/fhir/ValueSet/x", "http://a.org/fhir/ValueSet", "http://a.org/fhir", "http://a.org"}},
		{"http://a.org", []string{"http://a.org"}},
		{"urn:oid:1.2.3", []string{"urn:oid:1.2.3"}},
		{"a/b", []string{"a/b", "a"}},
		{"/a", []string{"/a"}},
	}
	for _, tt := range tests {
		if got := ancestors(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("ancestors(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
