package mongo

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/clinic/ehr/internal/search"
)

// parseExpr reads an expression in the S-expression form that search.Expr's
// String prints, so that golden files can state their input as one line.
func parseExpr(src string) (search.Expr, error) {
	p := &sexprParser{toks: tokenize(src)}
	x, err := p.expr()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("trailing input at token %d: %q", p.pos, p.toks[p.pos])
	}
	return x, nil
}

func tokenize(src string) []string {
	var toks []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case unicode.IsSpace(rune(c)):
			i++
		case c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		case c == '"':
			j := i + 1
			for j < len(src) && src[j] != '"' {
				if src[j] == '\\' {
					j++
				}
				j++
			}
			toks = append(toks, src[i:min(j+1, len(src))])
			i = j + 1
		default:
			j := i
			for j < len(src) && !unicode.IsSpace(rune(src[j])) && src[j] != '(' && src[j] != ')' {
				j++
			}
			toks = append(toks, src[i:j])
			i = j
		}
	}
	return toks
}

type sexprParser struct {
	toks []string
	pos  int
}

func (p *sexprParser) next() (string, error) {
	if p.pos >= len(p.toks) {
		return "", fmt.Errorf("unexpected end of input")
	}
	t := p.toks[p.pos]
	p.pos++
	return t, nil
}

func (p *sexprParser) peek() string {
	if p.pos >= len(p.toks) {
		return ""
	}
	return p.toks[p.pos]
}

func (p *sexprParser) expect(tok string) error {
	t, err := p.next()
	if err != nil {
		return err
	}
	if t != tok {
		return fmt.Errorf("want %q, got %q", tok, t)
	}
	return nil
}

func (p *sexprParser) expr() (search.Expr, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	head, err := p.next()
	if err != nil {
		return nil, err
	}
	var x search.Expr
	switch head {
	case "match":
		x, err = p.match()
	case "missing":
		x, err = p.missing()
	case "and", "or":
		var xs []search.Expr
		xs, err = p.list()
		if head == "and" {
			x = search.And(xs)
		} else {
			x = search.Or(xs)
		}
	case "not":
		var sub search.Expr
		sub, err = p.expr()
		x = search.Not{X: sub}
	case "id":
		x, err = p.ids()
	case "chain", "has":
		var a, b string
		if a, err = p.next(); err != nil {
			return nil, err
		}
		if b, err = p.next(); err != nil {
			return nil, err
		}
		var sub search.Expr
		sub, err = p.expr()
		if head == "chain" {
			x = search.Chain{Param: a, Target: b, Where: sub}
		} else {
			x = search.Has{Type: a, Param: b, Where: sub}
		}
	default:
		return nil, fmt.Errorf("unknown node %q", head)
	}
	if err != nil {
		return nil, err
	}
	return x, p.expect(")")
}

func (p *sexprParser) list() ([]search.Expr, error) {
	var xs []search.Expr
	for p.peek() == "(" {
		x, err := p.expr()
		if err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	return xs, nil
}

func (p *sexprParser) match() (search.Expr, error) {
	param, err := p.next()
	if err != nil {
		return nil, err
	}
	m := search.Match{Param: param}
	for p.peek() == "(" {
		p.pos++
		op, err := p.next()
		if err != nil {
			return nil, err
		}
		field, err := p.next()
		if err != nil {
			return nil, err
		}
		lit, err := p.next()
		if err != nil {
			return nil, err
		}
		v, err := literalValue(lit)
		if err != nil {
			return nil, err
		}
		m.Conds = append(m.Conds, search.Cond{Field: search.Field(field), Op: search.Op(op), Value: v})
		if err := p.expect(")"); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (p *sexprParser) missing() (search.Expr, error) {
	param, err := p.next()
	if err != nil {
		return nil, err
	}
	flag, err := p.next()
	if err != nil {
		return nil, err
	}
	b, err := strconv.ParseBool(flag)
	if err != nil {
		return nil, err
	}
	return search.Missing{Param: param, Missing: b}, nil
}

func (p *sexprParser) ids() (search.Expr, error) {
	ids := search.IDIn{}
	for strings.HasPrefix(p.peek(), `"`) {
		t, _ := p.next()
		id, err := strconv.Unquote(t)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func literalValue(tok string) (any, error) {
	if strings.HasPrefix(tok, `"`) {
		return strconv.Unquote(tok)
	}
	return strconv.ParseFloat(tok, 64)
}
