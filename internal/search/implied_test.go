package search

import (
	"net/url"
	"slices"
	"testing"
)

// TestImpliedComposites lists what the specification's definitions let the
// planner imply, per type. code-value-date and code-value-string are absent:
// value-date also selects a Period, value-string a concept's text, which
// their components do not.
func TestImpliedComposites(t *testing.T) {
	r := registry(t)
	want := map[string][]string{
		"Observation": {"code-value-concept(code,value-concept)", "code-value-quantity(code,value-quantity)"},
	}
	for typ, tp := range r.types {
		var got []string
		for _, ic := range tp.implied {
			got = append(got, ic.composite.Code+"("+joinComma(ic.parts)+")")
		}
		if !slices.Equal(got, want[typ]) {
			t.Errorf("%s: implied composites %v, want %v", typ, got, want[typ])
		}
	}
}

func joinComma(xs []string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

func TestParseAddsImpliedComposite(t *testing.T) {
	r := registry(t)
	tests := []struct {
		query, want string
	}{
		{"code=http://loinc.org|2339-0&value-quantity=gt180|http://unitsofmeasure.org|mg/dL",
			`(match code-value-quantity (eq s "http://loinc.org") (eq c "2339-0") (eq cu "g.m-3") (gt chi 1800))`},
		{"code=8480-6&value-quantity=gt100",
			`(match code-value-quantity (eq c "8480-6") (gt hi 100))`},
		{"patient=Patient/p1&code=8480-6&value-quantity=gt100",
			`(and (match patient (eq s "Patient") (eq c "p1")) (match code-value-quantity (eq c "8480-6") (gt hi 100)))`},
		// Not implied: an OR of codes, a repeated value, a negation, :text.
		{"code=a,b&value-quantity=gt1", `(and (or (match code (eq c "a")) (match code (eq c "b"))) (match value-quantity (gt hi 1)))`},
		{"code=a&value-quantity=gt1&value-quantity=lt9", `(and (match code (eq c "a")) (match value-quantity (gt hi 1)) (match value-quantity (lt lo 9)))`},
		{"code=a&value-quantity=ne5", `(and (match code (eq c "a")) (missing value-quantity false) (not (match value-quantity (ge lo 4.5) (le hi 5.5))))`},
		{"code:text=glucose&value-quantity=gt1", `(and (match code (prefix t "glucose")) (match value-quantity (gt hi 1)))`},
		// value-string also selects a concept's text, which code-value-string does not.
		{"code=a&value-string=dark", `(and (match code (eq c "a")) (match value-string (prefix c "dark")))`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			req, err := r.Parse("Observation", v, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Where.String(); got != tt.want {
				t.Errorf("\n got %s\nwant %s", got, tt.want)
			}
		})
	}
}
