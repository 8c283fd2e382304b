package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/clinic/ehr/internal/seed"
)

func runSeed(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("seed", "seed --patients N [--seed S] [--out DIR] [--format bundle|ndjson] [--start 2026-01-05] [--weeks 52]",
		`  ehrctl seed --patients 200 --out seed/
  ehrctl seed --patients 100000 --seed 7 --format ndjson --out /data/seed
  ehrctl seed --patients 50 --start 2026-03-02 --weeks 12 --out small/

The same flags always write the same files: ids (p-000001, obs-000001-0003…)
are derived from the patient's number, so an import of them is idempotent.
bundle: one transaction Bundle per patient, DIR/p-000001.json.
ndjson: one file per type, DIR/Patient.ndjson … DIR/Appointment.ndjson.
`, stderr)
	patients := fs.Int("patients", 0, "number of patients (required)")
	seedValue := fs.Uint64("seed", 1, "random seed; the output depends only on the flags")
	out := fs.String("out", "seed", "output directory (created if missing)")
	format := fs.String("format", "bundle", "bundle (a transaction Bundle per patient) or ndjson (a file per type)")
	start := fs.String("start", seed.DefaultStart.Format(time.DateOnly), "first day of the appointment calendar")
	weeks := fs.Int("weeks", 52, "length of the calendar; the clinic's \"now\" is three quarters in")
	force := fs.Bool("force", false, "write into a directory that already holds .json or .ndjson files")
	quiet := fs.Bool("quiet", false, "no progress bar")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *patients < 1 {
		fs.Usage()
		return errors.New("--patients is required and must be at least 1")
	}
	day, err := time.Parse(time.DateOnly, *start)
	if err != nil {
		return fmt.Errorf("--start %q: want a date such as 2026-01-05", *start)
	}
	if *weeks < 1 || *weeks > 520 {
		return fmt.Errorf("--weeks %d: want 1 to 520", *weeks)
	}
	if *format != "bundle" && *format != "ndjson" {
		return fmt.Errorf("--format %q: want bundle or ndjson", *format)
	}
	if err := prepareOutDir(*out, *force); err != nil {
		return err
	}
	var w seed.Writer = seed.NewBundleWriter(*out)
	if *format == "ndjson" {
		nw, err := seed.NewNDJSONWriter(*out)
		if err != nil {
			return err
		}
		w = nw
	}

	bar := newBar(stderr, *quiet, int64(*patients), "patients")
	stats, err := seed.Generate(ctx, seed.Config{Patients: *patients, Seed: *seedValue, Start: day, Weeks: *weeks},
		seed.Options{Progress: func(int) { bar.Add(1) }}, w)
	bar.Finish()
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	var counts []string
	for _, t := range seed.Types {
		counts = append(counts, fmt.Sprintf("%s %d", t, stats.Resources[t]))
	}
	fmt.Fprintf(stdout, "wrote %d resources (%s) for %d patients to %s in %s: %.0f resources/s, %.1f MB\n",
		stats.Total(), strings.Join(counts, ", "), stats.Patients, *out,
		stats.Elapsed.Round(time.Millisecond), stats.PerSecond(), float64(stats.Bytes)/1e6)
	return nil
}

// prepareOutDir creates dir, and refuses one that already holds data
// files unless forced: files of an earlier, larger run would linger and be
// imported along with the new ones.
func prepareOutDir(dir string, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	if force {
		return nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); ext == ".json" || ext == ".ndjson" {
			return fmt.Errorf("%s already holds %s and maybe more; choose another --out, empty it, or give --force", dir, e.Name())
		}
	}
	return nil
}
