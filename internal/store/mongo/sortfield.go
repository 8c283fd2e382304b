package mongo

import (
	"fmt"
	"strings"
)

// sortField turns a parameter name into a key of the "sort" sub-document.
// Parameter names are data: one with '$' or '.' must not become an operator
// or a path, so every byte outside [A-Za-z0-9_-] is written as ~XX (hex).
// The escape is injective because '~' itself is escaped. The empty name,
// which cannot be a key, becomes "~", which no other name produces.
func sortField(param string) string {
	if param == "" {
		return "~"
	}
	var b strings.Builder
	for i := 0; i < len(param); i++ {
		c := param[i]
		if isPlainKeyByte(c) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "~%02X", c)
	}
	return b.String()
}

func isPlainKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// sortPath is the dotted path of a parameter's sort sub-document.
func sortPath(param string) string { return "sort." + sortField(param) }
