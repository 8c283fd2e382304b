//go:build !race

// The race detector makes sync.Pool drop items at random, so allocation
// counts are only meaningful without it.

package fhirjson

import "testing"

func TestCheckDoesNotAllocate(t *testing.T) {
	for _, name := range benchDocs {
		data := readTestdata(t, name)
		Check(data, Options{}) // warm the pool
		allocs := testing.AllocsPerRun(100, func() {
			if err := Check(data, Options{}); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Check made %.1f allocations per run, want 0", name, allocs)
		}
	}
}
