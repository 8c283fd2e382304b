package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/clinic/ehr/internal/load"
)

func replayCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	store := fs.String("store", "", "SQLite file to write into (created if missing; not one a server is using)")
	workload := fs.String("workload", "create-vitals", "create-vitals or transaction")
	conc := fs.Int("concurrency", 64, "goroutines submitting")
	duration := fs.Duration("duration", 10*time.Second, "measured time")
	warmup := fs.Duration("warmup", time.Second, "unmeasured lead-in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *store == "" {
		return errors.New("replay: --store is required")
	}
	r, err := load.OpenReplay(ctx, strings.TrimPrefix(*store, "sqlite:"))
	if err != nil {
		return err
	}
	defer r.Close()
	ops, err := r.Workload(*workload)
	if err != nil {
		return err
	}
	st, err := load.Run(ctx, load.RunConfig{Concurrency: *conc, Duration: *duration, Warmup: *warmup, Seed: 1}, ops)
	if err != nil {
		return err
	}
	// What the window left to project, as a server would once idle.
	records, took, err := r.WaitCaughtUp(ctx)
	if err != nil {
		return err
	}
	rep := &load.Report{Started: time.Now().UTC(), Machine: load.ThisMachine(),
		Settings: load.Settings{SliceS: duration.Seconds(), WarmupS: warmup.Seconds(), Rounds: 1, Concurrency: *conc},
		Figures:  []load.Figure{{Workload: *workload, Against: "ceiling-b (store replay)", Summary: st.Summary()}},
		Notes: []string{fmt.Sprintf("%.1f requests per commit", r.MeanBatch()),
			fmt.Sprintf("catch-up after the window: %d AuditEvents projected in %.2f s", records, took.Seconds())}}
	return rep.WriteTable(os.Stdout)
}
