package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Seeding 100,000 Observations through the engine takes a minute or more
// on 2 cores, longer than any phase. A seeded store is kept in a cache
// directory under a key of the dataset and of this executable's bytes: a
// rebuilt tool (new schema, new index extraction, new rules) seeds anew.

// seedCached leaves a seeded store at path, from the cache when it has one.
func seedCached(ctx context.Context, cacheDir, path string, d *Dataset, log io.Writer) (cached bool, err error) {
	if cacheDir == "" {
		return false, SeedStore(ctx, path, d, log)
	}
	key, err := seedKey(d)
	if err != nil {
		return false, err
	}
	file := filepath.Join(cacheDir, "seed-"+key+".db")
	if _, err := os.Stat(file); err == nil {
		return true, copyStore(file, path)
	}
	if err := SeedStore(ctx, path, d, log); err != nil {
		return false, err
	}
	if err := os.MkdirAll(cacheDir, 0o750); err != nil {
		return false, fmt.Errorf("seed cache: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(cacheDir, "seed-*.db"))
	for _, f := range old { // one dataset at a time: they are large
		_ = os.Remove(f)
	}
	tmp := file + ".tmp"
	if err := copyStore(path, tmp); err != nil {
		return false, err
	}
	if err := os.Rename(tmp, file); err != nil {
		return false, fmt.Errorf("seed cache: %w", err)
	}
	return false, nil
}

// seedKey names a dataset seeded by this very executable.
func seedKey(d *Dataset) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("seed cache: %w", err)
	}
	f, err := os.Open(exe)
	if err != nil {
		return "", fmt.Errorf("seed cache: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("seed cache: %w", err)
	}
	fmt.Fprintf(h, "%d/%d/%d/%d/%s/%d/%d", d.Patients, d.Observations, d.Appointments, d.Practitioners, d.Start.Format("2006-01-02"), d.Days, d.Seed)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}
