package audit

import (
	"crypto/rand"
	"encoding/base64"
	"log/slog"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// Options configure a Recorder. The zero value works: no checkpoints, no
// index entries, the system clock and random ids.
type Options struct {
	Signer   note.Signer // signs periodic checkpoints; nil: none
	MaxBatch int         // requests per commit; default 256
	// MaxBatchWeight bounds the work of one commit: a request weighs 1, or
	// what WithWeight gave its context (a transaction's entry count). A
	// commit always takes at least one request. Default 4096.
	MaxBatchWeight int
	// Index extracts search index entries and sort values from an AuditEvent;
	// nil stores AuditEvents without index entries.
	Index IndexFunc
	// MaxProjectionLag is how many records may wait for their AuditEvent
	// resource (projection.go) while requests keep the sequencer busy; past
	// it, every group commit is followed by a projection commit. It bounds
	// how long Sync can take after a burst. Default 10,000.
	MaxProjectionLag int64
	Now              func() time.Time // clock; default time.Now
	NewID            func() string    // AuditEvent ids; default 22 random URL-safe characters

	CommitTimeout   time.Duration       // bound on one group commit; default 10s
	CheckpointEvery time.Duration       // with a Signer; default 1 minute
	OnCheckpoint    func(signed []byte) // receives each periodic checkpoint; must be quick
	// OnCommit receives every group commit's size and duration (for metrics);
	// it runs on the sequencer and must be quick.
	OnCommit func(requests int, took time.Duration, err error)
	Logger   *slog.Logger // default slog.Default()
}

const (
	defaultMaxBatch         = 256
	defaultMaxBatchWeight   = 4096
	defaultCommitTimeout    = 10 * time.Second
	defaultCheckpointEvery  = time.Minute
	defaultMaxProjectionLag = 10_000
)

func (o Options) withDefaults() Options {
	if o.MaxBatch <= 0 {
		o.MaxBatch = defaultMaxBatch
	}
	if o.MaxBatchWeight <= 0 {
		o.MaxBatchWeight = defaultMaxBatchWeight
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewID == nil {
		o.NewID = randomID
	}
	if o.CommitTimeout <= 0 {
		o.CommitTimeout = defaultCommitTimeout
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = defaultCheckpointEvery
	}
	if o.MaxProjectionLag <= 0 {
		o.MaxProjectionLag = defaultMaxProjectionLag
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// randomID is 128 random bits, URL-safe base64: 22 characters.
func randomID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Stats count the recorder's work since it started.
type Stats struct {
	Commits   int64   // successful group commits
	Failures  int64   // group commits that failed (their waiters got ErrUnavailable)
	Conflicts int64   // retries after another writer extended the log
	Requests  int64   // requests committed
	Events    int64   // AuditEvents committed
	MeanBatch float64 // requests per successful commit
	Projected int64   // records whose AuditEvent resource is written (all but the lag)
	Lag       int64   // records whose AuditEvent resource is not written yet
	Queued    int64   // requests waiting for the next group commit
}
