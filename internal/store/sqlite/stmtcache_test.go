package sqlite

import (
	"fmt"
	"testing"
	"time"
)

// TestStmtCache: a miss answers nil and prepares in the background; a later
// lookup gets the statement; the least recently used one is evicted beyond
// the bound; close leaves nothing.
func TestStmtCache(t *testing.T) {
	s := openTest(t)
	c := newStmtCache(s.readers, 2, nil)
	defer c.close()
	q := func(i int) string { return fmt.Sprintf("SELECT %d", i) }
	waitFor := func(text string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for c.lookup(text) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("%q never got prepared", text)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if c.lookup(q(1)) != nil {
		t.Fatal("a first lookup found a statement")
	}
	waitFor(q(1))
	var n int
	if err := c.lookup(q(1)).QueryRow().Scan(&n); err != nil || n != 1 {
		t.Fatalf("cached statement answered %d, %v", n, err)
	}
	waitFor(q(2))
	waitFor(q(3)) // evicts q(1), the least recently used
	c.mu.Lock()
	_, has1 := c.bySQL[q(1)]
	size := c.order.Len()
	c.mu.Unlock()
	if has1 || size != 2 {
		t.Errorf("after three statements with room for two: q1 cached %v, %d cached", has1, size)
	}
	if c.lookup("SELECT nonsense FROM") != nil {
		t.Error("a bad statement was found")
	}
}
