package seed

import (
	"maps"
	"testing"
)

func TestDeterministic(t *testing.T) {
	cfg := Config{Patients: 60, Seed: 42}
	for _, format := range []string{"ndjson", "bundle"} {
		t.Run(format, func(t *testing.T) {
			// Worker count and scheduling must not leak into the output.
			a := digest(t, generate(t, cfg, format, Options{Workers: 1}))
			b := digest(t, generate(t, cfg, format, Options{Workers: 5}))
			if !maps.Equal(a, b) {
				t.Fatalf("same seed, different output:\n%v\n%v", a, b)
			}
			other := cfg
			other.Seed = 43
			c := digest(t, generate(t, other, format, Options{}))
			for name, sum := range a {
				if c[name] == sum {
					t.Errorf("%s is identical with seeds 42 and 43", name)
				}
			}
		})
	}
}

// A prefix of the patients does not depend on how many follow, as long as
// the staff is the same (one doctor per 400 patients): patient n's data comes
// from streams seeded by n, and the calendar is filled in order.
func TestPrefixStable(t *testing.T) {
	small := readNDJSON(t, generate(t, Config{Patients: 10, Seed: 7}, "ndjson", Options{}))
	large := readNDJSON(t, generate(t, Config{Patients: 30, Seed: 7}, "ndjson", Options{}))
	byKey := map[string]string{}
	for _, r := range large {
		byKey[r.typ+"/"+r.id] = string(r.raw)
	}
	for _, r := range small {
		if byKey[r.typ+"/"+r.id] != string(r.raw) {
			t.Fatalf("%s/%s differs when more patients are generated", r.typ, r.id)
		}
	}
}
