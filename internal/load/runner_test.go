package load

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"
)

func TestRunClosedLoop(t *testing.T) {
	var calls atomic.Int64
	const conc, delay = 4, 2 * time.Millisecond
	op := func(ctx context.Context, rng *rand.Rand) Result {
		n := calls.Add(1)
		time.Sleep(delay)
		switch n % 4 {
		case 0:
			return Result{Kind: "bad", Status: 500, Err: errors.New("server error")}
		case 1:
			return Result{Kind: "timed", Status: 200, Units: 3, Latency: time.Microsecond}
		}
		return Result{Kind: "good", Status: 200, Units: 1}
	}
	st, err := Run(context.Background(), RunConfig{Concurrency: conc, Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond}, func(int) Op { return op })
	if err != nil {
		t.Fatal(err)
	}
	n := st.Requests()
	// A closed loop of 4 workers, 2 ms per op, for 300 ms: at most 600
	// operations, fewer on a busy machine, and the warmup's are not counted.
	if n < 20 || n > 600 || n >= calls.Load() {
		t.Fatalf("%d operations recorded of %d made, want 20..600 and fewer than made", n, calls.Load())
	}
	if st.Errors != st.Status[500] || st.Errors == 0 || st.Errors != st.Kinds["bad"].Errors {
		t.Errorf("errors %d, status 500 ×%d, bad errors %d: want equal and non-zero", st.Errors, st.Status[500], st.Kinds["bad"].Errors)
	}
	if got, want := st.Throughput(), float64(n-st.Errors)/0.3; got != want {
		t.Errorf("throughput %v, want %v (errors excluded)", got, want)
	}
	if st.Kinds["timed"].Latency.Max() != time.Microsecond {
		t.Errorf("an op's own latency was not used: max %v", st.Kinds["timed"].Latency.Max())
	}
	if st.Kinds["good"].Latency.Quantile(0.5) < delay {
		t.Errorf("p50 %v below the op's %v", st.Kinds["good"].Latency.Quantile(0.5), delay)
	}
	s := st.Summary()
	if len(s.ErrorSample) != 1 || s.Status["500"] != st.Errors {
		t.Errorf("summary samples %q, status %v", s.ErrorSample, s.Status)
	}
}

func TestRunCountsRequestsStuckPastTheWindow(t *testing.T) {
	op := func(ctx context.Context, _ *rand.Rand) Result {
		time.Sleep(250 * time.Millisecond) // longer than warmup and window together
		return Result{Kind: "slow", Status: 200}
	}
	st, err := Run(context.Background(), RunConfig{Concurrency: 3, Duration: 100 * time.Millisecond, Warmup: 20 * time.Millisecond}, func(int) Op { return op })
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests() != 0 || st.LateAge.Count() != 3 || st.LateAge.Max() < 100*time.Millisecond {
		t.Fatalf("%d answered, %d unanswered (oldest %v): want 0, and 3 at least 100 ms old", st.Requests(), st.LateAge.Count(), st.LateAge.Max())
	}
	if s := st.Summary(); s.Late != 3 || s.LateMaxAge < 100 {
		t.Errorf("summary: %d unanswered, oldest %v ms", s.Late, s.LateMaxAge)
	}
	if st.LateAge.CountAbove(50*time.Millisecond) != 3 || st.LateAge.CountAbove(time.Second) != 0 {
		t.Errorf("CountAbove: %d above 50 ms, %d above 1 s", st.LateAge.CountAbove(50*time.Millisecond), st.LateAge.CountAbove(time.Second))
	}
}

func TestRunFixedCount(t *testing.T) {
	var calls atomic.Int64
	op := func(context.Context, *rand.Rand) Result {
		calls.Add(1)
		time.Sleep(time.Millisecond)
		return Result{Kind: "x", Status: 200}
	}
	st, err := Run(context.Background(), RunConfig{Concurrency: 3, Requests: 10, Warmup: time.Hour}, func(int) Op { return op })
	if err != nil {
		t.Fatal(err)
	}
	if st.Requests() != 10 || calls.Load() != 10 || st.Window <= 0 || st.Window > time.Minute {
		t.Fatalf("%d recorded, %d made, window %v: want exactly 10, and the time they took", st.Requests(), calls.Load(), st.Window)
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	op := func(int) Op { return func(context.Context, *rand.Rand) Result { return Result{} } }
	for _, cfg := range []RunConfig{{Concurrency: 0, Duration: time.Second}, {Concurrency: 1, Duration: 0}} {
		if _, err := Run(context.Background(), cfg, op); err == nil {
			t.Errorf("Run(%+v) accepted", cfg)
		}
	}
}

func TestStatsMergeAddsWindows(t *testing.T) {
	a, b := newStats(), newStats()
	a.add(Result{Kind: "x", Status: 200, Units: 2}, time.Millisecond)
	b.add(Result{Kind: "x", Status: 404, Err: errors.New("id mismatch")}, 2*time.Millisecond)
	a.Window, b.Window = time.Second, time.Second
	a.Merge(b)
	if a.Requests() != 2 || a.Errors != 1 || a.Units != 2 || a.Window != 2*time.Second {
		t.Fatalf("merged: %d requests, %d errors, %d units, window %v", a.Requests(), a.Errors, a.Units, a.Window)
	}
	if a.Throughput() != 0.5 || a.UnitRate() != 1 {
		t.Errorf("throughput %v, unit rate %v: want 0.5 and 1", a.Throughput(), a.UnitRate())
	}
}
