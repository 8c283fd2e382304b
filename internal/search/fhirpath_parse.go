package search

import (
	"encoding/json"
	"fmt"
	"strings"
)

// This file parses the FHIRPath subset that search-parameter expressions use
// into the node tree of fhirpath.go. The grammar, lowest precedence first,
// follows the FHIRPath specification's operator table:
//
//	expr    := and ('or' and)*
//	and     := eq ('and' eq)*
//	eq      := union (('=' | '!=') union)?
//	union   := typed ('|' typed)*
//	typed   := term (('is' | 'as') typeName)?
//	term    := primary ('.' call)*
//	primary := '(' expr ')' | 'string' | number | true | false | '$this' | call
//	call    := identifier ('(' args ')')?
//
// Everything else (arithmetic, ordering, indexers, environment variables,
// functions outside the list in fhirpath.go) is refused with an error that
// names the construct, so that a parameter is never indexed half-right.

type parser struct {
	toks []token
	i    int
}

// parsePath compiles a FHIRPath expression of the supported subset.
func parsePath(src string) (node, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	n, err := p.expr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, p.unsupported(t)
	}
	if err := checkResolve(n, false); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

// next consumes a token; the final EOF token is never consumed.
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func (p *parser) isWord(w string) bool {
	t := p.peek()
	return t.kind == tokIdent && t.text == w
}

func (p *parser) isSymbol(s string) bool {
	t := p.peek()
	return t.kind == tokSymbol && t.text == s
}

func (p *parser) expect(s string) error {
	if !p.isSymbol(s) {
		t := p.peek()
		if t.kind == tokEOF {
			return fmt.Errorf("expected %q at end of expression", s)
		}
		return fmt.Errorf("expected %q at %d, found %q", s, t.pos, t.text)
	}
	p.i++
	return nil
}

// unsupported names the construct that falls outside the subset.
func (p *parser) unsupported(t token) error {
	switch {
	case t.kind == tokEOF:
		return fmt.Errorf("unexpected end of expression")
	case t.kind == tokSymbol && t.text == "[":
		return fmt.Errorf("unsupported construct: indexer [] at %d", t.pos)
	case t.kind == tokSymbol && t.text == "%":
		return fmt.Errorf("unsupported construct: environment variable at %d", t.pos)
	case t.kind == tokSymbol:
		return fmt.Errorf("unsupported construct: operator %q at %d", t.text, t.pos)
	case t.kind == tokIdent && isKeywordOp(t.text):
		return fmt.Errorf("unsupported construct: operator %q at %d", t.text, t.pos)
	}
	return fmt.Errorf("unexpected %q at %d", t.text, t.pos)
}

func isKeywordOp(w string) bool {
	switch w {
	case "xor", "implies", "div", "mod", "in", "contains":
		return true
	}
	return false
}

func (p *parser) expr() (node, error) {
	left, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord("or") {
		p.i++
		right, err := p.and()
		if err != nil {
			return nil, err
		}
		left = orNode{left, right}
	}
	return left, nil
}

func (p *parser) and() (node, error) {
	left, err := p.eq()
	if err != nil {
		return nil, err
	}
	for p.isWord("and") {
		p.i++
		right, err := p.eq()
		if err != nil {
			return nil, err
		}
		left = andNode{left, right}
	}
	return left, nil
}

func (p *parser) eq() (node, error) {
	left, err := p.union()
	if err != nil {
		return nil, err
	}
	if p.isSymbol("=") || p.isSymbol("!=") {
		neg := p.next().text == "!="
		right, err := p.union()
		if err != nil {
			return nil, err
		}
		return eqNode{left: left, right: right, neg: neg}, nil
	}
	return left, nil
}

func (p *parser) union() (node, error) {
	first, err := p.typed()
	if err != nil {
		return nil, err
	}
	parts := []node{first}
	for p.isSymbol("|") {
		p.i++
		n, err := p.typed()
		if err != nil {
			return nil, err
		}
		parts = append(parts, n)
	}
	if len(parts) == 1 {
		return first, nil
	}
	return unionNode(parts), nil
}

func (p *parser) typed() (node, error) {
	n, err := p.term()
	if err != nil {
		return nil, err
	}
	switch {
	case p.isWord("as"):
		p.i++
		t, err := p.typeName()
		if err != nil {
			return nil, err
		}
		return appendStep(n, asFn{t}), nil
	case p.isWord("is"):
		p.i++
		t, err := p.typeName()
		if err != nil {
			return nil, err
		}
		return appendStep(n, isFn{t}), nil
	}
	return n, nil
}

// appendStep applies step to the result of n, keeping paths flat.
func appendStep(n, step node) node {
	if path, ok := n.(pathNode); ok {
		return append(path[:len(path):len(path)], step)
	}
	return pathNode{n, step}
}

// typeName reads a type specifier, dropping the FHIR. or System. namespace.
func (p *parser) typeName() (string, error) {
	t := p.next()
	if t.kind != tokIdent {
		return "", fmt.Errorf("expected a type name at %d", t.pos)
	}
	name := t.text
	if (name == "FHIR" || name == "System") && p.isSymbol(".") {
		p.i++
		t = p.next()
		if t.kind != tokIdent {
			return "", fmt.Errorf("expected a type name at %d", t.pos)
		}
		name = t.text
	}
	return name, nil
}

// term is a primary followed by invocations: a.b.where(...).first().
func (p *parser) term() (node, error) {
	steps := []node{}
	first, err := p.primary()
	if err != nil {
		return nil, err
	}
	steps = append(steps, first)
	for p.isSymbol(".") {
		p.i++
		t := p.peek()
		if t.kind != tokIdent {
			return nil, p.unsupported(t)
		}
		step, err := p.call(false)
		if err != nil {
			return nil, err
		}
		steps = append(steps, step)
	}
	if p.isSymbol("[") {
		return nil, p.unsupported(p.peek())
	}
	if len(steps) == 1 {
		return first, nil
	}
	return pathNode(steps), nil
}

func (p *parser) primary() (node, error) {
	t := p.peek()
	switch {
	case t.kind == tokSymbol && t.text == "(":
		p.i++
		n, err := p.expr()
		if err != nil {
			return nil, err
		}
		return n, p.expect(")")
	case t.kind == tokString:
		p.i++
		return litNode{item{v: t.text, typ: "string"}}, nil
	case t.kind == tokNumber:
		p.i++
		return litNode{item{v: json.Number(t.text), typ: "decimal"}}, nil
	case t.kind == tokIdent && (t.text == "true" || t.text == "false"):
		p.i++
		return litNode{item{v: t.text == "true", typ: "boolean"}}, nil
	case t.kind == tokIdent && t.text == "$this":
		p.i++
		return thisNode{}, nil
	case t.kind == tokIdent && strings.HasPrefix(t.text, "$"):
		return nil, fmt.Errorf("unsupported construct: %s at %d", t.text, t.pos)
	case t.kind == tokIdent && !isKeywordOp(t.text) && t.text != "and" && t.text != "or":
		return p.call(true)
	}
	return nil, p.unsupported(t)
}

// call reads an element name or a function invocation. A capitalised name
// is a type filter ("Patient" in Patient.name) and only allowed first.
func (p *parser) call(first bool) (node, error) {
	t := p.next()
	if !p.isSymbol("(") {
		if isUpper(t.text[0]) {
			if !first {
				return nil, fmt.Errorf("unsupported construct: type name %q inside a path at %d", t.text, t.pos)
			}
			return typeFilter{t.text}, nil
		}
		return child{t.text}, nil
	}
	p.i++ // (
	fn, err := p.function(t)
	if err != nil {
		return nil, err
	}
	return fn, p.expect(")")
}

// function parses the arguments of a supported function.
func (p *parser) function(name token) (node, error) {
	noArgs := func(n node) (node, error) {
		if !p.isSymbol(")") {
			return nil, fmt.Errorf("unsupported construct: %s() with arguments at %d", name.text, name.pos)
		}
		return n, nil
	}
	switch name.text {
	case "where":
		cond, err := p.expr()
		if err != nil {
			return nil, err
		}
		return whereFn{cond}, nil
	case "exists":
		return noArgs(existsFn{})
	case "empty":
		return noArgs(emptyFn{})
	case "not":
		return noArgs(notFn{})
	case "first":
		return noArgs(firstFn{})
	case "resolve":
		return noArgs(resolveFn{})
	case "as", "ofType":
		t, err := p.typeName()
		if err != nil {
			return nil, err
		}
		return asFn{t}, nil
	case "is":
		t, err := p.typeName()
		if err != nil {
			return nil, err
		}
		return isFn{t}, nil
	case "extension":
		t := p.next()
		if t.kind != tokString {
			return nil, fmt.Errorf("unsupported construct: extension() needs a string literal at %d", t.pos)
		}
		return extensionFn{t.text}, nil
	}
	return nil, fmt.Errorf("unsupported construct: function %s() at %d", name.text, name.pos)
}

func isUpper(c byte) bool { return 'A' <= c && c <= 'Z' }

// checkResolve allows resolve() only as "resolve() is Type" (alone, as the
// operand of is, or followed directly by .is(Type)): without the target
// resource at hand, the referenced type is all resolve() can tell.
func checkResolve(n node, typeTest bool) error {
	switch n := n.(type) {
	case resolveFn:
		if !typeTest {
			return fmt.Errorf("unsupported construct: resolve() other than \"resolve() is Type\"")
		}
	case pathNode:
		for i, s := range n {
			nextIsTest := false
			if i+1 < len(n) {
				_, nextIsTest = n[i+1].(isFn)
			}
			if err := checkResolve(s, nextIsTest); err != nil {
				return err
			}
		}
	case unionNode:
		for _, s := range n {
			if err := checkResolve(s, false); err != nil {
				return err
			}
		}
	case andNode:
		return firstErr(checkResolve(n.left, false), checkResolve(n.right, false))
	case orNode:
		return firstErr(checkResolve(n.left, false), checkResolve(n.right, false))
	case eqNode:
		return firstErr(checkResolve(n.left, false), checkResolve(n.right, false))
	case whereFn:
		return checkResolve(n.cond, false)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
