// Command ehrctl is the operator CLI: mint tokens, verify and export the
// audit trail. It reads the same environment as ehrd.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"token", "print a signed HS256 access token", runToken},
	{"audit", "verify, export and report on the audit trail (audit verify|export|accounting)", runAudit},
	{"health", "probe a server's /readyz (container healthcheck)", runHealth},
	{"backup", "take an online copy of a SQLite store", runBackup},
	{"seed", "generate a synthetic clinic (Bundles or NDJSON)", runSeed},
	{"import", "load Bundles and NDJSON into a running server", runImport},
}

func main() {
	os.Exit(mainCode(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func mainCode(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintln(stderr, "ehrctl "+c.name+":", err)
			var ec exitCoder
			if errors.As(err, &ec) {
				return ec.ExitCode()
			}
			return 1
		}
	}
	fmt.Fprintf(stderr, "ehrctl: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

var errUsage = errors.New("usage")

type exitCoder interface{ ExitCode() int }

func usage(w io.Writer) {
	var b strings.Builder
	b.WriteString("usage: ehrctl COMMAND [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-8s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'ehrctl COMMAND --help' for a command's flags and examples.\n")
	fmt.Fprint(w, b.String())
}

// newFlagSet makes a flag set whose --help prints examples.
func newFlagSet(name, synopsis, examples string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("ehrctl "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: ehrctl %s\n\nflags:\n", synopsis)
		fs.PrintDefaults()
		if examples != "" {
			fmt.Fprintf(stderr, "\nexamples:\n%s", examples)
		}
	}
	return fs
}
