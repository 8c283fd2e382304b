// Command ehrload drives the EHR server with clinic workloads and measures
// it against ceilings taken in the same run (docs/performance.md).
//
//	ehrload bench  [flags]   seed, spawn bin/ehrd, run every phase interleaved with its ceiling
//	ehrload run    [flags]   one workload against a server (--url, --spawn or --inprocess)
//	ehrload seed   [flags]   seed a store file (--store) or a running server (--url)
//	ehrload replay [flags]   ceiling b alone: the server's rows straight into a store
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ehrload:", err)
		}
		os.Exit(1)
	}
}

var commands = map[string]func(ctx context.Context, args []string) error{
	"bench":  benchCmd,
	"run":    runCmd,
	"seed":   seedCmd,
	"replay": replayCmd,
}

func run(args []string) error {
	if len(args) == 0 || commands[args[0]] == nil {
		fmt.Fprintln(os.Stderr, "usage: ehrload bench|run|seed|replay [flags]   (ehrload CMD -h for the flags)")
		return flag.ErrHelp
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return commands[args[0]](ctx, args[1:])
}
