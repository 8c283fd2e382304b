package mongo

import (
	"fmt"
	"unicode/utf8"

	"github.com/clinic/ehr/internal/search"
)

// fieldKeys maps each indexed field to its key inside an idx element. The
// set is closed: a field outside it is an error, never a key.
var fieldKeys = map[search.Field]string{
	search.FieldSystem:     "s",
	search.FieldCode:       "c",
	search.FieldText:       "t",
	search.FieldLo:         "lo",
	search.FieldHi:         "hi",
	search.FieldUnit:       "u",
	search.FieldUnitSystem: "us",
	search.FieldCLo:        "clo",
	search.FieldCHi:        "chi",
	search.FieldCUnit:      "cu",
}

// numericFields hold float64 values; the others hold strings.
var numericFields = map[search.Field]bool{
	search.FieldLo: true, search.FieldHi: true, search.FieldCLo: true, search.FieldCHi: true,
}

// compareOps maps the comparisons to MongoDB operators. Prefix and contains
// are not plain comparisons and are handled apart.
var compareOps = map[search.Op]string{
	search.OpEq: "$eq",
	search.OpLt: "$lt",
	search.OpLe: "$lte",
	search.OpGt: "$gt",
	search.OpGe: "$gte",
}

// condLiteral checks that a condition's literal suits its field and op, and
// returns it as a string or a float64.
func condLiteral(c search.Cond) (any, error) {
	if _, ok := fieldKeys[c.Field]; !ok {
		return nil, fmt.Errorf("mongo: unknown index field %q", c.Field)
	}
	if _, ok := compareOps[c.Op]; !ok && c.Op != search.OpPrefix && c.Op != search.OpContains {
		return nil, fmt.Errorf("mongo: unknown operator %q", c.Op)
	}
	if numericFields[c.Field] {
		if c.Op == search.OpPrefix || c.Op == search.OpContains {
			return nil, fmt.Errorf("mongo: %s on numeric field %s", c.Op, c.Field)
		}
		f, ok := toFloat(c.Value)
		if !ok {
			return nil, fmt.Errorf("mongo: field %s needs a number, got %T", c.Field, c.Value)
		}
		return f, nil
	}
	str, ok := c.Value.(string)
	if !ok {
		return nil, fmt.Errorf("mongo: field %s needs a string, got %T", c.Field, c.Value)
	}
	return str, nil
}

func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int32:
		return float64(v), true
	case int64:
		return float64(v), true
	default:
		return 0, false
	}
}

// successor returns the least string greater than every string that starts
// with prefix, so that a prefix becomes the range [prefix, successor). Its
// last rune is incremented (runes compare like their UTF-8 bytes); a last
// rune that cannot grow is dropped. ok is false when there is no bound
// (empty prefix, only maximal runes, or invalid UTF-8).
func successor(prefix string) (string, bool) {
	if !utf8.ValidString(prefix) {
		return "", false
	}
	for prefix != "" {
		r, size := utf8.DecodeLastRuneInString(prefix)
		prefix = prefix[:len(prefix)-size]
		if r == utf8.MaxRune {
			continue
		}
		r++
		if r >= 0xD800 && r <= 0xDFFF { // surrogates are not valid in UTF-8
			r = 0xE000
		}
		return prefix + string(r), true
	}
	return "", false
}
