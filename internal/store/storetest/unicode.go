package storetest

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Names in several scripts, with combining and astral characters. The store
// folds nothing: the search layer folds before writing and before querying.
var names = map[string]string{
	"u-latin":    "müller",
	"u-combined": "mu\u0308ller", // u + combining diaeresis: not equal to müller
	"u-han":      "山田",
	"u-emoji":    "😀smile",
	"u-greek":    "παπαδόπουλος",
	"u-ascii":    "mz",
}

func testUnicode(t *testing.T, open Opener) {
	s := open(t)
	body := []byte(`{"resourceType":"Patient","id":"u-latin","name":[{"family":"Müller","given":["Zoë","山田","😀"]}],"note":"\u00e9\u0301 \\u00e9"}`)
	w := Version("Patient", "u-latin", 1, Str("family", names["u-latin"]))
	w.Resource.Body = body
	w.Sort = map[string]any{"family": names["u-latin"]}
	writes := []store.Write{w}
	for id, name := range names {
		if id != "u-latin" {
			w := Version("Patient", id, 1, Str("family", name))
			w.Sort = map[string]any{"family": name}
			writes = append(writes, w)
		}
	}
	Put(t, s, writes...)

	t.Run("BodyRoundTrips", func(t *testing.T) {
		if got := read(t, s, "Patient", "u-latin"); !bytes.Equal(got.Body, body) {
			t.Fatalf("Read body %q, want %q", got.Body, body)
		}
		v, err := s.ReadVersion(t.Context(), "Patient", "u-latin", 1)
		if err != nil || !bytes.Equal(v.Body, body) {
			t.Fatalf("ReadVersion body %q, %v", v.Body, err)
		}
		res := search1(t, s, store.Query{Type: "Patient", Where: match("family", eqCode("müller")), Count: 10})
		if len(res.Resources) != 1 || !bytes.Equal(res.Resources[0].Body, body) {
			t.Fatalf("search body %v", res.Resources)
		}
	})

	runRows(t, s, []searchRow{
		{"EqLatin", "Patient", match("family", eqCode("müller")), []string{"u-latin"}},
		{"EqCombining", "Patient", match("family", eqCode("mu\u0308ller")), []string{"u-combined"}},
		{"EqUnfolded", "Patient", match("family", eqCode("muller")), nil},
		{"PrefixLatin", "Patient", match("family", prefixCode("mü")), []string{"u-latin"}},
		{"PrefixAcrossBytes", "Patient", match("family", prefixCode("m")), []string{"u-ascii", "u-combined", "u-latin"}},
		{"ContainsHan", "Patient", match("family", cond(search.FieldCode, search.OpContains, "田")), []string{"u-han"}},
		{"PrefixEmoji", "Patient", match("family", prefixCode("😀")), []string{"u-emoji"}},
		{"ContainsGreek", "Patient", match("family", cond(search.FieldCode, search.OpContains, "δόπ")), []string{"u-greek"}},
	})

	t.Run("SortByBytes", func(t *testing.T) {
		var want []string
		for id := range names {
			want = append(want, id)
		}
		slices.SortFunc(want, func(a, b string) int { return strings.Compare(names[a], names[b]) })
		got := SearchIDs(t, s, store.Query{Type: "Patient", Sort: []store.SortKey{{Param: "family"}}})
		if !slices.Equal(got, want) {
			t.Fatalf("sorted %q, want %q", got, want)
		}
	})
}
