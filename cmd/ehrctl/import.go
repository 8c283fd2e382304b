package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/clinic/ehr/internal/importer"
)

// defaultServer is where `ehrd` listens out of the box.
const defaultServer = "http://localhost:8080/fhir"

// maxShownFailures bounds the failures printed; the count is always given.
const maxShownFailures = 100

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", "import [--server URL] [--token T | --secret S] [--concurrency N] [--batch 200] [--state FILE] FILE…",
		`  ehrctl import --secret "$(cat data/quickstart.secret)" seed/*.json
  ehrctl import --server https://ehr.example.org/fhir --token "$TOKEN" seed/
  EHR_AUTH_HS256_SECRET=… ehrctl import --concurrency 8 seed/Patient.ndjson seed/Observation.ndjson

FILE is a batch or transaction Bundle (.json), an NDJSON file (.ndjson, one
resource a line, sent in batch Bundles of --batch entries), or a directory of
them. Resources with an id are written with PUT Type/id, so the server keeps
the ids and a retry cannot duplicate them. The state file records finished
batches: run the same command again after an interruption and it resumes,
comparing the batches that were in flight with the server before writing.
`, stderr)
	server := fs.String("server", "", "FHIR base URL (default $EHR_BASE_URL, else "+defaultServer+")")
	tok := fs.String("token", "", "bearer token (needs create, update and search on the types imported)")
	// The secret's default is read after parsing, so that --help never prints it.
	secret := fs.String("secret", "", "HS256 secret to mint a token with scope "+importer.ImportScope+" (default $EHR_AUTH_HS256_SECRET)")
	sub := fs.String("sub", "ehrctl-import", "subject of the minted token, as the audit trail shows it")
	concurrency := fs.Int("concurrency", 4, "batches in flight")
	batchSize := fs.Int("batch", 200, "entries per batch Bundle")
	maxBody := fs.Int("max-body", 4<<20, "largest request body to send, in bytes; keep it below the server's EHR_MAX_BODY_BYTES")
	state := fs.String("state", "", "state file for resuming (default: the first FILE with .import-state appended)")
	noState := fs.Bool("no-state", false, "keep no state file (a re-run sends everything again)")
	skipUnchanged := fs.Bool("skip-unchanged", false, "compare every resource with the server's copy first and skip identical ones (slower; for a re-import without the state file)")
	retries := fs.Int("retries", 8, "attempts per request on 429, 502, 503, 504 and network errors")
	timeout := fs.Duration("timeout", 5*time.Minute, "time limit of one request")
	quiet := fs.Bool("quiet", false, "no progress bar (it is off anyway when stderr is not a terminal)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	files := fs.Args()
	if len(files) == 0 {
		fs.Usage()
		return errors.New("no input FILE given")
	}
	tokens, err := importTokens(*tok, firstSet(*secret, os.Getenv("EHR_AUTH_HS256_SECRET")), *sub)
	if err != nil {
		return err
	}
	statePath := *state
	if statePath == "" {
		statePath = strings.TrimRight(files[0], string(filepath.Separator)) + ".import-state"
	}
	if *noState {
		statePath = ""
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	drain := onInterrupt(ctx, cancel, stderr)
	bar := newBar(stderr, *quiet, 0, "resources")
	res, err := importer.Run(ctx, files, importer.Options{
		Server: firstSet(*server, os.Getenv("EHR_BASE_URL"), defaultServer), Tokens: tokens,
		Concurrency: *concurrency, BatchSize: *batchSize, MaxBytes: *maxBody,
		StatePath: statePath, SkipUnchanged: *skipUnchanged,
		Retries: *retries, Timeout: *timeout, Progress: bar, Drain: drain,
	})
	bar.Finish()
	if res != nil {
		printFailures(stderr, res)
		printSummary(stdout, res)
	}
	switch {
	case errors.Is(err, importer.ErrStopped) || (err != nil && ctx.Err() != nil && !importer.IsFatal(err)):
		msg := "interrupted"
		if statePath != "" {
			msg += "; run the same command again to resume (state in " + statePath + ")"
		}
		return exitError{code: 130, err: errors.New(msg)}
	case err != nil:
		return err
	case res.Failed > 0:
		return fmt.Errorf("%d of %d resources were not imported (see above)", res.Failed, res.Sent())
	}
	return nil
}

// onInterrupt turns the first Ctrl-C (or SIGTERM) into a graceful stop:
// the batches in flight are answered and journaled, so the resume has
// nothing to compare. A second one cancels at once.
func onInterrupt(ctx context.Context, cancel context.CancelFunc, stderr io.Writer) <-chan struct{} {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	drain := make(chan struct{})
	go func() {
		defer signal.Stop(sigs)
		select {
		case <-sigs:
		case <-ctx.Done():
			return
		}
		fmt.Fprintln(stderr, "\nstopping once the batches in flight are answered; interrupt again to stop at once")
		close(drain)
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return drain
}

// importTokens picks the token: given, or minted from the shared secret.
func importTokens(tok, secret, sub string) (importer.TokenSource, error) {
	switch {
	case tok != "":
		return importer.StaticToken(tok), nil
	case secret != "":
		src, err := importer.NewSecretToken([]byte(secret), sub, importer.ImportScope)
		if err != nil {
			return nil, fmt.Errorf("--secret: %w", err)
		}
		return src, nil
	}
	return nil, errors.New("no credentials: give --token, or --secret (or set EHR_AUTH_HS256_SECRET)")
}

func printSummary(w io.Writer, r *importer.Result) {
	fmt.Fprintf(w, "imported %d resources from %d files in %s (%.0f resources/s): %d created, %d updated, %d unchanged, %d done before, %d failed\n",
		r.Sent(), r.Files, r.Elapsed.Round(time.Millisecond), r.PerSecond(), r.Created, r.Updated, r.Unchanged, r.Skipped, r.Failed)
	if r.NotIdempotent > 0 {
		fmt.Fprintf(w, "note: %d resources had neither an id nor an identifier; a retry may have stored them twice\n", r.NotIdempotent)
	}
}

func printFailures(w io.Writer, r *importer.Result) {
	for i, f := range r.Failures {
		if i == maxShownFailures {
			fmt.Fprintf(w, "… and %d more failures\n", r.Failed-maxShownFailures)
			break
		}
		where := fmt.Sprintf("%s:%d", f.File, f.Item)
		status := "unreadable"
		if f.Status != 0 {
			status = fmt.Sprint(f.Status)
		}
		fmt.Fprintf(w, "%s %s: %s %s\n", where, f.Ref, status, f.Message)
	}
}

// exitError carries an exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
func (e exitError) ExitCode() int { return e.code }

// firstSet returns the first non-empty value.
func firstSet(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

// bar is a progress bar on stderr, or nothing when stderr is not a
// terminal (a log file, a pipe) or --quiet is given.
type bar struct{ pb *progressbar.ProgressBar }

func newBar(stderr io.Writer, quiet bool, total int64, unit string) *bar {
	f, ok := stderr.(*os.File)
	if quiet || !ok || !term.IsTerminal(int(f.Fd())) {
		return &bar{}
	}
	return &bar{pb: progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(stderr),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(unit),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)}
}

func (b *bar) SetTotal(n int64) {
	if b.pb != nil {
		b.pb.ChangeMax64(n)
	}
}

func (b *bar) Add(n int) {
	if b.pb != nil {
		_ = b.pb.Add(n) // only fails on a closed terminal: nothing to do
	}
}

func (b *bar) Finish() {
	if b.pb != nil {
		_ = b.pb.Finish()
	}
}

var _ importer.Progress = (*bar)(nil)
