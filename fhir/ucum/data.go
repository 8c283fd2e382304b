package ucum

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
)

// ucumDefs.min.json is data/ucumDefs.min.json from the npm package
// @lhncbc/ucum-lhc. It is refreshed by a repo script, so keep the name.
//
//go:embed ucumDefs.min.json
var defsJSON []byte

// molSymbol is the mole. UCUM defines it as the pure number 6.0221367e23,
// which would make mmol/L commensurable with cell counts such as 10*3/uL.
// For clinical search that is a trap, so the mole is kept as its own base
// dimension; everything defined from it (eq, osm, kat, U) follows.
const molSymbol = "mol"

// prefix is a UCUM prefix such as k (1e3) or u (1e-6).
type prefix struct {
	code  string
	value float64
}

// Resolution states of an atom's definition.
const (
	unresolved uint8 = iota
	resolving
	resolved
)

// atom is a unit symbol without prefix, e.g. m, [lb_av] or mm[Hg]'s m[Hg].
type atom struct {
	code      string
	metric    bool    // may carry a prefix
	special   string  // conversion function name of a non-ratio unit, "" otherwise
	base      string  // non-empty when the atom is itself a dimension
	def       string  // definition as a UCUM expression, e.g. "[gr]" for [lb_av]
	defFactor float64 // def multiplier, e.g. 7000 for [lb_av]

	state uint8
	q     quantity // def resolved to base dimensions
	err   error

	// ucum-lhc's own resolution, kept only to cross-check ours in tests.
	dataMagnitude float64
	dataDim       []float64
}

type tables struct {
	prefixes []prefix // longest code first, so "da" is tried before "d"
	atoms    map[string]*atom
}

var (
	loadOnce sync.Once
	loaded   *tables
	loadErr  error
)

// load parses the embedded definitions once. Every atom is resolved here,
// so the tables are read-only afterwards and safe for concurrent use.
func load() (*tables, error) {
	loadOnce.Do(func() {
		loaded, loadErr = parseDefs(defsJSON)
	})
	return loaded, loadErr
}

// section is the minified layout: one config row naming the columns, then
// one array per record. A config entry is a name or [name, alias].
type section struct {
	Config []any   `json:"config"`
	Data   [][]any `json:"data"`
}

type record struct {
	cols map[string]int
	vals []any
}

func (r record) get(name string) any {
	i, ok := r.cols[name]
	if !ok || i >= len(r.vals) {
		return nil
	}
	return r.vals[i]
}

func (r record) str(name string) string {
	s, _ := r.get(name).(string)
	return s
}

func (r record) num(name string) (float64, bool) {
	f, ok := r.get(name).(float64)
	return f, ok
}

func (r record) flag(name string) bool {
	b, _ := r.get(name).(bool)
	return b
}

func (s section) records() ([]record, error) {
	cols := make(map[string]int, len(s.Config))
	for i, c := range s.Config {
		switch c := c.(type) {
		case string:
			cols[c] = i
		case []any:
			if len(c) > 0 {
				if name, ok := c[0].(string); ok {
					cols[name] = i
				}
			}
		default:
			return nil, fmt.Errorf("config column %d has type %T", i, c)
		}
	}
	recs := make([]record, len(s.Data))
	for i, v := range s.Data {
		recs[i] = record{cols: cols, vals: v}
	}
	return recs, nil
}

func parseDefs(raw []byte) (*tables, error) {
	var f struct {
		Prefixes section `json:"prefixes"`
		Units    section `json:"units"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("ucum: decode definitions: %w", err)
	}
	t := &tables{atoms: map[string]*atom{}}

	prefixes, err := f.Prefixes.records()
	if err != nil {
		return nil, fmt.Errorf("ucum: prefixes: %w", err)
	}
	for _, r := range prefixes {
		v, ok := r.num("value_")
		if r.str("code_") == "" || !ok {
			return nil, fmt.Errorf("ucum: malformed prefix %v", r.vals)
		}
		t.prefixes = append(t.prefixes, prefix{code: r.str("code_"), value: v})
	}
	slices.SortStableFunc(t.prefixes, func(a, b prefix) int { return len(b.code) - len(a.code) })

	units, err := f.Units.records()
	if err != nil {
		return nil, fmt.Errorf("ucum: units: %w", err)
	}
	for _, r := range units {
		// Other sources are pre-combined LOINC expressions such as mg/dL,
		// whose definition columns are copies of one atom's; only the
		// UCUM atoms are definitions.
		if r.str("source_") != "UCUM" {
			continue
		}
		a, err := newAtom(r)
		if err != nil {
			return nil, err
		}
		t.atoms[a.code] = a
	}
	if len(t.atoms) == 0 || len(t.prefixes) == 0 {
		return nil, fmt.Errorf("ucum: definitions hold %d atoms and %d prefixes", len(t.atoms), len(t.prefixes))
	}
	// Resolve eagerly so a bad definition fails here (and in the
	// consistency test) rather than at some later, concurrent first use.
	for _, a := range t.atoms {
		t.resolve(a)
	}
	return t, nil
}

func newAtom(r record) (*atom, error) {
	a := &atom{
		code:    r.str("csCode_"),
		metric:  r.flag("isMetric_") || r.flag("isBase_"), // the data leaves base units unflagged
		special: r.str("cnv_"),
		def:     r.str("csUnitString_"),
	}
	if a.code == "" {
		return nil, fmt.Errorf("ucum: unit without code: %v", r.vals)
	}
	if a.special == "" && r.flag("isSpecial_") {
		a.special = "unnamed"
	}
	a.defFactor, _ = r.num("baseFactor_")
	a.dataMagnitude, _ = r.num("magnitude_")
	if dim, ok := r.get("dim_").([]any); ok {
		for _, d := range dim {
			f, _ := d.(float64)
			a.dataDim = append(a.dataDim, f)
		}
	}
	switch {
	case r.flag("isBase_"), a.code == molSymbol:
		a.base = a.code
	case r.flag("isArbitrary_") && (a.def == "" || a.def == "1"):
		// Arbitrary units ([iU], [CFU], ...) compare only with themselves,
		// so each one is a dimension of its own.
		a.base = a.code
	case a.def == "":
		return nil, fmt.Errorf("ucum: unit %q has no definition", a.code)
	}
	return a, nil
}

// resolve expands an atom's definition into base dimensions, recursing
// through the atoms the definition uses.
func (t *tables) resolve(a *atom) (quantity, error) {
	switch a.state {
	case resolved:
		return a.q, a.err
	case resolving:
		return quantity{}, fmt.Errorf("definition of %q is circular: %w", a.code, ErrInvalidUnit)
	}
	a.state = resolving
	a.q, a.err = t.define(a)
	a.state = resolved
	return a.q, a.err
}

func (t *tables) define(a *atom) (quantity, error) {
	if a.base != "" {
		return quantity{factor: 1, dims: map[string]int{a.base: 1}}, nil
	}
	q, err := t.parse(a.def)
	if err != nil {
		return quantity{}, fmt.Errorf("definition %q of %q: %w", a.def, a.code, err)
	}
	if a.special != "" {
		// The conversion function already carries the scale (5/9 for degF).
		return q, nil
	}
	if a.defFactor == 0 {
		return quantity{}, fmt.Errorf("unit %q has no definition factor: %w", a.code, ErrInvalidUnit)
	}
	return q.scale(a.defFactor), nil
}
