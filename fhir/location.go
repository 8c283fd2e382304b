package fhir

import (
	"cmp"
	"strconv"
	"strings"
)

// fhirPath turns a JSON pointer's tokens into a FHIRPath-like location:
// ["name","0","given","1"] → "Patient.name[0].given[1]". FHIR element names
// never are numbers, so a numeric token is an array index.
func fhirPath(resourceType string, tokens []string) string {
	var b strings.Builder
	b.WriteString(resourceType)
	for _, t := range tokens {
		if isIndex(t) {
			b.WriteByte('[')
			b.WriteString(t)
			b.WriteByte(']')
			continue
		}
		b.WriteByte('.')
		b.WriteString(t)
	}
	return b.String()
}

func isIndex(token string) bool {
	if token == "" {
		return false
	}
	for i := 0; i < len(token); i++ {
		if token[i] < '0' || token[i] > '9' {
			return false
		}
	}
	return true
}

// compareLocations orders pointer tokens element by element, indexes
// numerically, so that name[2] comes before name[10].
func compareLocations(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		if isIndex(a[i]) && isIndex(b[i]) {
			ai, errA := strconv.Atoi(a[i])
			bi, errB := strconv.Atoi(b[i])
			if errA == nil && errB == nil {
				return cmp.Compare(ai, bi)
			}
		}
		return strings.Compare(a[i], b[i])
	}
	return len(a) - len(b)
}
