package load

import (
	"math"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	uniform := func(n int, unit time.Duration) []time.Duration {
		var out []time.Duration
		for i := 1; i <= n; i++ {
			out = append(out, time.Duration(i)*unit)
		}
		return out
	}
	tests := []struct {
		name   string
		values []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"single", []time.Duration{3 * time.Millisecond}, 0.99, 3 * time.Millisecond},
		{"constant", []time.Duration{7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond}, 0.5, 7 * time.Millisecond},
		{"p50 of 1..1000 µs", uniform(1000, time.Microsecond), 0.50, 500 * time.Microsecond},
		{"p90 of 1..1000 µs", uniform(1000, time.Microsecond), 0.90, 900 * time.Microsecond},
		{"p99 of 1..1000 µs", uniform(1000, time.Microsecond), 0.99, 990 * time.Microsecond},
		{"p99 of 1..100 ms", uniform(100, time.Millisecond), 0.99, 99 * time.Millisecond},
		{"max", uniform(100, time.Millisecond), 1, 100 * time.Millisecond},
		{"min", uniform(100, time.Millisecond), 0, time.Millisecond},
		{"small exact values", uniform(50, time.Nanosecond), 0.5, 25 * time.Nanosecond},
		{"one slow outlier sets p99 of 100", append(uniform(99, time.Microsecond), time.Second), 0.99, 99 * time.Microsecond},
		{"one slow outlier in 50 sets p99", append(uniform(49, time.Microsecond), time.Second), 0.99, time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h Histogram
			for _, v := range tt.values {
				h.Record(v)
			}
			got := h.Quantile(tt.q)
			// Buckets are 1/64 of a power of two wide: at most 1/64 above the true value.
			if got < tt.want || float64(got-tt.want) > float64(tt.want)/64+1 {
				t.Errorf("Quantile(%v) = %v, want %v (within 1/64 above)", tt.q, got, tt.want)
			}
		})
	}
}

func TestHistogramBucketsBoundTheirValues(t *testing.T) {
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 129, 1000, 1 << 20, 123456789, 1<<40 - 1} {
		i := bucketOf(v)
		up := bucketUpper(i)
		if up < v {
			t.Errorf("bucket %d of %d ends at %d, below the value", i, v, up)
		}
		if v >= subCount && float64(up-v) > float64(v)/subCount {
			t.Errorf("bucket %d of %d ends at %d: more than 1/64 above", i, v, up)
		}
		if i > 0 && bucketUpper(i-1) >= v {
			t.Errorf("value %d also fits the previous bucket %d", v, i-1)
		}
	}
	if got := bucketOf(math.MaxUint64); got != numBuckets-1 {
		t.Errorf("a huge value lands in bucket %d, want the last", got)
	}
}

func TestHistogramMergeAndSummary(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 200; i++ {
		d := time.Duration(i) * 100 * time.Microsecond
		all.Record(d)
		if i%2 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	a.Merge(&b)
	if a.Count() != all.Count() || a.Max() != all.Max() || a.Mean() != all.Mean() {
		t.Fatalf("merged %d/%v/%v, want %d/%v/%v", a.Count(), a.Max(), a.Mean(), all.Count(), all.Max(), all.Mean())
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if a.Quantile(q) != all.Quantile(q) {
			t.Errorf("merged Quantile(%v) = %v, want %v", q, a.Quantile(q), all.Quantile(q))
		}
	}
	s := all.Summary()
	if s.Max != 20 || s.P50 < 10 || s.P50 > 10.2 || s.Mean != 10.05 {
		t.Errorf("summary = %+v, want max 20 ms, p50 ≈ 10 ms, mean 10.05 ms", s)
	}
}
