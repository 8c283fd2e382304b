// Package ucum canonicalises UCUM quantities so that values recorded in
// different but commensurable units (kg and [lb_av], mg/dL and g/L) can be
// compared, e.g. by FHIR quantity search.
//
// Unit definitions come from the official UCUM tables as shipped by the npm
// package @lhncbc/ucum-lhc (ucumDefs.min.json, embedded). Units are resolved
// recursively to the UCUM base units m, s, g, rad, K, C and cd, plus two
// deliberate extensions that keep clinically different kinds apart:
//   - mol is a base dimension of its own, not the number 6.0221367e23, so
//     mmol/L is not comparable with a count such as 10*3/uL;
//   - each arbitrary unit ([iU], [CFU], [arb'U], ...) is a dimension of its
//     own, so 5 [iU]/L is not comparable with 5 /L.
//
// The canonical unit string lists these symbols sorted bytewise, joined by
// ".", each followed by its integer exponent unless that is 1: "g" for mass,
// "g.m-1.s-2" for pressure, "s-1" for /min, "mol.m-3" for mmol/L,
// "C-1.g.m2.s-2" for V. A dimensionless quantity (%, {beats}, 10*3) has the
// canonical unit "1", never "". Canonical unit strings are themselves valid
// UCUM expressions with factor 1.
package ucum

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

var (
	// ErrInvalidUnit reports a unit that is malformed or not in UCUM.
	ErrInvalidUnit = errors.New("invalid UCUM unit")
	// ErrNotConvertible reports a valid UCUM unit without a linear or
	// supported affine relation to base units: pH, decibel, prism dioptre,
	// and Cel or [degF] with a prefix or exponent or inside an expression.
	ErrNotConvertible = errors.New("UCUM unit not convertible")
)

// Canonical converts value in UCUM unit code to the canonical form: a
// magnitude in base units and a canonical unit string (see the package
// documentation). Two quantities are comparable iff their canonical unit
// strings are equal. Codes are case-sensitive UCUM, as FHIR requires.
//
// Cel and [degF] are converted affinely to K (37 Cel -> 310.15 K); they must
// stand alone, optionally annotated (Cel{rectal}).
func Canonical(value float64, unit string) (float64, string, error) {
	c, err := lookup(unit)
	if err != nil {
		return 0, "", err
	}
	return c.apply(value), c.unit, nil
}

// Comparable reports whether two unit codes have the same dimension. It is
// false if either code is invalid or not convertible.
func Comparable(a, b string) bool {
	ca, err := lookup(a)
	if err != nil {
		return false
	}
	cb, err := lookup(b)
	return err == nil && ca.unit == cb.unit
}

// converter is a compiled unit code.
type converter struct {
	affine func(float64) float64 // offset scales (Cel, [degF]); nil for ratio units
	factor float64
	unit   string
}

func (c *converter) apply(v float64) float64 {
	if c.affine != nil {
		v = c.affine(v)
	}
	return v * c.factor
}

// affine maps a value on an offset scale to its definition unit (K for
// both), keyed by the function name the data gives each special unit.
var affine = map[string]func(float64) float64{
	"Cel":  func(x float64) float64 { return x + 273.15 },
	"degF": func(x float64) float64 { return (x + 459.67) * 5 / 9 },
}

const (
	// maxUnitLen bounds the work one untrusted code (a search parameter) can
	// cause; real UCUM codes are far shorter.
	maxUnitLen = 256
	// maxCached bounds the cache, since codes may come from requests.
	maxCached = 10000
)

var (
	cache    sync.Map // unit code -> *converter
	cacheLen atomic.Int64
)

func lookup(unit string) (*converter, error) {
	if c, ok := cache.Load(unit); ok {
		return c.(*converter), nil
	}
	t, err := load()
	if err != nil {
		return nil, err
	}
	c, err := t.compile(unit)
	if err != nil {
		return nil, fmt.Errorf("ucum: %q: %w", unit, err)
	}
	if cacheLen.Load() < maxCached {
		if _, dup := cache.LoadOrStore(unit, c); !dup {
			cacheLen.Add(1)
		}
	}
	return c, nil
}

func (t *tables) compile(unit string) (*converter, error) {
	switch {
	case unit == "":
		return nil, fmt.Errorf("empty unit: %w", ErrInvalidUnit)
	case len(unit) > maxUnitLen:
		return nil, fmt.Errorf("longer than %d bytes: %w", maxUnitLen, ErrInvalidUnit)
	}
	if a, ok := t.atoms[stripAnnotation(unit)]; ok && a.special != "" {
		return t.compileSpecial(a)
	}
	q, err := t.parse(unit)
	if err != nil {
		return nil, err
	}
	if q.factor <= 0 || math.IsInf(q.factor, 0) || math.IsNaN(q.factor) {
		return nil, fmt.Errorf("magnitude %g out of range: %w", q.factor, ErrInvalidUnit)
	}
	return &converter{factor: roundFactor(q.factor), unit: q.unitString()}, nil
}

// roundFactor drops the binary noise that chains of decimal factors leave
// (mg/dL would give 9.999999999999996 instead of 10). The data's constants
// have at most 12 significant digits, so 15 loses nothing real.
func roundFactor(f float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(f, 'g', 15, 64), 64)
	if err != nil {
		return f
	}
	return r
}

// compileSpecial handles a non-ratio unit standing alone.
func (t *tables) compileSpecial(a *atom) (*converter, error) {
	f, ok := affine[a.special]
	if !ok {
		return nil, fmt.Errorf("special unit %q (function %s): %w", a.code, a.special, ErrNotConvertible)
	}
	q, err := t.resolve(a)
	if err != nil {
		return nil, fmt.Errorf("unit %q: %w", a.code, err)
	}
	return &converter{affine: f, factor: q.factor, unit: q.unitString()}, nil
}

// stripAnnotation drops one trailing annotation: "Cel{oral}" -> "Cel".
func stripAnnotation(unit string) string {
	if strings.HasSuffix(unit, "}") {
		if i := strings.LastIndexByte(unit, '{'); i > 0 {
			return unit[:i]
		}
	}
	return unit
}
