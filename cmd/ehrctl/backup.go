package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/store/sqlite"
)

// runBackup takes an online, consistent copy of a SQLite store (VACUUM INTO)
// while the server keeps running.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", "backup --out FILE",
		`  EHR_STORE=sqlite:data/ehr.db ehrctl backup --out backups/ehr-$(date +%F).db
`, stderr)
	out := fs.String("out", "", "the backup file to create (must not exist)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if *out == "" {
		fs.Usage()
		return fmt.Errorf("--out is required")
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s already exists", *out)
	}
	cfg, err := config.Load(nil, nil)
	if err != nil {
		return err
	}
	st, err := app.OpenStore(ctx, cfg.Store)
	if err != nil {
		return err
	}
	defer st.Close()
	sq, ok := st.(*sqlite.Store)
	if !ok {
		return fmt.Errorf("backup copies SQLite stores; for MongoDB use mongodump (docs/deployment.md)")
	}
	if _, err := sq.DB().ExecContext(ctx, "VACUUM INTO ?", *out); err != nil {
		return fmt.Errorf("back up to %s: %w", *out, err)
	}
	fmt.Fprintf(stdout, "backed up to %s\n", *out)
	return nil
}
