package sqlite

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/clinic/ehr/internal/search"
)

// parseExpr reads the S-expressions that search.Expr's String methods print,
// so that golden files can state their input the way planner tests show it.
func parseExpr(src string) (search.Expr, error) {
	r := &sexprReader{src: src}
	x, err := r.expr()
	if err != nil {
		return nil, err
	}
	if r.skipSpace(); r.pos != len(r.src) {
		return nil, fmt.Errorf("trailing text at %d: %q", r.pos, r.src[r.pos:])
	}
	return x, nil
}

type sexprReader struct {
	src string
	pos int
}

func (r *sexprReader) skipSpace() {
	for r.pos < len(r.src) && strings.ContainsRune(" \t\n", rune(r.src[r.pos])) {
		r.pos++
	}
}

// token returns "(", ")", a quoted string (still quoted) or an atom.
func (r *sexprReader) token() (string, error) {
	r.skipSpace()
	if r.pos >= len(r.src) {
		return "", fmt.Errorf("unexpected end")
	}
	start := r.pos
	switch c := r.src[r.pos]; {
	case c == '(' || c == ')':
		r.pos++
	case c == '"':
		r.pos++
		for r.pos < len(r.src) && r.src[r.pos] != '"' {
			if r.src[r.pos] == '\\' {
				r.pos++
			}
			r.pos++
		}
		r.pos++
		if r.pos > len(r.src) {
			return "", fmt.Errorf("unterminated string at %d", start)
		}
	default:
		for r.pos < len(r.src) && !strings.ContainsRune(" \t\n()", rune(r.src[r.pos])) {
			r.pos++
		}
	}
	return r.src[start:r.pos], nil
}

func (r *sexprReader) expect(want string) error {
	tok, err := r.token()
	if err != nil {
		return err
	}
	if tok != want {
		return fmt.Errorf("at %d: got %q, want %q", r.pos, tok, want)
	}
	return nil
}

// peekClose reports whether the next token closes a list, consuming it.
func (r *sexprReader) peekClose() bool {
	r.skipSpace()
	if r.pos < len(r.src) && r.src[r.pos] == ')' {
		r.pos++
		return true
	}
	return false
}

func (r *sexprReader) expr() (search.Expr, error) {
	if err := r.expect("("); err != nil {
		return nil, err
	}
	head, err := r.token()
	if err != nil {
		return nil, err
	}
	switch head {
	case "match":
		m := search.Match{}
		if m.Param, err = r.token(); err != nil {
			return nil, err
		}
		for !r.peekClose() {
			c, err := r.cond()
			if err != nil {
				return nil, err
			}
			m.Conds = append(m.Conds, c)
		}
		return m, nil
	case "missing":
		m := search.Missing{}
		if m.Param, err = r.token(); err != nil {
			return nil, err
		}
		b, err := r.token()
		if err != nil {
			return nil, err
		}
		if m.Missing, err = strconv.ParseBool(b); err != nil {
			return nil, err
		}
		return m, r.expect(")")
	case "and", "or":
		var xs []search.Expr
		for !r.peekClose() {
			x, err := r.expr()
			if err != nil {
				return nil, err
			}
			xs = append(xs, x)
		}
		if head == "and" {
			return search.And(xs), nil
		}
		return search.Or(xs), nil
	case "not":
		x, err := r.expr()
		if err != nil {
			return nil, err
		}
		return search.Not{X: x}, r.expect(")")
	case "id":
		ids := search.IDIn{}
		for !r.peekClose() {
			tok, err := r.token()
			if err != nil {
				return nil, err
			}
			id, err := strconv.Unquote(tok)
			if err != nil {
				return nil, fmt.Errorf("id %s: %w", tok, err)
			}
			ids = append(ids, id)
		}
		return ids, nil
	case "chain", "has":
		a, err := r.token()
		if err != nil {
			return nil, err
		}
		b, err := r.token()
		if err != nil {
			return nil, err
		}
		x, err := r.expr()
		if err != nil {
			return nil, err
		}
		if head == "chain" {
			return search.Chain{Param: a, Target: b, Where: x}, r.expect(")")
		}
		return search.Has{Type: a, Param: b, Where: x}, r.expect(")")
	}
	return nil, fmt.Errorf("unknown form %q", head)
}

// cond reads (op field literal); a quoted literal is a string, else a number.
func (r *sexprReader) cond() (search.Cond, error) {
	var c search.Cond
	if err := r.expect("("); err != nil {
		return c, err
	}
	op, err := r.token()
	if err != nil {
		return c, err
	}
	field, err := r.token()
	if err != nil {
		return c, err
	}
	lit, err := r.token()
	if err != nil {
		return c, err
	}
	c.Op, c.Field = search.Op(op), search.Field(field)
	if strings.HasPrefix(lit, `"`) {
		c.Value, err = strconv.Unquote(lit)
	} else {
		c.Value, err = strconv.ParseFloat(lit, 64)
	}
	if err != nil {
		return c, fmt.Errorf("literal %s: %w", lit, err)
	}
	return c, r.expect(")")
}
