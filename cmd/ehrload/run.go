package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/clinic/ehr/internal/load"
)

// runOpts are the flags of `ehrload run`.
type runOpts struct {
	workload            string
	conc, requests      int
	duration, warmup    time.Duration
	url, secret, token  string
	spawn               string
	inprocess           bool
	audit               string
	store               string
	seed                bool
	seedConc            int
	env                 listFlag
	cpuProfile, memProf string
	jsonOut             string
}

func runCmd(ctx context.Context, args []string) error {
	var o runOpts
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	data := datasetFlags(fs)
	fs.StringVar(&o.workload, "workload", "read", "one of "+strings.Join(load.Workloads, ", "))
	fs.IntVar(&o.conc, "concurrency", 64, "closed-loop workers")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "measured time")
	fs.IntVar(&o.requests, "requests", 0, "run exactly this many requests instead of --duration (no warmup)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured lead-in")
	fs.StringVar(&o.url, "url", "", "a running server's base URL (http://host:port)")
	fs.StringVar(&o.secret, "secret", os.Getenv("EHR_AUTH_HS256_SECRET"), "HS256 secret to mint the token with (default $EHR_AUTH_HS256_SECRET)")
	fs.StringVar(&o.token, "token", "", "bearer token to use instead of minting one")
	fs.StringVar(&o.spawn, "spawn", "", "server binary to start (e.g. bin/ehrd)")
	fs.BoolVar(&o.inprocess, "inprocess", false, "host the server in this process (profiles include it)")
	fs.StringVar(&o.audit, "audit", "on", "with --spawn or --inprocess: on, or off (EHR_BENCH_AUDIT=off: writes still commit, no AuditEvents; the server, or this tool with --inprocess, must be built with -tags ehrbench)")
	fs.StringVar(&o.store, "store", "", "with --spawn or --inprocess: the SQLite file (default: a fresh one in a temporary directory)")
	fs.BoolVar(&o.seed, "seed", false, "seed first (through the engine into --store, or over HTTP with --url)")
	fs.IntVar(&o.seedConc, "seed-concurrency", 16, "requests in flight when seeding over HTTP")
	fs.Var(&o.env, "server-env", "KEY=VALUE for the server (repeatable)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of this process during the measured run")
	fs.StringVar(&o.memProf, "memprofile", "", "write an allocation profile of this process after the run")
	fs.StringVar(&o.jsonOut, "json", "", "write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if n := countTrue(o.url != "", o.spawn != "", o.inprocess); n != 1 {
		return errors.New("run: give exactly one of --url, --spawn and --inprocess")
	}
	if err := data.Validate(); err != nil {
		return err
	}
	switch o.audit {
	case "on":
	case "off":
		if o.url != "" {
			return errors.New("run: --audit off needs --spawn or --inprocess (a running server's audit is its own)")
		}
		o.env = append(o.env, "EHR_BENCH_AUDIT=off")
	default:
		return fmt.Errorf("run: --audit %q: want on or off", o.audit)
	}
	base, pid, secret, stop, err := o.start(ctx, data)
	if err != nil {
		return err
	}
	defer stop()
	tok := o.token
	if tok == "" {
		if tok, err = load.MintToken(secret); err != nil {
			return err
		}
	}
	client := load.NewClient(base, tok, o.conc+4)
	defer client.Close()
	if o.seed && o.url != "" {
		if err := load.SeedHTTP(ctx, client, data, o.seedConc, os.Stderr); err != nil {
			return err
		}
	}
	t := &load.Target{Client: client, Data: data}
	ops, err := t.Workload(o.workload)
	if err != nil {
		return err
	}
	return o.measure(ctx, data, ops, pid)
}

// start brings up the target: nothing for --url, a process for --spawn, a
// server in this process for --inprocess. It returns the base URL, the pid
// to watch (0: none), the secret tokens are minted with, and a stop func.
func (o *runOpts) start(ctx context.Context, data *load.Dataset) (string, int, string, func(), error) {
	if o.url != "" {
		if o.secret == "" && o.token == "" {
			return "", 0, "", nil, errors.New("run: --url needs --secret (or $EHR_AUTH_HS256_SECRET) or --token")
		}
		return o.url, 0, o.secret, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "ehrload-run-")
	if err != nil {
		return "", 0, "", nil, fmt.Errorf("run: work directory: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	store := o.store
	if store == "" {
		store = filepath.Join(dir, "ehr.db")
	}
	if o.seed {
		if err := load.SeedStore(ctx, store, data, os.Stderr); err != nil {
			cleanup()
			return "", 0, "", nil, err
		}
	}
	secret := o.secret
	if secret == "" {
		secret = load.NewSecret()
	}
	if o.spawn != "" {
		srv, err := load.Spawn(ctx, load.SpawnConfig{Bin: o.spawn, Dir: dir, StorePath: store, Secret: secret, Env: o.env})
		if err != nil {
			cleanup()
			return "", 0, "", nil, err
		}
		return srv.URL, srv.Pid, secret, func() { _ = srv.Stop(30 * time.Second); cleanup() }, nil
	}
	p, err := load.StartInProcess(ctx, store, dir, secret, envMap(o.env), nil)
	if err != nil {
		cleanup()
		return "", 0, "", nil, err
	}
	return p.URL, os.Getpid(), secret, func() { _ = p.Close(context.Background()); cleanup() }, nil
}

// measure runs the workload and prints (and writes) its figures.
func (o *runOpts) measure(ctx context.Context, data *load.Dataset, ops func(int) load.Op, pid int) error {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	st, err := load.Run(ctx, load.RunConfig{Concurrency: o.conc, Duration: o.duration, Warmup: o.warmup, Requests: o.requests, Seed: 1}, ops)
	if err != nil {
		return err
	}
	if o.memProf != "" {
		if err := writeHeapProfile(o.memProf); err != nil {
			return err
		}
	}
	against := "ehrd at " + o.url
	switch {
	case o.spawn != "":
		against = "ehrd (spawned), audit " + o.audit
	case o.inprocess:
		against = "in-process, audit " + o.audit
	}
	rep := &load.Report{Started: time.Now().UTC(), Machine: load.ThisMachine(), Dataset: *data,
		Command:  "ehrload run " + strings.Join(os.Args[2:], " "),
		Settings: load.Settings{SliceS: o.duration.Seconds(), WarmupS: o.warmup.Seconds(), Rounds: 1, Concurrency: o.conc},
		Figures:  []load.Figure{{Workload: o.workload, Against: against, Summary: st.Summary()}}}
	if pid != 0 {
		if m, err := load.ReadMem(pid); err == nil {
			rep.Figures[0].PeakRSSMB = float64(m.HWM) / (1 << 20)
			rep.Notes = append(rep.Notes, fmt.Sprintf("VmHWM of pid %d: %.0f MB (since it started)", pid, float64(m.HWM)/(1<<20)))
		}
	}
	if o.jsonOut != "" {
		if err := rep.WriteJSON(o.jsonOut); err != nil {
			return err
		}
	}
	return rep.WriteTable(os.Stdout)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("allocation profile: %w", err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return fmt.Errorf("allocation profile: %w", err)
	}
	return nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
