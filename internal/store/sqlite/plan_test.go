package sqlite

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/storetest"
)

// TestQueryPlans checks with EXPLAIN QUERY PLAN that the suite's typical
// searches reach resource and idx rows through indexes. A full SCAN of either
// table means a search whose cost grows with the whole database.
func TestQueryPlans(t *testing.T) {
	s := openTest(t)
	seedClinic(t, s, 500)
	if _, err := s.DB().Exec("ANALYZE"); err != nil {
		t.Fatalf("ANALYZE: %v", err)
	}
	lo, _ := storetest.Day(2024, 2, 1)
	_, hi := storetest.Day(2024, 2, 29)
	code := search.Match{Param: "code", Conds: []search.Cond{
		{Field: search.FieldSystem, Op: search.OpEq, Value: "http://loinc.org"},
		{Field: search.FieldCode, Op: search.OpEq, Value: "8867-4"},
	}}
	family := search.Match{Param: "family", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpPrefix, Value: "smi"}}}

	ref := search.Match{Param: "subject", Conds: []search.Cond{
		{Field: search.FieldSystem, Op: search.OpEq, Value: "Patient"}, {Field: search.FieldCode, Op: search.OpEq, Value: "pat-00042"}}}
	geHi := search.Match{Param: "date", Conds: []search.Cond{{Field: search.FieldHi, Op: search.OpGe, Value: lo}}}
	ltLo := search.Match{Param: "date", Conds: []search.Cond{{Field: search.FieldLo, Op: search.OpLt, Value: hi}}}
	anyCode := search.Or{code, search.Match{Param: "code", Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpEq, Value: "8480-6"}}}}
	cases := []struct {
		name string
		q    store.Query
	}{
		{"TypeOnly", store.Query{Type: "Patient", Count: 20}},
		{"Token", store.Query{Type: "Observation", Where: code, Count: 20}},
		{"StringPrefix", store.Query{Type: "Patient", Where: family, Count: 20}},
		{"DateRange", store.Query{Type: "Observation", Count: 20, Where: search.Match{Param: "date", Conds: []search.Cond{
			{Field: search.FieldLo, Op: search.OpGe, Value: lo}, {Field: search.FieldHi, Op: search.OpLe, Value: hi}}}}},
		{"Reference", store.Query{Type: "Observation", Count: 20, Where: search.Match{Param: "subject", Conds: []search.Cond{
			{Field: search.FieldSystem, Op: search.OpEq, Value: "Patient"}, {Field: search.FieldCode, Op: search.OpEq, Value: "pat-00042"}}}}},
		{"SortedWithCount", store.Query{Type: "Observation", Where: code, Count: 10,
			Sort: []store.SortKey{{Param: "date", Desc: true}}, After: &store.Cursor{Values: []any{lo}, ID: "obs-01234"}}},
		{"Chain", store.Query{Type: "Observation", Count: 20,
			Where: search.Chain{Param: "subject", Target: "Patient", Where: family}}},
		{"Has", store.Query{Type: "Patient", Count: 20,
			Where: search.Has{Type: "Observation", Param: "subject", Where: code}}},
		// date=ge…&date=lt…: one bound drives, between both bounds of lo.
		{"DateBoundsOfTwoMatches", store.Query{Type: "Observation", Count: 20, Total: true, Where: search.And{geHi, ltLo}}},
		// The booking check's shape: the reference drives, the rest probe
		// the row's own entries.
		{"ReferenceProbes", store.Query{Type: "Observation", Count: 20, Sort: []store.SortKey{{Param: "date", Desc: true}},
			Where: search.And{ref, anyCode, geHi, ltLo, search.Not{X: search.IDIn{"obs-00001"}}}}},
	}
	// Steps that the page plan of a case must have.
	wantSteps := map[string]string{
		"DateBoundsOfTwoMatches": "SEARCH e1 USING COVERING INDEX idx_range (p=? AND lo>? AND lo<?)",
		"ReferenceProbes":        "SEARCH e3 EXISTS USING PRIMARY KEY (res=? AND p=?)",
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := newPlan(&c.q, storeShapes(t, s))
			if err != nil {
				t.Fatal(err)
			}
			page, pageArgs, err := p.pageSQL(c.q.After, false, c.q.Count+1)
			if err != nil {
				t.Fatal(err)
			}
			count, countArgs := p.countSQL()
			steps := checkPlan(t, s, "page", page, pageArgs)
			if want, ok := wantSteps[c.name]; ok && !slices.Contains(steps, want) {
				t.Errorf("page plan lacks %q", want)
			}
			checkPlan(t, s, "count", count, countArgs)
			if c.q.After != nil {
				probe, probeArgs, err := p.probeSQL(c.q.After, true)
				if err != nil {
					t.Fatal(err)
				}
				checkPlan(t, s, "probe", probe, probeArgs)
			}
		})
	}
}

// fullScan matches a plan step that reads a whole resource or idx table (by
// their aliases in the translation) rather than a range of an index.
var fullScan = regexp.MustCompile(`^SCAN (r|t\d+|h\d+|e\d+|resource|idx)\b`)

func checkPlan(t *testing.T, s *Store, what, query string, args []any) []string {
	t.Helper()
	rows, err := s.DB().Query("EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: explain: %v", what, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
		if fullScan.MatchString(detail) && !strings.Contains(detail, "USING") {
			t.Errorf("%s plan scans a table: %q", what, detail)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s plan:\n\t%s", what, strings.Join(steps, "\n\t"))
	return steps
}

// seedClinic stores n patients, three observations each and a specimen
// each, through Commit, in batches.
func seedClinic(t testing.TB, s *Store, n int) {
	t.Helper()
	codes := []string{"8867-4", "8480-6", "8462-4", "29463-7", "8302-2"}
	families := []string{"smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "moore"}
	var batch []store.Write
	flush := func() {
		storetest.Put(t, s, batch...)
		batch = batch[:0]
	}
	for i := range n {
		pid := fmt.Sprintf("pat-%05d", i)
		family := fmt.Sprintf("%s%d", families[i%len(families)], i/len(families))
		born, bornEnd := storetest.Day(1940+i%70, 1+(i%12), 1+i%28)
		batch = append(batch, storetest.Version("Patient", pid, 1,
			storetest.Str("family", family), storetest.Str("given", fmt.Sprintf("given%d", i%50)),
			storetest.Token("gender", "http://hl7.org/fhir/administrative-gender", []string{"male", "female"}[i%2]),
			storetest.Range("birthdate", born, bornEnd),
			storetest.Token("identifier", "urn:mrn", fmt.Sprintf("mrn-%d", i))))
		batch[len(batch)-1].Sort = map[string]any{"family": family, "birthdate": born}
		for j := range 3 {
			oid := fmt.Sprintf("obs-%05d", 3*i+j)
			day, dayEnd := storetest.Day(2024, 1+(3*i+j)%12, 1+(3*i+j)%28)
			w := storetest.Version("Observation", oid, 1,
				storetest.Ref("subject", "Patient", pid),
				storetest.Token("code", "http://loinc.org", codes[(i+j)%len(codes)]),
				storetest.Range("date", day, dayEnd),
				storetest.Quantity("value-quantity", float64(60+(i*7+j)%80), "http://unitsofmeasure.org", "/min"))
			w.Sort = map[string]any{"date": day}
			batch = append(batch, w)
		}
		batch = append(batch, storetest.Version("Specimen", fmt.Sprintf("spec-%05d", i), 1,
			storetest.Ref("subject", "Patient", pid), storetest.Token("type", "http://snomed.info/sct", "119297000")))
		if len(batch) >= 500 {
			flush()
		}
	}
	flush()
}

// storeShapes is the shapeSource that s's searches plan with, reading in a
// read transaction of its own that ends with the test. It waits for a shape
// that is still being read from the table, where a search would plan
// without it.
func storeShapes(tb testing.TB, s *Store) shapeSource {
	tb.Helper()
	tx, err := s.readers.BeginTx(tb.Context(), &sql.TxOptions{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tx.Rollback() })
	db := cachedTx{tx: tx, cache: s.readCache}
	return waitShapes{&searchShapes{ctx: tb.Context(), db: db, stats: s.stats}}
}

type waitShapes struct{ *searchShapes }

func (w waitShapes) shape(k rangeKey) (rangeShape, bool, error) {
	if _, ok := w.stats.known(k); !ok {
		w.stats.loads.Wait()
	}
	return w.searchShapes.shape(k)
}
