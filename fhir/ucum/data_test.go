package ucum

import (
	"encoding/json"
	"strings"
	"testing"
)

// dataQuirks are units whose precomputed magnitude in the data disagrees
// with their own UCUM definition; we follow the definition.
var dataQuirks = map[string]bool{
	"[LPF]": true, // defined as 100 (1), i.e. 100 [HPF]; ucum-lhc says 1
}

// dataChecker compares our resolution with the magnitude and dimension
// vector ucum-lhc precomputed for each unit in the same file.
type dataChecker struct {
	avogadro float64        // ucum-lhc's magnitude of mol, which it keeps dimensionless
	baseIdx  map[string]int // base symbol -> index in the data's dimension vector
}

func newDataChecker(t *testing.T, tb *tables) dataChecker {
	t.Helper()
	c := dataChecker{avogadro: tb.atoms[molSymbol].dataMagnitude, baseIdx: map[string]int{}}
	for _, a := range tb.atoms {
		for i, d := range a.dataDim {
			if a.base == a.code && d == 1 {
				c.baseIdx[a.code] = i
			}
		}
	}
	if len(c.baseIdx) != 7 || c.avogadro < 6e23 {
		t.Fatalf("unexpected data: bases %v, mol magnitude %g", c.baseIdx, c.avogadro)
	}
	return c
}

// check returns "" if q agrees with the data's magnitude and dimensions.
func (c dataChecker) check(factor float64, dims map[string]int, magnitude float64, dim []float64) string {
	want := make([]float64, len(dim))
	for sym, e := range dims {
		switch i, ok := c.baseIdx[sym]; {
		case ok:
			want[i] = float64(e)
		case sym == molSymbol:
			factor *= pow(c.avogadro, e)
		}
		// Arbitrary units are dimensionless in the data.
	}
	for i := range dim {
		if dim[i] != want[i] {
			return "dimensions differ"
		}
	}
	if !near(factor, magnitude, 1e-9) {
		return "magnitudes differ"
	}
	return ""
}

func pow(f float64, n int) float64 {
	r := 1.0
	for range max(n, -n) {
		r *= f
	}
	if n < 0 {
		return 1 / r
	}
	return r
}

func TestAtomsMatchData(t *testing.T) {
	tb, err := load()
	if err != nil {
		t.Fatal(err)
	}
	c := newDataChecker(t, tb)
	if len(tb.atoms) < 300 {
		t.Errorf("only %d atoms loaded", len(tb.atoms))
	}
	for code, a := range tb.atoms {
		q, err := tb.resolve(a)
		if err != nil {
			t.Errorf("%s: %v", code, err)
			continue
		}
		if a.special != "" || dataQuirks[code] {
			continue // a special unit's data magnitude is its function's scale
		}
		if msg := c.check(q.factor, q.dims, a.dataMagnitude, a.dataDim); msg != "" {
			t.Errorf("%s = %g %v: %s from data %g %v", code, q.factor, q.dims, msg, a.dataMagnitude, a.dataDim)
		}
	}
}

// The data also lists several hundred clinical expressions from LOINC
// (mg/dL, 10*3/uL, mL/min/{1.73_m2}, ...) with ucum-lhc's own resolution:
// a realistic cross-check of the parser.
func TestLOINCExpressionsMatchData(t *testing.T) {
	tb, err := load()
	if err != nil {
		t.Fatal(err)
	}
	c := newDataChecker(t, tb)
	var f struct {
		Units section `json:"units"`
	}
	if err := json.Unmarshal(defsJSON, &f); err != nil {
		t.Fatal(err)
	}
	recs, err := f.Units.records()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range recs {
		code := strings.TrimSpace(r.str("csCode_")) // a few carry a stray space
		if r.str("source_") == "UCUM" || r.str("cnv_") != "" || strings.Contains(code, "[LPF]") {
			continue
		}
		n++
		q, err := tb.parse(code)
		if err != nil {
			t.Errorf("%s: %v", code, err)
			continue
		}
		magnitude, _ := r.num("magnitude_")
		var dim []float64
		for _, d := range r.get("dim_").([]any) {
			dim = append(dim, d.(float64))
		}
		if msg := c.check(q.factor, q.dims, magnitude, dim); msg != "" {
			t.Errorf("%s = %g %v: %s from data %g %v", code, q.factor, q.dims, msg, magnitude, dim)
		}
	}
	if n < 400 {
		t.Errorf("only %d LOINC expressions checked", n)
	}
}
