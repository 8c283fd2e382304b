package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/clinic/ehr/internal/load"
)

func benchCmd(ctx context.Context, args []string) error {
	cfg := load.DefaultBenchConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	data := datasetFlags(fs)
	fs.DurationVar(&cfg.Slice, "slice", cfg.Slice, "measured time of one slice")
	fs.DurationVar(&cfg.Warmup, "warmup", cfg.Warmup, "unmeasured lead-in of each slice")
	fs.IntVar(&cfg.Rounds, "rounds", cfg.Rounds, "slices per figure, interleaved with its ceiling's")
	fs.IntVar(&cfg.Concurrency, "concurrency", cfg.Concurrency, "closed-loop workers")
	fs.IntVar(&cfg.TxConcurrency, "tx-concurrency", cfg.TxConcurrency, "closed-loop workers of the transaction workload")
	phases := fs.String("phases", strings.Join(load.BenchPhases, ","), "phases to run")
	audit := fs.String("audit-workloads", strings.Join(cfg.AuditWorkloads, ","), "workloads of the audit on/off pairs")
	fs.StringVar(&cfg.ServerBin, "spawn", cfg.ServerBin, "server binary to start")
	fs.StringVar(&cfg.BenchBin, "spawn-bench", cfg.BenchBin, "server binary built with -tags ehrbench, started with EHR_BENCH_AUDIT=on and =off for the audit phase")
	var env listFlag
	fs.Var(&env, "server-env", "KEY=VALUE for the server (repeatable)")
	fs.StringVar(&cfg.Dir, "dir", "", "work directory, kept afterwards (default: a temporary one, removed)")
	fs.StringVar(&cfg.SeedFrom, "seed-from", "", "copy this store (seeded earlier with the same dataset flags) instead of seeding")
	fs.StringVar(&cfg.SeedCache, "seed-cache", "", "directory keeping the seeded store between runs (keyed by dataset and tool build)")
	jsonOut := fs.String("json", "", "write the report as JSON to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Data = *data
	cfg.Phases = strings.Split(*phases, ",")
	cfg.AuditWorkloads = strings.Split(*audit, ",")
	cfg.ServerEnv = env
	cfg.Log = os.Stderr
	rep, err := load.Bench(ctx, cfg)
	if rep != nil {
		rep.Command = "ehrload bench " + strings.Join(args, " ")
		if *jsonOut != "" {
			if werr := rep.WriteJSON(*jsonOut); werr != nil {
				return werr
			}
		}
		if len(rep.Figures) > 0 {
			fmt.Println()
			if werr := rep.WriteTable(os.Stdout); werr != nil {
				return werr
			}
		}
	}
	return err
}
