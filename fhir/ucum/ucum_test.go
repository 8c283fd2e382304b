package ucum

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// near reports whether got is within relative tolerance tol of want.
func near(got, want, tol float64) bool {
	if want == 0 {
		return math.Abs(got) <= tol
	}
	return math.Abs(got-want) <= tol*math.Abs(want)
}

type q struct {
	value float64
	unit  string
}

func TestCanonical(t *testing.T) {
	tests := []struct {
		name string
		in   []q     // all must canonicalise to want
		want q       // canonical magnitude and unit
		tol  float64 // relative; default 1e-12
	}{
		{"kg and g", []q{{1, "kg"}, {1000, "g"}}, q{1000, "g"}, 0},
		{"pounds", []q{{154.3, "[lb_av]"}, {69.99, "kg"}}, q{69990, "g"}, 1e-4},
		{"inches", []q{{70, "[in_i]"}, {177.8, "cm"}, {1.778, "m"}}, q{1.778, "m"}, 0},
		{"body temperature", []q{{37, "Cel"}, {98.6, "[degF]"}, {310.15, "K"}, {37, "Cel{oral}"}}, q{310.15, "K"}, 0},
		{"freezing", []q{{0, "Cel"}, {32, "[degF]"}}, q{273.15, "K"}, 0},
		{"blood pressure", []q{{120, "mm[Hg]"}, {15998.64, "Pa"}, {15.99864, "kPa"}}, q{15998640, "g.m-1.s-2"}, 0},
		{"heart rate", []q{{72, "/min"}, {72, "{beats}/min"}, {1.2, "s-1"}, {1.2, "Hz"}, {4320, "/h"}}, q{1.2, "s-1"}, 0},
		{"percent", []q{{98, "%"}, {0.98, "1"}, {980, "[ppth]"}, {0.98, "{ratio}"}}, q{0.98, "1"}, 0},
		{"BMI", []q{{24.5, "kg/m2"}, {24500, "g/m2"}, {2.45, "g/cm2"}}, q{24500, "g.m-2"}, 0},
		{"glucose molar", []q{{5.5, "mmol/L"}, {5.5, "mol/m3"}, {0.0055, "mol/L"}, {5500, "umol/L"}}, q{5.5, "m-3.mol"}, 0},
		{"glucose mass", []q{{100, "mg/dL"}, {1, "g/L"}, {1000, "mg/L"}}, q{1000, "g.m-3"}, 0},
		{"leukocytes", []q{{4.5, "10*3/uL"}, {4.5, "10^3/uL"}, {4.5, "10*9/L"}, {4.5e9, "/L"}, {4500, "/uL"}}, q{4.5e12, "m-3"}, 0},
		{"volumes", []q{{1, "L"}, {1000, "mL"}, {10, "dL"}, {1, "dm3"}, {1000, "cm3"}, {1, "l"}}, q{0.001, "m3"}, 0},
		{"creatinine clearance", []q{{60, "mL/min"}, {1, "mL/s"}}, q{1e-6, "m3.s-1"}, 0},
		{"left-assoc division", []q{{1, "mL/min/kg"}, {1, "mL/(min.kg)"}}, q{1.0 / 60 / 1e9, "g-1.m3.s-1"}, 0},
		{"international units", []q{{5, "[iU]/L"}, {5, "[IU]/L"}, {5000, "m[IU]/L"}}, q{5000, "[iU].m-3"}, 0},
		{"enzyme activity", []q{{60, "U/L"}, {1, "umol/s/L"}}, q{1e-3, "m-3.mol.s-1"}, 0},
		{"equivalents", []q{{140, "meq/L"}, {140, "mmol/L"}}, q{140, "m-3.mol"}, 0},
		{"annotated product", []q{{2, "mg{creat}/g"}, {2, "mg/g{creat}"}}, q{0.002, "1"}, 0},
		{"factor", []q{{1, "24.h"}, {1, "d"}}, q{86400, "s"}, 0},
		{"rankine is ratio", []q{{491.67, "[degR]"}}, q{273.15, "K"}, 0},
		{"canonical strings parse", []q{{1, "C-1.g.m2.s-2"}, {1, "mV"}}, q{1, "C-1.g.m2.s-2"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tol := tt.tol
			if tol == 0 {
				tol = 1e-12
			}
			for _, in := range tt.in {
				v, u, err := Canonical(in.value, in.unit)
				if err != nil {
					t.Fatalf("Canonical(%v, %q): %v", in.value, in.unit, err)
				}
				if u != tt.want.unit || !near(v, tt.want.value, tol) {
					t.Errorf("Canonical(%v, %q) = %v %q, want %v %q", in.value, in.unit, v, u, tt.want.value, tt.want.unit)
				}
			}
		})
	}
}

func TestComparable(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"kg", "[lb_av]", true},
		{"kg", "cm", false},
		{"Cel", "[degF]", true},
		{"Cel", "K", true},
		{"mm[Hg]", "kPa", true},
		{"mmol/L", "mol/L", true},
		{"mmol/L", "mg/dL", false},
		{"mmol/L", "10*3/uL", false}, // mol is kept apart from counts
		{"[iU]/L", "/L", false},      // arbitrary units are their own kind
		{"[iU]/L", "[IU]/mL", true},
		{"%", "1", true},
		{"{beats}/min", "Hz", true},
		{"kg", "foo", false},
		{"[pH]", "[pH]", false}, // not convertible
	}
	for _, tt := range tests {
		if got := Comparable(tt.a, tt.b); got != tt.want {
			t.Errorf("Comparable(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCanonicalErrors(t *testing.T) {
	tests := []struct {
		unit    string
		want    error
		mention string // the offending unit, named in the message
	}{
		{"foo", ErrInvalidUnit, `"foo"`},
		{"mg/foo", ErrInvalidUnit, `"foo"`},
		{"mEq/L", ErrInvalidUnit, `"mEq"`},
		{"k[lb_av]", ErrInvalidUnit, `"[lb_av]"`},
		{"kmin", ErrInvalidUnit, `"min"`},
		{"", ErrInvalidUnit, "empty"},
		{"m/", ErrInvalidUnit, "missing unit"},
		{"(m", ErrInvalidUnit, "missing )"},
		{"m)", ErrInvalidUnit, "unexpected"},
		{"m{x", ErrInvalidUnit, "annotation"},
		{"[lb_av", ErrInvalidUnit, "["},
		{"m 2", ErrInvalidUnit, "unexpected"},
		{"m..s", ErrInvalidUnit, "missing unit"},
		{"0.m", ErrInvalidUnit, "magnitude"},
		{"km999", ErrInvalidUnit, "magnitude"},
		{strings.Repeat("m.", 200) + "m", ErrInvalidUnit, "longer"},
		{"Cel2", ErrNotConvertible, `"Cel"`},
		{"kCel", ErrNotConvertible, `"Cel"`},
		{"Cel/h", ErrNotConvertible, `"Cel"`},
		{"[degF]2", ErrNotConvertible, `"[degF]"`},
		{"[pH]", ErrNotConvertible, `"[pH]"`},
		{"dB", ErrNotConvertible, `"B"`},
		{"[p'diop]", ErrNotConvertible, `"[p'diop]"`},
	}
	for _, tt := range tests {
		_, _, err := Canonical(1, tt.unit)
		if !errors.Is(err, tt.want) {
			t.Errorf("Canonical(1, %q) error = %v, want %v", tt.unit, err, tt.want)
			continue
		}
		if !strings.Contains(err.Error(), tt.mention) {
			t.Errorf("Canonical(1, %q) error %q does not mention %s", tt.unit, err, tt.mention)
		}
	}
}

// The canonical unit is documented to parse back to itself with factor 1.
func TestCanonicalUnitRoundTrips(t *testing.T) {
	for _, unit := range []string{"kg", "mm[Hg]", "mmol/L", "[IU]/L", "V", "Ohm", "%", "10*3/uL", "Cel", "U/L"} {
		_, canon, err := Canonical(1, unit)
		if err != nil {
			t.Fatalf("Canonical(1, %q): %v", unit, err)
		}
		v, again, err := Canonical(1, canon)
		if err != nil || again != canon || v != 1 {
			t.Errorf("Canonical(1, %q) = %v %q, %v; want 1 %q", canon, v, again, err, canon)
		}
	}
}

func TestConcurrentFirstUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			unit := fmt.Sprintf("10*%d.mg/dL", i%4) // some codes shared, some not
			if _, _, err := Canonical(1, unit); err != nil {
				t.Errorf("Canonical(1, %q): %v", unit, err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkCanonical(b *testing.B) {
	units := []string{"kg", "[lb_av]", "mm[Hg]", "mmol/L", "mg/dL", "10*3/uL", "{beats}/min", "Cel", "mL/min/{1.73_m2}"}
	for i := 0; b.Loop(); i++ {
		if _, _, err := Canonical(42, units[i%len(units)]); err != nil {
			b.Fatal(err)
		}
	}
}
