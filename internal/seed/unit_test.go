package seed

import "testing"

func TestPermutationIsOneToOne(t *testing.T) {
	for _, m := range []uint64{10, 97, 1000, 1 << 12} {
		p := newPermutation(m, 12345)
		seen := make(map[uint64]bool, m)
		for x := range m {
			y := p.at(x)
			if y >= m || seen[y] {
				t.Fatalf("m=%d: %d maps to %d twice or out of range", m, x, y)
			}
			seen[y] = true
		}
	}
}

func TestFormatSSN(t *testing.T) {
	tests := []struct {
		x    uint64
		want string
	}{
		{0, "001-01-0001"},
		{9998, "001-01-9999"},
		{9999, "001-02-0001"},
		{ssnSpace - 1, "665-99-9999"},
	}
	for _, tt := range tests {
		if got := formatSSN(tt.x); got != tt.want {
			t.Errorf("formatSSN(%d) = %s, want %s", tt.x, got, tt.want)
		}
	}
}

func TestCalendarTake(t *testing.T) {
	c := newCalendar(1, 1)
	tests := []struct {
		name      string
		n, pref   int
		wantSlot  int
		wantTaken bool
	}{
		{"free slot as asked", 2, 5, 5, true},
		{"overlap moves on", 1, 6, 7, true},
		{"end of day wraps to the morning", 3, 25, 0, true},
		{"too long for a day", slotsPerDay + 1, 0, 0, false},
	}
	for _, tt := range tests {
		slot, ok := c.take(0, 0, tt.n, tt.pref)
		if ok != tt.wantTaken || (ok && slot != tt.wantSlot) {
			t.Errorf("%s: take(%d, %d) = %d, %v; want %d, %v", tt.name, tt.n, tt.pref, slot, ok, tt.wantSlot, tt.wantTaken)
		}
	}
	// Fill the day; the next request finds nothing.
	for {
		if _, ok := c.take(0, 0, 1, 0); !ok {
			break
		}
	}
	if _, ok := c.take(0, 0, 1, 0); ok {
		t.Error("a full day gave a slot")
	}
}

func TestNamesKeepAccentsAndGender(t *testing.T) {
	tests := []struct {
		fn       func(string) string
		in, want string
	}{
		{polishFeminine, "Kamiński", "Kamińska"},
		{polishFeminine, "Wójcik", "Wójcik"},
		{czechFeminine, "Černý", "Černá"},
		{czechFeminine, "Novák", "Nováková"},
		{czechFeminine, "Procházka", "Procházková"},
		{icelandicFeminine, "Þórsson", "Þórsdóttir"},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("%q → %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"no patients", Config{}},
		{"negative weeks", Config{Patients: 1, Weeks: -1}},
		{"too long", Config{Patients: 1, Weeks: 1000}},
	}
	for _, tt := range tests {
		if _, err := Generate(t.Context(), tt.cfg, Options{}, NewBundleWriter(t.TempDir())); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}
