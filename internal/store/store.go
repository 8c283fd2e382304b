// Package store defines the storage interface that every backend implements,
// and the shared types that cross it. Backends know nothing of FHIR semantics:
// they keep resource versions, their index entries and the audit log, and they
// translate search expression trees into their own query language.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/clinic/ehr/internal/search"
)

// Errors that backends return, wrapped with context. Callers test with errors.Is.
var (
	ErrNotFound    = errors.New("not found")
	ErrConflict    = errors.New("version conflict")    // optimistic lock lost, or duplicate key
	ErrUnavailable = errors.New("storage unavailable") // the backend cannot serve now
)

// Resource is one version of a resource as stored.
type Resource struct {
	Type        string
	ID          string
	VersionID   int64
	LastUpdated time.Time // UTC, millisecond precision
	Deleted     bool      // a deletion marker: Body is empty
	Body        []byte    // full JSON including id and meta
}

// IndexEntry is one normalised search value; see search.IndexEntry.
type IndexEntry = search.IndexEntry

// Write is one new resource version with the index entries of its content.
type Write struct {
	Resource Resource
	Index    []IndexEntry // ignored for deletion markers
	// Sort holds one value per sortable parameter, used by _sort and keyset
	// paging: a string for string/token/reference/uri parameters, a float64
	// for date/number/quantity parameters (the low end of the first value).
	Sort map[string]any
}

// LogEntry is one record of the append-only audit log. Its leaf hash is the
// RFC 6962 record hash of the AuditEvent's stored body.
type LogEntry struct {
	Seq        int64  // contiguous, 0-based
	ResourceID string // the AuditEvent resource that holds the record
	Hash       []byte // leaf hash
	// Body is the AuditEvent as hashed. The log keeps it so that the record
	// is durable before the AuditEvent resource (its searchable projection)
	// is written; entries stored before the log kept bodies have none.
	Body []byte
}

// LogHash is one stored hash of the Merkle tree, at tlog's storage index.
type LogHash struct {
	Index int64
	Hash  []byte
}

// Query is a planned search ready for a backend to translate.
type Query struct {
	Type  string      // resource type searched
	Where search.Expr // nil means every current resource of Type
	// Sort orders by Write.Sort values, then by the backend's row order as
	// the final tie-breaker: a key of each resource that never changes and
	// grows for new resources (SQLite: its row, in creation order) or its id
	// (MongoDB). Resources without a value for a key sort after those with
	// one, in both directions. Empty Sort orders by the row order alone, so
	// paging while others write shows no resource twice and skips none that
	// existed when the search started.
	Sort  []SortKey
	Count int     // page size; 0 means only Total is wanted
	Total bool    // compute the total number of matches
	After *Cursor // keyset: the page after this position
	// Before asks for the page before this position (a previous link). Results
	// still come back in the requested sort order.
	Before *Cursor
}

// SortKey orders results by a parameter's sort value.
type SortKey struct {
	Param string
	Desc  bool
}

// Cursor is a position in a sorted result: the sort values of a row and its id.
type Cursor struct {
	Values []any  `json:"v"`
	ID     string `json:"i"`
	// Row is the backend's own position of the row when its row order is
	// not the id (SQLite's rowid); zero otherwise.
	Row int64 `json:"r,omitempty"`
}

// SearchResult is one page of a search.
type SearchResult struct {
	Resources []Resource
	Total     int     // -1 when not computed
	Next      *Cursor // non-nil when more rows follow the page
	Prev      *Cursor // non-nil when rows precede the page
}

// HistoryQuery selects versions of one resource, newest first.
type HistoryQuery struct {
	Type, ID string
	Since    time.Time // zero: no lower bound
	Count    int       // 0: no limit
	// BeforeVersion pages back: only versions older than this one (0: from the newest).
	BeforeVersion int64
}

// Reader is what both a store and a transaction can read.
type Reader interface {
	// Read returns the current version of a resource (which may be a deletion
	// marker) or ErrNotFound.
	Read(ctx context.Context, typ, id string) (*Resource, error)
	// Search runs a planned query over current, non-deleted resources.
	Search(ctx context.Context, q *Query) (*SearchResult, error)
}

// Tx is one unit of work inside a group commit. Writes are buffered and
// applied only if the unit's function returns nil; reads see the writes of
// earlier units of the same commit.
type Tx interface {
	Reader
	// Put stores a new version. The version must be exactly one more than the
	// current version (1 for a resource that does not exist), else ErrConflict.
	Put(w Write) error
	// AppendLog adds audit log entries and Merkle tree hashes. The entries'
	// sequence numbers must continue the log exactly, else ErrConflict.
	AppendLog(entries []LogEntry, hashes []LogHash) error
}

// Store is a storage backend.
type Store interface {
	Reader
	// ReadVersion returns one version of a resource or ErrNotFound.
	ReadVersion(ctx context.Context, typ, id string, vid int64) (*Resource, error)
	// History returns versions of a resource, newest first.
	History(ctx context.Context, q HistoryQuery) ([]Resource, error)

	// Commit runs the units in order inside one storage transaction, then
	// finish with every unit's result, and commits durably. A unit that returns
	// an error leaves no trace and its error is returned at its index. If
	// finish or the commit itself fails, nothing is stored and the error is
	// returned (wrapping ErrUnavailable, or ErrConflict when the audit log was
	// extended by another writer). The group committer in package audit uses
	// finish to append the AuditEvents that describe the units' outcomes.
	Commit(ctx context.Context, units []func(Tx) error, finish func(tx Tx, results []error) error) ([]error, error)

	// LogSize returns the number of audit log entries.
	LogSize(ctx context.Context) (int64, error)
	// LogEntries returns entries with from <= Seq < to, in order.
	LogEntries(ctx context.Context, from, to int64) ([]LogEntry, error)
	// LogHashes returns the stored tree hashes at the given storage indexes.
	LogHashes(ctx context.Context, indexes []int64) ([][]byte, error)

	// Ping reports whether the storage is reachable and writable.
	Ping(ctx context.Context) error
	Close() error
}
