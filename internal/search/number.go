package search

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Number parameters. Entry: Lo, Hi = the range the significant digits
// imply: 100 → [99.5, 100.5], 1.50 → [1.495, 1.505], 1e2 → [50, 150]
// (one significant digit). Query: a prefix (prefix.go) and a decimal.

type numberKind struct{}

func (numberKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, it := range items {
		text, ok := numberText(it.v)
		if !ok {
			continue
		}
		d, err := parseDecimal(text)
		if err != nil {
			return nil, err
		}
		out = append(out, IndexEntry{Param: p.Code, Lo: ptr(d.lo), Hi: ptr(d.hi)})
	}
	return out, nil
}

// numberText returns a JSON number's text; decoders that keep json.Number
// preserve the precision the client wrote (1.50), float64 cannot.
func numberText(v any) (string, bool) {
	switch v := v.(type) {
	case json.Number:
		return v.String(), true
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), true
	}
	return "", false
}

func (numberKind) sortValue(e IndexEntry) (any, bool) { return lowEnd(e) }

func lowEnd(e IndexEntry) (any, bool) {
	if e.Lo == nil {
		return nil, false
	}
	return *e.Lo, true
}

func (k numberKind) query(p *Param, mod, value string) (Expr, error) {
	if mod != "" {
		return nil, errUnsupportedModifier(mod)
	}
	conds, negate, err := k.partConds(p, value)
	if err != nil {
		return nil, err
	}
	return matchOrNot(p.Code, conds, negate), nil
}

func (numberKind) partConds(p *Param, value string) ([]Cond, bool, error) {
	pfx, num, err := splitPrefix(value)
	if err != nil {
		return nil, false, err
	}
	d, err := parseDecimal(num)
	if err != nil {
		return nil, false, err
	}
	slo, shi := d.searchRange(pfx)
	conds, negate := rangeConds(pfx, slo, shi, FieldLo, FieldHi)
	return conds, negate, nil
}

// decimal is a parsed decimal with the range its precision implies.
type decimal struct {
	v, lo, hi float64
}

// searchRange is the range a prefix compares with: the value itself for
// gt, lt, ge, le, sa, eb; the precision range for eq and ne; for ap the
// wider of ±10% and the precision range.
func (d decimal) searchRange(p prefix) (lo, hi float64) {
	switch {
	case p == pfxAp:
		margin := math.Abs(d.v) / 10
		return math.Min(d.lo, d.v-margin), math.Max(d.hi, d.v+margin)
	case p.exact():
		return d.v, d.v
	}
	return d.lo, d.hi
}

// parseDecimal reads [-+]digits[.digits][e[-+]digits]. The bounds are
// computed from the digits, (10·M ± 5)·10^(e-1), and parsed as decimals, so
// that 1.50 gives exactly the doubles nearest 1.495 and 1.505.
func parseDecimal(s string) (decimal, error) {
	bad := func() (decimal, error) { return decimal{}, fmt.Errorf("%q is not a decimal number", s) }
	body, neg := s, false
	if body != "" && (body[0] == '-' || body[0] == '+') {
		body, neg = body[1:], body[0] == '-'
	}
	mant, expText, hasExp := strings.Cut(strings.ToLower(body), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" || !isDigits(intPart) || !isDigits(frac) || strings.Count(mant, ".") > 1 ||
		strings.HasSuffix(mant, ".") {
		return bad()
	}
	exp := 0
	if hasExp {
		e, err := strconv.Atoi(expText)
		if err != nil || e > 300 || e < -300 {
			return bad()
		}
		exp = e
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return bad()
	}
	scale := exp - len(frac) // the last digit's power of ten
	digits := strings.TrimLeft(intPart+frac, "0")
	var lo, hi float64
	if len(digits) <= 17 {
		m, _ := strconv.ParseInt("0"+digits, 10, 64)
		lo, _ = strconv.ParseFloat(fmt.Sprintf("%de%d", 10*m-5, scale-1), 64)
		hi, _ = strconv.ParseFloat(fmt.Sprintf("%de%d", 10*m+5, scale-1), 64)
	} else { // beyond int64: the float rounding no longer matters
		half := 5 * math.Pow10(scale-1)
		lo, hi = math.Abs(v)-half, math.Abs(v)+half
	}
	if neg {
		lo, hi = -hi, -lo
	}
	return decimal{v: v, lo: lo, hi: hi}, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
