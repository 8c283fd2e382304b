package load

import (
	"math/bits"
	"time"
)

// Histogram records latencies in log-linear buckets: values below 64 ns are
// exact, larger ones fall in buckets 1/64 of their power of two wide, so a
// percentile is off by at most 1.6%. A fixed array rather than a sorted
// sample keeps Record allocation-free and lets workers merge at the end.
type Histogram struct {
	counts [numBuckets]uint64
	n      uint64
	sum    time.Duration
	min    time.Duration
	max    time.Duration
}

const (
	subBits    = 6
	subCount   = 1 << subBits // buckets per power of two
	maxShift   = 34           // 64<<34 ns is about 18 minutes: far beyond any timeout
	numBuckets = (maxShift + 2) * subCount
)

// bucketOf maps a non-negative duration (ns) to its bucket.
func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits - 1 // v>>shift lies in [64, 128)
	if shift > maxShift {
		return numBuckets - 1
	}
	return (shift+1)*subCount + int(v>>uint(shift)) - subCount
}

// bucketUpper is the largest value a bucket holds.
func bucketUpper(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	shift := uint(i/subCount - 1)
	base := uint64(i%subCount + subCount)
	return (base+1)<<shift - 1
}

// Record adds one observation. Negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += d
}

// Merge adds every observation of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.n += o.n
	h.sum += o.sum
}

// Count is the number of observations.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest observation, exactly.
func (h *Histogram) Max() time.Duration { return h.max }

// Mean is the average observation.
func (h *Histogram) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}

// Quantile returns the smallest recorded bucket bound below which a
// fraction q of the observations lie (nearest rank), clamped to the exact
// minimum and maximum. It is 0 for an empty histogram.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	switch {
	case q <= 0:
		return h.min
	case q >= 1:
		return h.max
	}
	rank := uint64(q*float64(h.n) + 0.999999999) // ceil, robust to float error
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			v := time.Duration(bucketUpper(i))
			return min(max(v, h.min), h.max)
		}
	}
	return h.max
}

// Latency is a histogram's summary in milliseconds, as reports show it.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
}

// Summary returns the percentiles a report shows.
func (h *Histogram) Summary() Latency {
	return Latency{
		P50:  ms(h.Quantile(0.50)),
		P90:  ms(h.Quantile(0.90)),
		P99:  ms(h.Quantile(0.99)),
		Max:  ms(h.max),
		Mean: ms(h.Mean()),
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// CountAbove is the number of observations certainly above d: those in
// buckets that start above it.
func (h *Histogram) CountAbove(d time.Duration) uint64 {
	if d < 0 {
		return h.n
	}
	var n uint64
	for i := bucketOf(uint64(d)) + 1; i < numBuckets; i++ {
		n += h.counts[i]
	}
	return n
}
