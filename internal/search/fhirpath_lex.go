package search

import (
	"fmt"
	"strings"
)

// The lexer of the FHIRPath subset (see fhirpath_parse.go). It knows every
// FHIRPath symbol, so that the parser can name the refused ones.

type tokKind int

const (
	tokEOF tokKind = iota
	tokIdent
	tokString
	tokNumber
	tokSymbol // . ( ) , | = != and the refused operators
)

type token struct {
	kind tokKind
	text string
	pos  int
}

// lex splits src into tokens. Keywords (and, or, is, as, true, false) are
// identifiers; the parser tells them apart.
func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case isIdentStart(c) || c == '$':
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			toks = append(toks, token{tokIdent, src[i:j], i})
			i = j
		case c == '`':
			j := strings.IndexByte(src[i+1:], '`')
			if j <= 0 {
				return nil, fmt.Errorf("empty or unterminated `identifier` at %d", i)
			}
			toks = append(toks, token{tokIdent, src[i+1 : i+1+j], i})
			i += j + 2
		case c == '\'':
			s, n, err := lexString(src[i:])
			if err != nil {
				return nil, fmt.Errorf("at %d: %w", i, err)
			}
			toks = append(toks, token{tokString, s, i})
			i += n
		case '0' <= c && c <= '9':
			j := i
			for j < len(src) && ('0' <= src[j] && src[j] <= '9' || src[j] == '.') {
				j++
			}
			toks = append(toks, token{tokNumber, src[i:j], i})
			i = j
		case c == '!' && i+1 < len(src) && src[i+1] == '=',
			c == '!' && i+1 < len(src) && src[i+1] == '~',
			c == '<' && i+1 < len(src) && src[i+1] == '=',
			c == '>' && i+1 < len(src) && src[i+1] == '=':
			toks = append(toks, token{tokSymbol, src[i : i+2], i})
			i += 2
		case strings.IndexByte(".(),|=<>+-*/&~[]%{}", c) >= 0:
			toks = append(toks, token{tokSymbol, src[i : i+1], i})
			i++
		default:
			return nil, fmt.Errorf("unexpected character %q at %d", c, i)
		}
	}
	return append(toks, token{tokEOF, "", len(src)}), nil
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

// lexString reads a single-quoted literal with FHIRPath escapes and returns
// its value and the number of bytes consumed.
func lexString(src string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(src); i++ {
		switch c := src[i]; c {
		case '\'':
			return b.String(), i + 1, nil
		case '\\':
			i++
			if i == len(src) {
				return "", 0, fmt.Errorf("unterminated string")
			}
			switch e := src[i]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			default: // \' \" \\ \/ \` stand for themselves
				b.WriteByte(e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, fmt.Errorf("unterminated string")
}
