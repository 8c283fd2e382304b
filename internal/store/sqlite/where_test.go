package sqlite

import (
	"testing"
	"time"
)

func TestPrefixEnd(t *testing.T) {
	cases := []struct {
		prefix, end string
		ok          bool
	}{
		{"smi", "smj", true},
		{"a", "b", true},
		{"az", "a{", true},
		{"a\xff", "b", true},
		{"a\xff\xff", "b", true},
		{"\xff", "", false},
		{"", "", false},
		{"mü", "m\xc3\xbd", true}, // ü is C3 BC: its last byte steps
		{"a\x00", "a\x01", true},
	}
	for _, c := range cases {
		end, ok := prefixEnd(c.prefix)
		if end != c.end || ok != c.ok {
			t.Errorf("prefixEnd(%q) = %q, %t; want %q, %t", c.prefix, end, ok, c.end, c.ok)
		}
	}
}

func TestCeilMillis(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 5_000_000, time.UTC)
	cases := []struct {
		t    time.Time
		want int64
	}{
		{base, base.UnixMilli()},
		{base.Add(time.Nanosecond), base.UnixMilli() + 1},
		{base.Add(999_999), base.UnixMilli() + 1},
		{time.UnixMilli(-5).Add(-time.Nanosecond), -5},
	}
	for _, c := range cases {
		if got := ceilMillis(c.t); got != c.want {
			t.Errorf("ceilMillis(%v) = %d, want %d", c.t, got, c.want)
		}
	}
}
