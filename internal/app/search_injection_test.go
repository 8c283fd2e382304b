package app_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// TestSearchInjection sends values and parameter names that mean something
// to SQL, LIKE, MongoDB or a regular expression, on every backend. Each
// answer must be 200 (with a warning for an ignored parameter) or 400,
// never 500, and a 200 must hold exactly the fixtures a literal reading of
// the value finds: never everything.
func TestSearchInjection(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		fx := &scFixtures{s: s, tok: token(t, "user/*.cruds", ""), tag: newTag(t),
			id: map[string]string{}, key: map[string]string{}, acc: map[string]string{}}
		families := []struct{ key, family, gender string }{
			{"J0", "abc", "female"},
			{"J1", "a%c", "female"},
			{"J2", "a_c", "female"},
			{"J3", "it's", "female"},
			{"J4", `say "hi"`, "female"},
			{"J5", `back\slash`, "male"},
			{"J6", "$ne", "male"},
			{"J7", `{"$gt":""}`, "male"},
			{"J8", `' OR '1'='1`, "male"},
			{"J9", ".*", "male"},
		}
		for _, f := range families {
			fx.create(t, f.key, "Patient", map[string]any{"resourceType": "Patient", "gender": f.gender,
				"name": []any{map[string]any{"family": f.family}}})
		}
		// A NUL inside a string is valid JSON and a valid FHIR string; if
		// the server refuses it on write, the query side is still checked.
		nul := map[string]any{"resourceType": "Patient", "gender": "male", "name": []any{map[string]any{"family": "a\x00c"}}}
		if r := fx.do("POST", "/fhir/Patient", withTag(nul, fx.tag)); r.Status == http.StatusCreated {
			id := r.json(t)["id"].(string)
			fx.id["J10"], fx.key[id] = id, "J10"
		} else if r.Status >= 500 {
			t.Fatalf("a NUL in a family name: %d %s", r.Status, r.Body)
		} else {
			t.Logf("a NUL in a family name is refused on write (%d); only queries carry one", r.Status)
		}
		nulWant := []string(nil)
		if fx.id["J10"] != "" {
			nulWant = keys("J10")
		}
		female, male := keys("J0 J1 J2 J3 J4"), keys("J5 J6 J7 J8 J9")
		if nulWant != nil {
			male = append(male, "J10")
		}

		fx.run(t, "Patient", []scCase{
			// LIKE wildcards and quotes are literal
			{query: "family=abc", want: keys("J0")},
			{query: "family=a%c", want: keys("J1")},
			{query: "family=a%", want: keys("J1")},
			{query: "family=a_", want: keys("J2")},
			{query: "family:contains=%", want: keys("J1")},
			{query: "family:contains=_", want: keys("J2")},
			{query: "family:exact=a%c", want: keys("J1")},
			{query: "family=it's", want: keys("J3")},
			{query: "family:exact=it's", want: keys("J3")},
			{query: `family:contains="`, want: keys("J4 J7")},
			{query: `family=say "hi"`, want: keys("J4")},
			// a backslash escapes the next character in a search value (R4 \, \$ \|)
			{query: `family=back\\slash`, want: keys("J5")},
			{query: `family=back\slash`, want: nil},
			{query: `family:contains=\\`, want: keys("J5")},
			// SQL
			{query: "family=' OR '1'='1", want: keys("J8")},
			{query: "family:exact=' OR '1'='1", want: keys("J8")},
			{query: "family=abc' --", want: nil},
			{query: "family=abc'; DROP TABLE resource; --", want: nil},
			{query: "_id=' OR '1'='1", want: nil},
			{query: "_id=x' OR 1=1 --", want: nil},
			// MongoDB operators as values
			{query: "family=$ne", want: keys("J6")},
			{query: "family=$", want: keys("J6")},
			{query: `family={"$gt":""}`, want: keys("J7")},
			{query: `gender={"$ne":"x"}`, want: nil},
			{query: `_id={"$ne":null}`, want: nil},
			// regular expressions
			{query: "family=.*", want: keys("J9")},
			{query: "family:contains=.*", want: keys("J9")},
			{query: "family=.*&gender=female", want: nil},
			{query: "family=^a", want: nil},
			// NUL
			{query: "family=a\x00c", want: nulWant},
			{query: "family:exact=a\x00c", want: nulWant},
			{query: "family=a\x00", want: nulWant},

			// parameter names with brackets, $ and dots: ignored with a warning, 400 when strict
			{query: "name[$ne]=x&gender=female", want: female, expr: "name[$ne]"},
			{query: "name[$ne]=x&gender=female", status: 400, expr: "name[$ne]", strict: true},
			{query: "_id[$gt]=x&gender=male", want: male, expr: "_id[$gt]"},
			{query: "_id[$gt]=&gender=male", want: male}, // an empty parameter is no parameter (R4)
			{query: "family[$regex]=.*&gender=male", want: male, expr: "family[$regex]"},
			{query: "$where=1&gender=male", want: male, expr: "$where"},
			{query: "$where=1", status: 400, expr: "$where", strict: true},
			{query: "family.$where=1&gender=female", want: female, expr: "family.$where"},
			{query: "a.b=1&gender=female", want: female, expr: "a.b"},
			{query: "_has:Observation:patient:$where=1&gender=male", want: male, expr: "_has:Observation:patient:$where"},
			{query: "fam\x00ily=abc&gender=female", want: female, expr: "fam\x00ily"},

			// result parameters with junk: 400 naming them
			{query: "_sort=$natural", status: 400, expr: "_sort"},
			{query: "_sort=family;DROP TABLE resource", status: 400, expr: "_sort"},
			{query: "_count=1;DROP TABLE resource", status: 400, expr: "_count"},
			{query: "_count=1e9", status: 400, expr: "_count"},
			{query: "_elements=name,$where", status: 400, expr: "_elements"},
			{query: "_include=Patient:link'", status: 400, expr: "_include"},
			{query: "_total={\"$ne\":1}", status: 400, expr: "_total"},
			{query: "identifier=a|b|c", status: 400, expr: "identifier"},
			{query: "birthdate=1990'--", status: 400, expr: "birthdate"},
			{query: "_lastUpdated=gt$now", status: 400, expr: "_lastUpdated"},
		})

		// Paging cursors come back from clients: a forged or foreign one is
		// refused with 400, never a 500 and never a page of something else.
		t.Run("cursors", func(t *testing.T) {
			first := must(t, fx.search(t, "Patient", "_sort=family&_count=2", false), http.StatusOK)
			next, err := url.Parse(link(t, first, "next"))
			if err != nil || next.Query().Get("_cursor") == "" {
				t.Fatalf("no next link: %s", first.Body)
			}
			b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
			cases := []struct{ name, query, cursor string }{
				{"not base64", "_sort=family&_count=2", "%%%"},
				{"not JSON", "_sort=family&_count=2", b64("{")},
				{"no cursor", "_sort=family&_count=2", b64(`{"d":"a"}`)},
				{"bad direction", "_sort=family&_count=2", b64(`{"d":"x","c":{"v":["a"],"i":"a"}}`)},
				{"operator as value", "_sort=family&_count=2", b64(`{"d":"a","c":{"v":[{"$gt":""}],"i":""}}`)},
				{"array as value", "_sort=family&_count=2", b64(`{"d":"a","c":{"v":[["a"]],"i":""}}`)},
				{"boolean as value", "_sort=family&_count=2", b64(`{"d":"a","c":{"v":[true],"i":""}}`)},
				{"operator as id", "_sort=family&_count=2", b64(`{"d":"a","c":{"v":["a"],"i":{"$gt":""}}}`)},
				{"too many values", "_sort=family&_count=2", b64(`{"d":"a","c":{"v":["a","b"],"i":"a"}}`)},
				{"of another sort", "_count=2", next.Query().Get("_cursor")},
				{"of another sort, backwards", "_sort=family,given&_count=2", b64(`{"d":"b","c":{"v":["a"],"i":"a"}}`)},
			}
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					q := c.query + "&_cursor=" + url.QueryEscape(c.cursor) + "&_tag=" + url.QueryEscape(fx.tagParam())
					r := fx.do("GET", "/fhir/Patient?"+q, nil)
					if r.Status != http.StatusBadRequest {
						t.Errorf("status %d, want 400: %s", r.Status, r.Body)
						return
					}
					if exprs := issueExpressions(t, r); !slices.Contains(exprs, "_cursor") {
						t.Errorf("the OperationOutcome names %v, want _cursor", exprs)
					}
				})
			}
		})

		// The answer to a query that went wrong never echoes storage internals.
		t.Run("no internals in errors", func(t *testing.T) {
			r := fx.do("GET", "/fhir/Patient?"+scEncode("_sort=family&_count=2&_cursor="+base64.RawURLEncoding.EncodeToString([]byte(`{"d":"a","c":{"v":[{"$gt":""}],"i":""}}`))), nil)
			for _, leak := range []string{"sqlite", "SQL", "mongo", "bson", "idx", "sortkey", "$gt"} {
				if strings.Contains(string(r.Body), leak) {
					t.Errorf("the answer mentions %q: %s", leak, r.Body)
				}
			}
		})
	})
}

// withTag puts the test run's tag on a document.
func withTag(doc map[string]any, tag string) map[string]any {
	doc["meta"] = map[string]any{"tag": []any{map[string]any{"system": scTagSystem, "code": tag}}}
	return doc
}
