package ucum

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// quantity is a magnitude times a product of base dimensions.
// Values are never mutated once built: atoms share theirs.
type quantity struct {
	factor float64
	dims   map[string]int // symbol -> exponent; zero exponents are dropped
}

func one() quantity { return quantity{factor: 1} }

func (q quantity) scale(f float64) quantity {
	return quantity{factor: q.factor * f, dims: q.dims}
}

// mul returns q * r^sign, where sign is 1 or -1.
func (q quantity) mul(r quantity, sign int) quantity {
	out := quantity{factor: q.factor, dims: maps.Clone(q.dims)}
	if sign < 0 {
		out.factor /= r.factor
	} else {
		out.factor *= r.factor
	}
	for sym, e := range r.dims {
		if out.dims == nil {
			out.dims = map[string]int{}
		}
		out.dims[sym] += sign * e
		if out.dims[sym] == 0 {
			delete(out.dims, sym)
		}
	}
	return out
}

func (q quantity) pow(n int) quantity {
	if n == 1 {
		return q
	}
	out := quantity{factor: math.Pow(q.factor, float64(n))}
	if n != 0 && len(q.dims) > 0 {
		out.dims = make(map[string]int, len(q.dims))
		for sym, e := range q.dims {
			out.dims[sym] = e * n
		}
	}
	return out
}

// unitString renders the dimensions as a UCUM expression: symbols sorted
// bytewise, "." between them, exponent 1 omitted, "1" when dimensionless.
// The result parses back to the same quantity with factor 1.
func (q quantity) unitString() string {
	if len(q.dims) == 0 {
		return "1"
	}
	var b strings.Builder
	for i, sym := range slices.Sorted(maps.Keys(q.dims)) {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(sym)
		if e := q.dims[sym]; e != 1 {
			b.WriteString(strconv.Itoa(e))
		}
	}
	return b.String()
}

// parser reads a UCUM expression (case-sensitive codes):
//
//	main      = ["/"] term
//	term      = component { ("." | "/") component }   left-associative
//	component = "(" term ")" | annotation | factor | symbol [exponent] [annotation]
type parser struct {
	t   *tables
	s   string
	pos int
}

func (t *tables) parse(expr string) (quantity, error) {
	p := parser{t: t, s: expr}
	q, err := p.term()
	if err != nil {
		return quantity{}, err
	}
	if p.pos < len(p.s) {
		return quantity{}, p.errorf("unexpected %q", p.s[p.pos])
	}
	return q, nil
}

func (p *parser) errorf(format string, args ...any) error {
	return fmt.Errorf("at offset %d: %s: %w", p.pos, fmt.Sprintf(format, args...), ErrInvalidUnit)
}

func (p *parser) term() (quantity, error) {
	q, sign := one(), 1
	if p.pos < len(p.s) && p.s[p.pos] == '/' { // "/min"
		sign = -1
		p.pos++
	}
	for {
		c, err := p.component()
		if err != nil {
			return quantity{}, err
		}
		q = q.mul(c, sign)
		if p.pos >= len(p.s) {
			return q, nil
		}
		switch p.s[p.pos] {
		case '.':
			sign = 1
		case '/':
			sign = -1
		default:
			return q, nil
		}
		p.pos++
	}
}

func (p *parser) component() (quantity, error) {
	if p.pos >= len(p.s) {
		return quantity{}, p.errorf("missing unit")
	}
	switch p.s[p.pos] {
	case '(':
		p.pos++
		q, err := p.term()
		if err != nil {
			return quantity{}, err
		}
		if p.pos >= len(p.s) || p.s[p.pos] != ')' {
			return quantity{}, p.errorf("missing )")
		}
		p.pos++
		return q, nil
	case '{':
		// A bare annotation such as {cells} counts as the unit 1.
		return one(), p.annotation()
	}
	sym, err := p.symbol()
	if err != nil {
		return quantity{}, err
	}
	q, err := p.annotatable(sym)
	if err != nil {
		return quantity{}, err
	}
	if p.pos < len(p.s) && p.s[p.pos] == '{' {
		return q, p.annotation()
	}
	return q, nil
}

// annotation skips "{...}"; annotations carry no meaning for conversion.
func (p *parser) annotation() error {
	end := strings.IndexByte(p.s[p.pos:], '}')
	if end < 0 {
		return p.errorf("unterminated annotation")
	}
	if strings.IndexByte(p.s[p.pos+1:p.pos+end], '{') >= 0 {
		return p.errorf("nested annotation")
	}
	p.pos += end + 1
	return nil
}

// symbol reads a prefixed atom with its exponent, e.g. "mm[Hg]", "cm3" or
// "10*-3". Square brackets may hold any character, as in "B[10.nV]".
func (p *parser) symbol() (string, error) {
	start := p.pos
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		switch {
		case c == '.' || c == '/' || c == '(' || c == ')' || c == '{':
			return p.s[start:p.pos], p.emptyCheck(start)
		case c == '[':
			end := strings.IndexByte(p.s[p.pos:], ']')
			if end < 0 {
				return "", p.errorf("unterminated [")
			}
			p.pos += end + 1
		case c == ']' || c == '}' || c <= ' ' || c > '~':
			return "", p.errorf("unexpected %q", c)
		default:
			p.pos++
		}
	}
	return p.s[start:], p.emptyCheck(start)
}

func (p *parser) emptyCheck(start int) error {
	if p.pos == start {
		return p.errorf("missing unit")
	}
	return nil
}

// annotatable turns "cm3" into (c, m, 3) or "24" into the number 24.
func (p *parser) annotatable(sym string) (quantity, error) {
	if isDigits(sym) {
		f, err := strconv.ParseFloat(sym, 64)
		if err != nil {
			return quantity{}, fmt.Errorf("factor %q: %w", sym, ErrInvalidUnit)
		}
		return one().scale(f), nil
	}
	code, exp := sym, 1
	i := len(sym)
	for i > 0 && isDigit(sym[i-1]) {
		i--
	}
	if i < len(sym) {
		if i > 0 && (sym[i-1] == '-' || sym[i-1] == '+') {
			i--
		}
		e, err := strconv.Atoi(sym[i:])
		if err != nil || i == 0 {
			return quantity{}, fmt.Errorf("exponent in %q: %w", sym, ErrInvalidUnit)
		}
		code, exp = sym[:i], e
	}
	q, err := p.t.unit(code)
	if err != nil {
		return quantity{}, err
	}
	return q.pow(exp), nil
}

// unit resolves an optionally prefixed atom such as "mg" or "[lb_av]".
func (t *tables) unit(code string) (quantity, error) {
	if a, ok := t.atoms[code]; ok {
		return t.ratioAtom(a, code)
	}
	err := fmt.Errorf("unknown unit %q: %w", code, ErrInvalidUnit)
	for _, pf := range t.prefixes {
		rest, ok := strings.CutPrefix(code, pf.code)
		if !ok {
			continue
		}
		a, ok := t.atoms[rest]
		if !ok {
			continue
		}
		if a.special == "" && !a.metric {
			// Keep looking: another prefix split might still fit.
			err = fmt.Errorf("unit %q takes no prefix (in %q): %w", rest, code, ErrInvalidUnit)
			continue
		}
		q, err := t.ratioAtom(a, code)
		if err != nil {
			return quantity{}, err
		}
		return q.scale(pf.value), nil
	}
	return quantity{}, err
}

// ratioAtom returns a's quantity, refusing special units: those are only
// convertible standing alone (see Canonical), never prefixed, raised to a
// power or combined.
func (t *tables) ratioAtom(a *atom, code string) (quantity, error) {
	if a.special != "" {
		return quantity{}, fmt.Errorf("special unit %q cannot take a prefix or exponent or be combined (in %q): %w",
			a.code, code, ErrNotConvertible)
	}
	q, err := t.resolve(a)
	if err != nil {
		return quantity{}, fmt.Errorf("unit %q: %w", a.code, err)
	}
	return q, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isDigits(s string) bool {
	for i := range len(s) {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}
