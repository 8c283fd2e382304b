package load

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// maxSamples bounds the distinct error messages kept per run.
const maxSamples = 8

// Stats accumulate the results of a run (or of several, merged).
type Stats struct {
	Window      time.Duration
	Concurrency int
	All         Histogram
	Kinds       map[string]*KindStats
	Status      map[int]int64 // responses by HTTP status; 0: no response
	Errors      int64         // results with Err set
	LateAge     Histogram     // requests unanswered when the window closed, by their age then
	Units       int64         // units of successful operations
	Samples     map[string]int64
}

// KindStats are one operation kind's figures.
type KindStats struct {
	Latency Histogram
	Errors  int64
}

func newStats() *Stats {
	return &Stats{Kinds: map[string]*KindStats{}, Status: map[int]int64{}, Samples: map[string]int64{}}
}

func (s *Stats) add(r Result, d time.Duration) {
	s.All.Record(d)
	k := s.Kinds[r.Kind]
	if k == nil {
		k = &KindStats{}
		s.Kinds[r.Kind] = k
	}
	k.Latency.Record(d)
	s.Status[r.Status]++
	if r.Err != nil {
		s.Errors++
		k.Errors++
		msg := r.Kind + ": " + r.Err.Error()
		if _, ok := s.Samples[msg]; ok || len(s.Samples) < maxSamples {
			s.Samples[msg]++
		}
		return
	}
	s.Units += int64(r.Units)
}

// Merge adds o's figures: windows add up, as for rounds run one after another.
func (s *Stats) Merge(o *Stats) {
	s.All.Merge(&o.All)
	for name, ok := range o.Kinds {
		k := s.Kinds[name]
		if k == nil {
			k = &KindStats{}
			s.Kinds[name] = k
		}
		k.Latency.Merge(&ok.Latency)
		k.Errors += ok.Errors
	}
	for c, n := range o.Status {
		s.Status[c] += n
	}
	for m, n := range o.Samples {
		if _, ok := s.Samples[m]; ok || len(s.Samples) < maxSamples {
			s.Samples[m] += n
		}
	}
	s.Errors += o.Errors
	s.LateAge.Merge(&o.LateAge)
	s.Units += o.Units
	s.Window += o.Window
	s.Concurrency = max(s.Concurrency, o.Concurrency)
}

// Requests is the number of operations recorded.
func (s *Stats) Requests() int64 { return int64(s.All.Count()) }

// Throughput is successful operations per second of window.
func (s *Stats) Throughput() float64 {
	if s.Window <= 0 {
		return 0
	}
	return float64(s.Requests()-s.Errors) / s.Window.Seconds()
}

// UnitRate is resources per second of window, from successful operations.
func (s *Stats) UnitRate() float64 {
	if s.Window <= 0 {
		return 0
	}
	return float64(s.Units) / s.Window.Seconds()
}

// Summary is Stats as a report shows them.
type Summary struct {
	Concurrency int                    `json:"concurrency"`
	WindowS     float64                `json:"window_s"`
	Requests    int64                  `json:"requests"`
	Errors      int64                  `json:"errors"`
	Late        int64                  `json:"unfinished_at_end,omitempty"`
	LateMaxAge  float64                `json:"unfinished_max_age_ms,omitempty"`
	Throughput  float64                `json:"throughput_per_s"`
	UnitRate    float64                `json:"resources_per_s,omitempty"`
	Latency     Latency                `json:"latency"`
	Status      map[string]int64       `json:"status"`
	Kinds       map[string]KindSummary `json:"kinds,omitempty"`
	ErrorSample []string               `json:"error_samples,omitempty"`
}

// KindSummary is one operation kind's figures in a report.
type KindSummary struct {
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Latency  Latency `json:"latency"`
}

// Summary reduces the Stats to what a report shows.
func (s *Stats) Summary() Summary {
	out := Summary{
		Concurrency: s.Concurrency,
		WindowS:     s.Window.Seconds(),
		Requests:    s.Requests(),
		Errors:      s.Errors,
		Late:        int64(s.LateAge.Count()),
		LateMaxAge:  ms(s.LateAge.Max()),
		Throughput:  s.Throughput(),
		UnitRate:    s.UnitRate(),
		Latency:     s.All.Summary(),
		Status:      map[string]int64{},
		Kinds:       map[string]KindSummary{},
	}
	for c, n := range s.Status {
		name := strconv.Itoa(c)
		if c == 0 {
			name = "none"
		}
		out.Status[name] = n
	}
	for name, k := range s.Kinds {
		out.Kinds[name] = KindSummary{Requests: int64(k.Latency.Count()), Errors: k.Errors, Latency: k.Latency.Summary()}
	}
	for _, m := range slices.Sorted(maps.Keys(s.Samples)) {
		out.ErrorSample = append(out.ErrorSample, m+" (×"+strconv.FormatInt(s.Samples[m], 10)+")")
	}
	return out
}
