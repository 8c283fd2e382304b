package load

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/clinic/ehr/internal/auth"
)

// BenchPhases are the phases Bench knows, in the order it runs them.
var BenchPhases = []string{"read", "create-vitals", "search", "transaction", "mixed", "audit"}

// Against labels: what a figure was measured against.
const (
	againstServer   = "ehrd"
	againstCeilingA = "ceiling-a (GET /bench/static)"
	againstCeilingB = "ceiling-b (store replay)"
	againstAuditOn  = "ehrd-bench, audit on"
	againstAuditOff = "ehrd-bench, audit off"
)

// BenchConfig shapes a bench run.
type BenchConfig struct {
	Data           Dataset
	Slice          time.Duration // one measured slice
	Warmup         time.Duration // unmeasured lead-in of each slice
	Rounds         int           // slices per figure, interleaved with its ceiling's
	Concurrency    int           // workers of every workload but transactions
	TxConcurrency  int           // workers of the transaction workload
	Phases         []string      // a subset of BenchPhases; empty: all
	AuditWorkloads []string      // the workloads of the audit on/off comparison
	ServerBin      string        // the server binary to spawn
	BenchBin       string        // the server built with -tags ehrbench, for the audit on/off comparison
	ServerEnv      []string      // extra KEY=VALUE for the server
	Dir            string        // work directory; empty: a temporary one, removed afterwards
	SeedCache      string        // directory keeping seeded stores between runs; empty: seed every time
	SeedFrom       string        // a store seeded earlier with the same dataset, copied instead of seeding
	Log            io.Writer     // progress; nil: none
}

// DefaultBenchConfig is `make bench`: 24 slices of 7 s, a few minutes on 2
// cores once the seeded store is cached.
func DefaultBenchConfig() BenchConfig {
	return BenchConfig{
		Data: DefaultDataset(), Slice: 6 * time.Second, Warmup: time.Second, Rounds: 2,
		Concurrency: 64, TxConcurrency: 16, AuditWorkloads: []string{"read", "create-vitals"},
		ServerBin: "bin/ehrd", BenchBin: "bin/ehrd-bench",
	}
}

// side is one thing measured: a workload against a target.
type side struct {
	workload, against string
	conc              int
	ops               func(worker int) Op
	pid               int     // process to sample RSS of; 0: none
	metrics           *Client // server whose /metrics count its group commits; nil: none
	replay            *Replay // ceiling b: its committer counts batches
	// lag, when set, is how many audit records wait for their AuditEvent:
	// after each window the bench waits for it to reach 0 and reports the
	// time as the catch-up.
	lag func(context.Context) (int64, error)
}

// catchUpLimit bounds the wait for one catch-up: at the 0.4 ms a record
// that docs/resilience.md measured, 10,000 records take seconds.
const catchUpLimit = 5 * time.Minute

// serverLag reads a spawned server's projection lag off /metrics.
func serverLag(c *Client) func(context.Context) (int64, error) {
	return func(ctx context.Context) (int64, error) {
		m, err := c.AuditMetrics(ctx)
		return int64(m.Lag), err
	}
}

// bench is a run in progress.
type bench struct {
	cfg     BenchConfig
	report  *Report
	stats   map[[2]string]*Stats
	peak    map[[2]string]int64
	commit  map[[2]string]*Commits
	catchUp map[[2]string]*CatchUp
	order   [][2]string
}

// Bench seeds a fresh store, spawns the server on it, and measures every
// phase against its ceiling, interleaved, then the audit on/off pair.
// Verification failures are counted in the report, not returned.
func Bench(ctx context.Context, cfg BenchConfig) (*Report, error) {
	if err := cfg.Data.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Phases) == 0 {
		cfg.Phases = BenchPhases
	}
	for _, p := range cfg.Phases {
		if !slices.Contains(BenchPhases, p) {
			return nil, fmt.Errorf("bench: unknown phase %q (want some of %v)", p, BenchPhases)
		}
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	dir := cfg.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "ehrload-")
		if err != nil {
			return nil, fmt.Errorf("bench: work directory: %w", err)
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("bench: work directory: %w", err)
	}
	b := &bench{cfg: cfg, stats: map[[2]string]*Stats{}, peak: map[[2]string]int64{}, commit: map[[2]string]*Commits{}, catchUp: map[[2]string]*CatchUp{},
		report: &Report{Started: time.Now().UTC(), Machine: ThisMachine(), Dataset: cfg.Data, Settings: Settings{
			SliceS: cfg.Slice.Seconds(), WarmupS: cfg.Warmup.Seconds(), Rounds: cfg.Rounds,
			Concurrency: cfg.Concurrency, TxConcurrency: cfg.TxConcurrency}}}
	if err := b.run(ctx, dir); err != nil {
		return b.report, err
	}
	b.finish()
	return b.report, nil
}

func (b *bench) has(phase string) bool { return slices.Contains(b.cfg.Phases, phase) }

func (b *bench) run(ctx context.Context, dir string) error {
	cfg := b.cfg
	dbPath := filepath.Join(dir, "ehr.db")
	start := time.Now()
	var cached bool
	var err error
	if cfg.SeedFrom != "" {
		cached, err = true, copyStore(cfg.SeedFrom, dbPath)
	} else {
		cached, err = seedCached(ctx, cfg.SeedCache, dbPath, &cfg.Data, cfg.Log)
	}
	if err != nil {
		return err
	}
	how := "seeded through the engine"
	if cached {
		how = "copied from a store seeded earlier"
	}
	b.note("%d patients, %d observations, %d appointments %s in %.0fs",
		cfg.Data.Patients, cfg.Data.Observations, cfg.Data.Patients*cfg.Data.Appointments, how, time.Since(start).Seconds())
	var replay *Replay
	if b.has("create-vitals") || b.has("transaction") {
		ceilPath := filepath.Join(dir, "ceiling-b.db")
		if err := copyStore(dbPath, ceilPath); err != nil {
			return err
		}
		var err error
		if replay, err = OpenReplay(ctx, ceilPath); err != nil {
			return err
		}
		defer replay.Close()
	}
	secret := NewSecret()
	srv, err := Spawn(ctx, SpawnConfig{Bin: cfg.ServerBin, Dir: dir, StorePath: dbPath, Secret: secret, Env: cfg.ServerEnv})
	if err != nil {
		return err
	}
	defer srv.Stop(30 * time.Second)
	tok, err := MintToken(secret)
	if err != nil {
		return err
	}
	client := NewClient(srv.URL, tok, max(cfg.Concurrency, cfg.TxConcurrency)+4)
	defer client.Close()
	t := &Target{Client: client, Data: &cfg.Data}
	if err := t.Check(ctx); err != nil {
		return fmt.Errorf("bench: the server fails a workload before any load: %w", err)
	}
	if _, err := client.AuditMetrics(ctx); err != nil {
		return fmt.Errorf("bench: the server's /metrics: %w", err)
	}

	server := func(workload string, conc int) side {
		ops, _ := t.Workload(workload)
		return side{workload: workload, against: againstServer, conc: conc, ops: ops, pid: srv.Pid, metrics: client, lag: serverLag(client)}
	}
	ceilingA := side{workload: "static", against: againstCeilingA, conc: cfg.Concurrency, pid: srv.Pid}
	ceilingA.ops, _ = t.Workload("static")
	ceilingB := func(workload string, conc int) side {
		ops, _ := replay.Workload(workload)
		lag := func(context.Context) (int64, error) { return replay.Lag() }
		return side{workload: workload, against: againstCeilingB, conc: conc, ops: ops, replay: replay, lag: lag}
	}
	for _, phase := range cfg.Phases {
		var err error
		switch phase {
		case "read":
			err = b.interleave(ctx, server("read", cfg.Concurrency), ceilingA)
		case "create-vitals":
			err = b.interleave(ctx, server("create-vitals", cfg.Concurrency), ceilingB("create-vitals", cfg.Concurrency))
		case "search":
			err = b.interleave(ctx, server("search", cfg.Concurrency))
		case "transaction":
			err = b.interleave(ctx, server("transaction", cfg.TxConcurrency), ceilingB("transaction", cfg.TxConcurrency))
		case "mixed":
			err = b.interleave(ctx, server("mixed", cfg.Concurrency))
		}
		if err != nil {
			return err
		}
	}
	if m, err := ReadMem(srv.Pid); err == nil {
		b.note("server VmHWM (peak RSS since start, all phases) %.0f MB", mb(m.HWM))
	}
	b.note("load average after the HTTP phases: %s", LoadAvg())
	if err := srv.Stop(30 * time.Second); err != nil {
		return err
	}
	if b.has("audit") {
		return b.auditPair(ctx, dbPath, dir, secret)
	}
	return nil
}

// auditPair measures the audit workloads against the benchmark build of
// the server (BenchBin, built with -tags ehrbench) twice, with
// EHR_BENCH_AUDIT=on and =off. Both run at once, each over its own copy of
// the store as the HTTP phases left it, so that their slices interleave;
// the idle one costs next to nothing.
func (b *bench) auditPair(ctx context.Context, dbPath, dir, secret string) error {
	tok, err := MintToken(secret)
	if err != nil {
		return err
	}
	var targets []*Target
	var pids []int
	var lags []func(context.Context) (int64, error)
	for _, s := range []struct{ name, audit, against string }{
		{"audit-on", "on", againstAuditOn}, {"audit-off", "off", againstAuditOff},
	} {
		sub := filepath.Join(dir, s.name)
		if err := os.MkdirAll(sub, 0o750); err != nil {
			return fmt.Errorf("bench: %s: %w", s.against, err)
		}
		path := filepath.Join(sub, "ehr.db")
		if err := copyStore(dbPath, path); err != nil {
			return err
		}
		env := append(slices.Clip(b.cfg.ServerEnv), "EHR_BENCH_AUDIT="+s.audit)
		srv, err := Spawn(ctx, SpawnConfig{Bin: b.cfg.BenchBin, Dir: sub, StorePath: path, Secret: secret, Env: env})
		if err != nil {
			return fmt.Errorf("bench: %s (build it with go build -tags ehrbench): %w", s.against, err)
		}
		defer srv.Stop(30 * time.Second)
		c := NewClient(srv.URL, tok, b.cfg.Concurrency+4)
		defer c.Close()
		t := &Target{Client: c, Data: &b.cfg.Data}
		if err := t.Check(ctx); err != nil {
			return fmt.Errorf("bench: %s fails a workload before any load: %w", s.against, err)
		}
		var lag func(context.Context) (int64, error)
		if s.audit == "on" { // audit off has no recorder, hence no projection
			lag = serverLag(c)
		}
		targets, pids, lags = append(targets, t), append(pids, srv.Pid), append(lags, lag)
	}
	for _, w := range b.cfg.AuditWorkloads {
		var sides []side
		for i, against := range []string{againstAuditOn, againstAuditOff} {
			ops, err := targets[i].Workload(w)
			if err != nil {
				return err
			}
			sides = append(sides, side{workload: w, against: against, conc: b.cfg.Concurrency, ops: ops, pid: pids[i], lag: lags[i]})
		}
		if err := b.interleave(ctx, sides...); err != nil {
			return err
		}
	}
	return nil
}

// interleave runs the sides' slices in turn, round after round (A, B, A,
// B…), so that noise from other work on the machine falls on both alike.
func (b *bench) interleave(ctx context.Context, sides ...side) error {
	for round := 1; round <= b.cfg.Rounds; round++ {
		for _, s := range sides {
			if err := b.slice(ctx, s, round); err != nil {
				return err
			}
		}
	}
	return nil
}

// slice runs one measured slice of a side and records it.
func (b *bench) slice(ctx context.Context, s side, round int) error {
	var before AuditMetrics
	if s.metrics != nil {
		var err error
		if before, err = s.metrics.AuditMetrics(ctx); err != nil {
			return fmt.Errorf("bench %s against %s: %w", s.workload, s.against, err)
		}
	}
	var beforeC, beforeR int64
	if s.replay != nil {
		beforeC, beforeR = s.replay.g.commits.Load(), s.replay.g.requests.Load()
	}
	var sampler *rssSampler
	if s.pid != 0 {
		sampler = sampleRSS(s.pid, 100*time.Millisecond)
	}
	st, err := Run(ctx, RunConfig{Concurrency: s.conc, Duration: b.cfg.Slice, Warmup: b.cfg.Warmup, Seed: uint64(round)}, s.ops)
	if err != nil {
		return fmt.Errorf("bench %s against %s: %w", s.workload, s.against, err)
	}
	ph := Phase{Workload: s.workload, Against: s.against, Round: round, Summary: st.Summary()}
	if s.lag != nil {
		// The projection the window left behind is done before the next
		// side's window starts, so that it does not slow that one down.
		n, took, err := waitCaughtUp(ctx, s.lag, catchUpLimit)
		if err != nil {
			return fmt.Errorf("bench %s against %s: %w", s.workload, s.against, err)
		}
		ph.CatchUp = &CatchUp{Slices: 1, Records: n, Seconds: took.Seconds()}
	}
	if sampler != nil {
		ph.PeakRSSMB = mb(sampler.Stop())
	}
	switch {
	case s.metrics != nil:
		after, err := s.metrics.AuditMetrics(ctx)
		if err != nil {
			return fmt.Errorf("bench %s against %s: %w", s.workload, s.against, err)
		}
		ph.Commits = &Commits{Commits: int64(after.Commits - before.Commits)}
		if ph.Commits.Commits > 0 {
			ph.Commits.PerCommit = (after.Requests - before.Requests) / (after.Commits - before.Commits)
		}
	case s.replay != nil:
		c, r := s.replay.g.commits.Load()-beforeC, s.replay.g.requests.Load()-beforeR
		ph.Commits = &Commits{Commits: c}
		if c > 0 {
			ph.Commits.PerCommit = float64(r) / float64(c)
		}
	}
	b.record(s, ph, st)
	sum := ph.Summary
	catchUp := ""
	if c := ph.CatchUp; c != nil {
		catchUp = fmt.Sprintf("  catch-up %.2f s (%d records)", c.Seconds, c.Records)
	}
	fmt.Fprintf(b.cfg.Log, "round %d %-14s %-42s %7.0f req/s  p50 %6.2f  p99 %7.2f ms  errors %d  unanswered at end %d (oldest %.0f ms)%s\n",
		round, s.workload, s.against, sum.Throughput, sum.Latency.P50, sum.Latency.P99, sum.Errors, sum.Late, sum.LateMaxAge, catchUp)
	return nil
}

func (b *bench) record(s side, ph Phase, st *Stats) {
	b.report.Phases = append(b.report.Phases, ph)
	k := [2]string{s.workload, s.against}
	if b.stats[k] == nil {
		b.stats[k] = newStats()
		b.order = append(b.order, k)
	}
	b.stats[k].Merge(st)
	b.peak[k] = max(b.peak[k], int64(ph.PeakRSSMB*(1<<20)))
	if ph.Commits != nil {
		c := b.commit[k]
		if c == nil {
			c = &Commits{}
			b.commit[k] = c
		}
		// Requests per commit over all rounds, weighted by commits.
		total := c.PerCommit*float64(c.Commits) + ph.Commits.PerCommit*float64(ph.Commits.Commits)
		c.Commits += ph.Commits.Commits
		c.Events += ph.Commits.Events
		c.Resources += ph.Commits.Resources
		if c.Commits > 0 {
			c.PerCommit = total / float64(c.Commits)
		}
	}
	if ph.CatchUp != nil {
		c := b.catchUp[k]
		if c == nil {
			c = &CatchUp{}
			b.catchUp[k] = c
		}
		c.Slices += ph.CatchUp.Slices
		c.Records += ph.CatchUp.Records
		c.Seconds += ph.CatchUp.Seconds
	}
}

func (b *bench) note(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	b.report.Notes = append(b.report.Notes, msg)
	fmt.Fprintln(b.cfg.Log, msg)
}

// MintToken mints the tool's token: every type, every interaction.
func MintToken(secret string) (string, error) {
	tok, err := auth.Mint([]byte(secret), auth.MintClaims{
		Subject: "ehrload", ClientID: "ehrload", Scope: "user/*.cruds", TTL: 6 * time.Hour,
	})
	if err != nil {
		return "", fmt.Errorf("mint the tool's token: %w", err)
	}
	return tok, nil
}

// NewSecret is a fresh HS256 secret for a server the tool starts.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// copyStore copies a closed SQLite store (and its WAL, if any survived).
func copyStore(from, to string) error {
	for _, suffix := range []string{"", "-wal"} {
		err := copyFile(from+suffix, to+suffix)
		if suffix != "" && os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("copy store: %w", err)
		}
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
