package engine

import (
	"regexp"
	"testing"
	"time"
)

// TestNewID: ids are valid FHIR ids, unique, and sort by creation time.
func TestNewID(t *testing.T) {
	valid := regexp.MustCompile(`^[2-7a-z]{26}$`)
	seen := map[string]bool{}
	prev := NewID()
	for i := 0; i < 2000; i++ {
		if i%500 == 0 {
			time.Sleep(2 * time.Millisecond) // a new millisecond must sort after the old
			id := NewID()
			if id <= prev {
				t.Fatalf("id %s made after %s sorts before it", id, prev)
			}
			prev = id
		}
		id := NewID()
		if !valid.MatchString(id) {
			t.Fatalf("id %q is not 26 characters of [2-7a-z]", id)
		}
		if seen[id] {
			t.Fatalf("id %s made twice", id)
		}
		seen[id] = true
		if id[:9] < prev[:9] {
			t.Fatalf("id %s has an earlier time than %s", id, prev)
		}
	}
}
