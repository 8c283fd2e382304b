package search

import (
	"fmt"
	"strings"
)

// The phonetic parameter (Patient.phonetic) is a string parameter matched by
// sound. Entry: Code = American Soundex of one name word (family or given),
// Text = the word as written. Query: equality of Soundex codes, or :exact.

type phoneticKind struct{}

func (phoneticKind) index(p *Param, items []item) ([]IndexEntry, error) {
	var out []IndexEntry
	for _, it := range items {
		words := []string{}
		if m, ok := it.v.(map[string]any); ok {
			words = collect(m, "family", "given")
		} else if s, ok := it.v.(string); ok {
			words = append(words, s)
		}
		for _, w := range words {
			for _, part := range strings.Fields(w) {
				if code := soundex(part); code != "" {
					out = append(out, IndexEntry{Param: p.Code, Code: code, Text: part})
				}
			}
		}
	}
	return out, nil
}

func (phoneticKind) sortValue(e IndexEntry) (any, bool) { return fold(e.Text), e.Text != "" }

func (phoneticKind) query(p *Param, mod, value string) (Expr, error) {
	value = unescape(value)
	switch mod {
	case "":
		code := soundex(value)
		if code == "" {
			return nil, fmt.Errorf("%q has no letters to match by sound", value)
		}
		return Match{Param: p.Code, Conds: []Cond{{FieldCode, OpEq, code}}}, nil
	case "exact":
		return Match{Param: p.Code, Conds: []Cond{{FieldText, OpEq, value}}}, nil
	}
	return nil, errUnsupportedModifier(mod)
}

// soundexDigits codes the letters a..z; '0' letters are dropped, and h and w
// ('-') do not separate two letters of the same code.
const soundexDigits = "0123012-02245501262301-202"

// soundex returns the American Soundex code of a word's letters after
// folding ("Müller" → "M460"), or "" when it has none.
func soundex(word string) string {
	var b [4]byte
	n := 0
	var last byte
	for _, r := range fold(word) {
		if r < 'a' || r > 'z' {
			continue
		}
		d := soundexDigits[r-'a']
		if n == 0 {
			b[0] = byte(r) - 'a' + 'A'
			n, last = 1, d
			continue
		}
		switch {
		case d == '-': // h, w: keep last, so "Ashcraft" → A261
		case d == '0':
			last = '0'
		case d != last:
			b[n] = d
			n++
			last = d
		}
		if n == 4 {
			break
		}
	}
	if n == 0 {
		return ""
	}
	for ; n < 4; n++ {
		b[n] = '0'
	}
	return string(b[:])
}
