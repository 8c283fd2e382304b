package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"strings"

	"github.com/clinic/ehr/internal/load"
)

func seedCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	data := datasetFlags(fs)
	store := fs.String("store", "", "SQLite file to seed through the engine (the server must be stopped); sqlite: prefix allowed")
	url := fs.String("url", "", "running server to seed over HTTP instead (it must not rate-limit: EHR_RATE_LIMIT=0)")
	secret := fs.String("secret", os.Getenv("EHR_AUTH_HS256_SECRET"), "HS256 secret for --url")
	conc := fs.Int("concurrency", 16, "requests in flight with --url")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *store != "" && *url == "":
		return load.SeedStore(ctx, strings.TrimPrefix(*store, "sqlite:"), data, os.Stderr)
	case *url != "" && *store == "":
		tok, err := load.MintToken(*secret)
		if err != nil {
			return err
		}
		c := load.NewClient(*url, tok, *conc)
		defer c.Close()
		return load.SeedHTTP(ctx, c, data, *conc, os.Stderr)
	}
	return errors.New("seed: give one of --store and --url")
}
