// Package sqlite is the embedded storage backend, on modernc.org/sqlite.
//
// One writer connection, used only by Commit, applies group commits in
// IMMEDIATE transactions; a separate pool of query-only connections serves
// reads, which WAL mode lets run beside the writer. The schema lives in
// migrations/ and is applied at Open.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/clinic/ehr/internal/store"
)

// Options tune a Store. The zero value is a durable default.
type Options struct {
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing. Default 5s.
	BusyTimeout time.Duration
	// ReadConns bounds the read pool. Default 4*GOMAXPROCS.
	ReadConns int
	// Synchronous is "FULL" (default: a commit survives power loss) or
	// "NORMAL" (a commit may be lost on power loss, never corrupted).
	Synchronous string
}

// synchronousModes are the accepted Options.Synchronous values. The value
// goes into the DSN, so it must come from this table.
var synchronousModes = map[string]string{"": "FULL", "FULL": "FULL", "NORMAL": "NORMAL"}

func (o Options) withDefaults() (Options, error) {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.ReadConns <= 0 {
		o.ReadConns = 4 * runtime.GOMAXPROCS(0)
	}
	mode, ok := synchronousModes[strings.ToUpper(o.Synchronous)]
	if !ok {
		return o, fmt.Errorf("sqlite: synchronous %q: want FULL or NORMAL", o.Synchronous)
	}
	o.Synchronous = mode
	return o, nil
}

// stmtCacheSize bounds the search statements kept prepared per pool.
const stmtCacheSize = 256

// Store is the SQLite backend. It is safe for concurrent use.
type Store struct {
	writer  *sql.DB
	readers *sql.DB
	// writeSlot serialises use of the writer. It is a one-slot channel rather
	// than a sync.Mutex so that a caller can stop waiting when its ctx ends.
	writeSlot chan struct{}
	ws        writeStmts
	rs        readStmts
	// Search statements, prepared once per shape: on the writer for
	// searches inside a commit, on the read pool for the rest.
	writeCache, readCache *stmtCache
	stats                 *rangeStats // the shapes of range entries (rangestats.go)

	ckpt               *sql.DB // the checkpointer's connection (checkpoint.go)
	ckptStop, ckptDone chan struct{}
}

// Open opens (creating if needed) the database at path and brings its schema
// up to date.
func Open(path string, opts Options) (*Store, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite: open %q: want a plain file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	s := &Store{writeSlot: make(chan struct{}, 1)}
	if err := s.open(path, opts); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(path string, opts Options) error {
	ctx := context.Background()
	var err error
	// The writer comes first: it switches the file to WAL and migrates it
	// before any reader looks at it.
	if s.writer, err = sql.Open("sqlite", writerDSN(path, opts)); err != nil {
		return fmt.Errorf("sqlite: open writer %s: %w", path, err)
	}
	s.writer.SetMaxOpenConns(1)
	s.writer.SetMaxIdleConns(1)
	s.writer.SetConnMaxLifetime(0)
	s.writer.SetConnMaxIdleTime(0)
	if err := s.writer.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: open writer %s: %w", path, err)
	}
	if err := migrate(ctx, s.writer); err != nil {
		return fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	if s.readers, err = sql.Open("sqlite", readerDSN(path, opts)); err != nil {
		return fmt.Errorf("sqlite: open readers %s: %w", path, err)
	}
	s.readers.SetMaxOpenConns(opts.ReadConns)
	s.readers.SetMaxIdleConns(opts.ReadConns)
	if err := s.ws.prepare(ctx, s.writer); err != nil {
		return err
	}
	if err := s.rs.prepare(ctx, s.readers); err != nil {
		return err
	}
	// One for both pools: the writer widens what readers plan with.
	s.stats = newRangeStats(s.readers)
	s.writeCache, s.readCache = newStmtCache(s.writer, stmtCacheSize, s.stats), newStmtCache(s.readers, stmtCacheSize, s.stats)
	return s.startCheckpointer(path, opts)
}

// DB returns the writer's handle, for tests that inspect or tamper with the
// stored rows directly. Writing through it bypasses every check of the Store.
func (s *Store) DB() *sql.DB { return s.writer }

// Close runs PRAGMA optimize, as SQLite advises before closing, and closes
// both pools. It must not be called while a Commit runs.
func (s *Store) Close() error {
	errs := []error{s.stopCheckpointer()}
	for _, c := range []*stmtCache{s.writeCache, s.readCache} {
		if c != nil {
			c.close()
		}
	}
	s.ws.close()
	s.rs.close()
	if s.stats != nil {
		s.stats.close() // its reads use the read pool
	}
	if s.readers != nil {
		errs = append(errs, s.readers.Close())
	}
	if s.writer != nil {
		// Best effort: optimize only refreshes planner statistics, and fails
		// harmlessly when the file cannot be written.
		_, _ = s.writer.Exec("PRAGMA optimize")
		errs = append(errs, s.writer.Close())
	}
	return errors.Join(errs...)
}

// acquireWriter waits for the writer, or for ctx to end.
func (s *Store) acquireWriter(ctx context.Context) error {
	select {
	case s.writeSlot <- struct{}{}:
		return nil
	case <-ctx.Done():
		return unavailable("wait for writer", ctx.Err())
	}
}

func (s *Store) releaseWriter() { <-s.writeSlot }

var _ store.Store = (*Store)(nil)
