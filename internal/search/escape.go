package search

import "strings"

// Search values escape their separators with a backslash: \, \$ \| and \\.
// Values are split first, on the unescaped separators only, and each piece
// is unescaped last, so "a\,b,c" is the two values "a,b" and "c".

// splitEscaped splits s at the separators not preceded by a backslash and
// keeps the escapes in the pieces, for a later split on another separator.
func splitEscaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++ // the next byte is escaped
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// unescape removes the backslash escapes. A trailing lone backslash stays.
func unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
