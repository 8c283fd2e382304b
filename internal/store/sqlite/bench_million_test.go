package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// BenchmarkMillionObservations loads a clinic's worth of Observations (by
// default 1,000,000 for 1,000 patients: vital signs and lab results over ten
// years) through Commit, with the index entries that the real
// search.Registry extracts, then measures the latency of typical searches
// planned by the real registry.Parse, and reports p50 and p99 in ms.
//
//	EHR_BENCH_MILLION=1 go test ./internal/store/sqlite -run '^$' \
//	    -bench BenchmarkMillionObservations -benchtime 400x -timeout 60m
//
// EHR_BENCH_SCALE sets the number of Observations (e.g. 100000; always
// 1,000 patients). EHR_BENCH_DB keeps the database at that path and reuses
// it when it already holds the data, so the queries can be measured again
// without loading. The load uses Options{Synchronous: "NORMAL"}: a bulk load
// that a power cut interrupts is simply run again, so it does not need FULL's
// sync per commit. Queries run on the store as the server opens it.
func BenchmarkMillionObservations(b *testing.B) {
	if os.Getenv("EHR_BENCH_MILLION") != "1" {
		b.Skip("set EHR_BENCH_MILLION=1 (and EHR_BENCH_SCALE for fewer Observations) to run")
	}
	scale := 1_000_000
	if v := os.Getenv("EHR_BENCH_SCALE"); v != "" {
		n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
		if err != nil || n < benchPatients*benchPerVisit {
			b.Fatalf("EHR_BENCH_SCALE=%q: want a number of Observations ≥ %d", v, benchPatients*benchPerVisit)
		}
		scale = n
	}
	path := os.Getenv("EHR_BENCH_DB")
	if path == "" {
		path = filepath.Join(b.TempDir(), "bench.db")
	}
	gen := newBenchData(scale)
	if n := countObservations(b, path); n != gen.total() {
		if n > 0 {
			b.Fatalf("%s holds %d Observations, want %d: remove it or set another EHR_BENCH_DB", path, n, gen.total())
		}
		loadBench(b, path, gen)
	} else {
		b.Logf("reusing %s: %d Observations", path, n)
	}

	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	reg, errs := search.NewRegistry(servedTypes())
	if len(errs) > 0 {
		b.Logf("registry: %d parameters not served (expected: _text, _content, _query)", len(errs))
	}

	var rows []benchRow
	for _, q := range benchQueries(gen) {
		for _, total := range []bool{false, true} {
			name := q.name
			if total {
				name += "+total"
			}
			b.Run(name, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(7, 11))
				first := true
				var lat []time.Duration
				var hits int
				for b.Loop() {
					params := q.params(rng)
					req, err := reg.Parse("Observation", params, search.Options{})
					if err != nil {
						b.Fatalf("%s: %v", params.Encode(), err)
					}
					sq := storeQuery(req, total)
					if first {
						first = false
						explain(b, s, sq, params)
					}
					start := time.Now()
					res, err := s.Search(context.Background(), sq)
					lat = append(lat, time.Since(start))
					if err != nil {
						b.Fatal(err)
					}
					hits += len(res.Resources)
				}
				p50, p99 := percentile(lat, 0.50), percentile(lat, 0.99)
				b.ReportMetric(p50, "p50-ms")
				b.ReportMetric(p99, "p99-ms")
				b.ReportMetric(float64(hits)/float64(len(lat)), "hits/op")
				rows = append(rows, benchRow{name: name, n: len(lat), p50: p50, p99: p99, max: percentile(lat, 1)})
			})
		}
	}
	fmt.Printf("\nSQLite, %d Observations of %d patients (%s), %d CPUs\n", gen.total(), benchPatients, path, runtime.NumCPU())
	fmt.Printf("%-28s %6s %9s %9s %9s\n", "query (_count=20)", "n", "p50 ms", "p99 ms", "max ms")
	for _, r := range rows {
		fmt.Printf("%-28s %6d %9.2f %9.2f %9.2f\n", r.name, r.n, r.p50, r.p99, r.max)
	}
}

type benchRow struct {
	name          string
	n             int
	p50, p99, max float64
}

// percentile of the latencies in ms (nearest rank).
func percentile(lat []time.Duration, p float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	i := int(math.Ceil(p*float64(len(s)))) - 1
	i = max(0, min(i, len(s)-1))
	return float64(s[i].Microseconds()) / 1000
}

// storeQuery is what engine.SearchType asks of the store for a parsed
// search: the page, and with total the accurate count as well (the default
// _total; _total=none skips it).
func storeQuery(req *search.Request, total bool) *store.Query {
	q := &store.Query{Type: req.Type, Where: req.Where, Count: req.Count, Total: total}
	for _, s := range req.Sort {
		q.Sort = append(q.Sort, store.SortKey{Param: s.Param, Desc: s.Desc})
	}
	return q
}

// benchQuery is one kind of search with random values drawn from the data.
type benchQuery struct {
	name   string
	params func(rng *rand.Rand) url.Values
}

func benchQueries(g *benchData) []benchQuery {
	patient := func(rng *rand.Rand) string { return g.patientID(rng.IntN(benchPatients)) }
	return []benchQuery{
		{"patient+code", func(rng *rand.Rand) url.Values {
			sign := benchVitals[rng.IntN(len(benchVitals))]
			return url.Values{"patient": {patient(rng)}, "code": {"http://loinc.org|" + sign.code}, "_count": {"20"}}
		}},
		{"patient+date-sorted", func(rng *rand.Rand) url.Values {
			year := benchFirstYear + rng.IntN(benchYears)
			return url.Values{"patient": {patient(rng)}, "_count": {"20"}, "_sort": {"-date"},
				"date": {fmt.Sprintf("ge%d-01-01", year), fmt.Sprintf("lt%d-07-01", year)}}
		}},
		{"code+value-range", func(rng *rand.Rand) url.Values {
			// Glucose above a threshold: a few percent of the glucose results.
			lo := 180 + rng.IntN(60)
			return url.Values{"code": {"http://loinc.org|2339-0"}, "_count": {"20"},
				"value-quantity": {fmt.Sprintf("gt%d|http://unitsofmeasure.org|mg/dL", lo)}}
		}},
		{"code-value-quantity", func(rng *rand.Rand) url.Values {
			lo := 180 + rng.IntN(60)
			return url.Values{"_count": {"20"},
				"code-value-quantity": {fmt.Sprintf("http://loinc.org|2339-0$gt%d|http://unitsofmeasure.org|mg/dL", lo)}}
		}},
	}
}

// explain logs the plan of a query's page and count statements.
func explain(b *testing.B, s *Store, q *store.Query, params url.Values) {
	b.Helper()
	p, err := newPlan(q, storeShapes(b, s))
	if err != nil {
		b.Fatal(err)
	}
	page, pageArgs, err := p.pageSQL(nil, false, q.Count+1)
	if err != nil {
		b.Fatal(err)
	}
	count, countArgs := p.countSQL()
	for _, st := range []struct {
		what, sql string
		args      []any
	}{{"page", page, pageArgs}, {"count", count, countArgs}} {
		rows, err := s.readers.Query("EXPLAIN QUERY PLAN "+st.sql, st.args...)
		if err != nil {
			b.Fatal(err)
		}
		var steps []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				b.Fatal(err)
			}
			steps = append(steps, detail)
		}
		rows.Close()
		b.Logf("%s %s\n\tSQL: %s\n\tplan: %s", params.Encode(), st.what, st.sql, strings.Join(steps, "\n\t      "))
	}
}

func servedTypes() []string {
	var names []string
	for _, t := range fhir.Types() {
		names = append(names, t.Name)
	}
	return names
}

// countObservations returns the number of Observations in the database at
// path, 0 when there is none.
func countObservations(b *testing.B, path string) int {
	if _, err := os.Stat(path); err != nil {
		return 0
	}
	s, err := Open(path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.readers.QueryRow("SELECT count(*) FROM resource WHERE type = 'Observation'").Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// The data: benchPatients patients, each seen every so often over
// benchYears years; every visit records benchPerVisit Observations: the
// vital signs of benchVitals, a blood pressure panel and the lab tests of
// benchLabs on one specimen.
const (
	benchPatients  = 1000
	benchFirstYear = 2016
	benchYears     = 10
	benchPerVisit  = len(benchVitalsConst) + 1 + len(benchLabsConst)
	benchBatch     = 5000 // writes per Commit
)

type benchSign struct {
	code, display, unit string
	mean, sd            float64
	decimals            int
}

// Arrays, so that benchPerVisit is a constant.
var (
	benchVitalsConst = [...]benchSign{
		{"8867-4", "Heart rate", "/min", 74, 11, 0},
		{"9279-1", "Respiratory rate", "/min", 16, 2.5, 0},
		{"8310-5", "Body temperature", "Cel", 36.8, 0.4, 1},
		{"2708-6", "Oxygen saturation in Arterial blood", "%", 97, 1.5, 0},
		{"29463-7", "Body weight", "kg", 78, 16, 1},
	}
	benchLabsConst = [...]benchSign{
		{"2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 105, 35, 0},
		{"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 13.8, 1.5, 1},
		{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.95, 0.25, 2},
		{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 4.2, 0.4, 1},
	}
	benchVitals = benchVitalsConst[:]
	benchLabs   = benchLabsConst[:]
)

type benchData struct {
	visits int // per patient
}

func newBenchData(observations int) *benchData {
	return &benchData{visits: observations / benchPatients / benchPerVisit}
}

func (g *benchData) total() int { return benchPatients * g.visits * benchPerVisit }

func (g *benchData) patientID(i int) string { return fmt.Sprintf("pat-%04d", i) }

// patient returns the writes of patient i: the Patient and its Observations.
func (g *benchData) patient(reg *search.Registry, i int, now time.Time) ([]store.Write, error) {
	rng := rand.New(rand.NewPCG(uint64(i), 42))
	pid := g.patientID(i)
	var out []store.Write
	add := func(typ, id string, doc map[string]any) error {
		doc["id"] = id
		doc["meta"] = map[string]any{"versionId": "1", "lastUpdated": now.Format("2006-01-02T15:04:05.000Z")}
		entries, sortVals, err := reg.Extract(typ, doc)
		if err != nil {
			return fmt.Errorf("extract %s/%s: %w", typ, id, err)
		}
		body, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		out = append(out, store.Write{Resource: store.Resource{Type: typ, ID: id, VersionID: 1, LastUpdated: now, Body: body},
			Index: entries, Sort: sortVals})
		return nil
	}
	gender := []string{"female", "male"}[rng.IntN(2)]
	birth := time.Date(1935+rng.IntN(70), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
	if err := add("Patient", pid, map[string]any{"resourceType": "Patient",
		"identifier": []any{map[string]any{"system": "http://clinic.example.org/mrn", "value": fmt.Sprintf("MRN-%06d", i)}},
		"name":       []any{map[string]any{"family": fmt.Sprintf("Family%03d", i%700), "given": []any{fmt.Sprintf("Given%d", i)}}},
		"gender":     gender, "birthDate": birth.Format(time.DateOnly)}); err != nil {
		return nil, err
	}
	diabetic := rng.IntN(10) == 0 // their glucose runs high
	weight := 55 + rng.Float64()*50
	start := time.Date(benchFirstYear, 1, 1, 8, 0, 0, 0, time.UTC)
	span := time.Duration(benchYears) * 365 * 24 * time.Hour
	subject := map[string]any{"reference": "Patient/" + pid}
	n := 0
	for v := range g.visits {
		// Visits spread over the years with some jitter, in local time (UTC-5).
		at := start.Add(span*time.Duration(v)/time.Duration(g.visits) + time.Duration(rng.IntN(72*60))*time.Minute)
		when := at.In(time.FixedZone("", -5*3600)).Format("2006-01-02T15:04:05-07:00")
		obsID := func() string { n++; return fmt.Sprintf("obs-%04d-%06d", i, n) }
		category := func(code, display string) []any {
			return []any{map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": code, "display": display}}}}
		}
		coded := func(s benchSign) map[string]any {
			return map[string]any{"coding": []any{map[string]any{"system": "http://loinc.org", "code": s.code, "display": s.display}}}
		}
		quantity := func(s benchSign, v float64) map[string]any {
			p := math.Pow10(s.decimals)
			return map[string]any{"value": math.Round(v*p) / p, "unit": s.unit, "system": "http://unitsofmeasure.org", "code": s.unit}
		}
		for _, s := range benchVitals {
			v := s.mean + rng.NormFloat64()*s.sd
			if s.code == "29463-7" {
				weight += rng.NormFloat64() * 0.8
				v = weight
			}
			if err := add("Observation", obsID(), map[string]any{"resourceType": "Observation", "status": "final",
				"category": category("vital-signs", "Vital Signs"), "code": coded(s), "subject": subject,
				"effectiveDateTime": when, "valueQuantity": quantity(s, math.Abs(v))}); err != nil {
				return nil, err
			}
		}
		sys := 125 + rng.NormFloat64()*15
		bp := func(code, display string, v float64) map[string]any {
			return map[string]any{"code": coded(benchSign{code: code, display: display}),
				"valueQuantity": map[string]any{"value": math.Round(v), "unit": "mmHg", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
		}
		if err := add("Observation", obsID(), map[string]any{"resourceType": "Observation", "status": "final",
			"category": category("vital-signs", "Vital Signs"),
			"code":     coded(benchSign{code: "85354-9", display: "Blood pressure panel with all children optional"}),
			"subject":  subject, "effectiveDateTime": when,
			"component": []any{bp("8480-6", "Systolic blood pressure", sys), bp("8462-4", "Diastolic blood pressure", sys*0.65+rng.NormFloat64()*5)}}); err != nil {
			return nil, err
		}
		specimen := map[string]any{"reference": fmt.Sprintf("Specimen/spec-%04d-%04d", i, v)}
		for _, s := range benchLabs {
			mean := s.mean
			if diabetic && s.code == "2339-0" {
				mean = 190
			}
			if err := add("Observation", obsID(), map[string]any{"resourceType": "Observation", "status": "final",
				"category": category("laboratory", "Laboratory"), "code": coded(s), "subject": subject, "specimen": specimen,
				"effectiveDateTime": when, "issued": at.Add(3 * time.Hour).Format(time.RFC3339),
				"valueQuantity": quantity(s, math.Abs(mean+rng.NormFloat64()*s.sd))}); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// loadBench fills the database: the patients are generated and indexed on
// every CPU, and committed in batches of benchBatch writes, one unit each.
func loadBench(b *testing.B, path string, g *benchData) {
	b.Helper()
	s, err := Open(path, Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// A large page cache for the writer while the indexes grow.
	if _, err := s.DB().Exec("PRAGMA cache_size = -1048576"); err != nil { // 1 GiB
		b.Fatal(err)
	}
	reg, _ := search.NewRegistry(servedTypes())
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	work := make(chan int)
	batches := make(chan []store.Write, 4)
	var genErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			var batch []store.Write
			for i := range work {
				ws, err := g.patient(reg, i, now)
				if err != nil {
					once.Do(func() { genErr = err })
					continue
				}
				batch = append(batch, ws...)
				if len(batch) >= benchBatch {
					batches <- batch
					batch = nil
				}
			}
			if len(batch) > 0 {
				batches <- batch
			}
		})
	}
	go func() {
		for i := range benchPatients {
			work <- i
		}
		close(work)
		wg.Wait()
		close(batches)
	}()

	start := time.Now()
	written, entries := 0, 0
	last := start
	for batch := range batches {
		unit := func(tx store.Tx) error {
			for _, w := range batch {
				if err := tx.Put(w); err != nil {
					return err
				}
			}
			return nil
		}
		results, err := s.Commit(context.Background(), []func(store.Tx) error{unit}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if results[0] != nil {
			b.Fatal(results[0])
		}
		written += len(batch)
		for _, w := range batch {
			entries += len(w.Index)
		}
		if time.Since(last) > 30*time.Second {
			last = time.Now()
			b.Logf("loaded %d resources, %d index entries in %s", written, entries, time.Since(start).Round(time.Second))
		}
	}
	if genErr != nil {
		b.Fatal(genErr)
	}
	loaded := time.Since(start)
	if _, err := s.DB().Exec("ANALYZE"); err != nil {
		b.Fatal(err)
	}
	if _, err := s.DB().Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		b.Fatal(err)
	}
	info, _ := os.Stat(path)
	size := int64(0)
	if info != nil {
		size = info.Size()
	}
	b.Logf("loaded %d resources (%d Observations), %d index entries in %s (%.0f resources/s); ANALYZE in %s; %d MB",
		written, g.total(), entries, loaded.Round(time.Second), float64(written)/loaded.Seconds(),
		(time.Since(start) - loaded).Round(time.Second), size>>20)
	fmt.Printf("load: %d resources, %d index entries, %s, %.0f resources/s, %d MB\n",
		written, entries, loaded.Round(time.Second), float64(written)/loaded.Seconds(), size>>20)
}
