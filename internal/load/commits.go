package load

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"

	_ "modernc.org/sqlite" // the "sqlite" driver, for a read-only look at the server's file
)

// The server does not (yet) export how many requests share a commit, so
// the tool reads it off the rows. The recorder stamps every AuditEvent of
// one group commit with the same lastUpdated (Unix ms) and inserts them
// after the batch's resources, so in rowid order each commit is one run of
// AuditEvent rows with one timestamp. Two commits in the same millisecond
// with nothing between them count as one: the figure is an upper bound on
// the batch size, tight while each commit waits for an fsync.

// CommitCounter reads a SQLite store's rows, read-only, beside a running
// server.
type CommitCounter struct{ db *sql.DB }

// OpenCommitCounter opens path read-only.
func OpenCommitCounter(path string) (*CommitCounter, error) {
	q := url.Values{}
	q.Add("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s read-only: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return &CommitCounter{db: db}, nil
}

// Close closes the connection.
func (c *CommitCounter) Close() error { return c.db.Close() }

// Mark is the last rowid written so far: Since counts what follows it.
func (c *CommitCounter) Mark(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := c.db.QueryRowContext(ctx, `SELECT MAX(rowid) FROM resource`).Scan(&n); err != nil {
		return 0, fmt.Errorf("mark rows: %w", err)
	}
	return n.Int64, nil
}

// Commits are the rows written after a mark.
type Commits struct {
	Commits   int64   `json:"commits"`
	Events    int64   `json:"audit_events"`
	Resources int64   `json:"resources"` // other than AuditEvents
	PerCommit float64 `json:"requests_per_commit"`
}

// Since counts commits, AuditEvents and other resources after mark.
// perRequest is the AuditEvents a request of the workload writes, to turn
// events per commit into requests per commit.
func (c *CommitCounter) Since(ctx context.Context, mark int64, perRequest float64) (*Commits, error) {
	const q = `
SELECT
  COALESCE(SUM(type = 'AuditEvent' AND (pt IS NULL OR pt != 'AuditEvent' OR pu != updated)), 0),
  COALESCE(SUM(type = 'AuditEvent'), 0),
  COALESCE(SUM(type != 'AuditEvent'), 0)
FROM (
  SELECT type, updated,
         LAG(type) OVER (ORDER BY rowid) AS pt,
         LAG(updated) OVER (ORDER BY rowid) AS pu
  FROM resource WHERE rowid > ?
)`
	var out Commits
	if err := c.db.QueryRowContext(ctx, q, mark).Scan(&out.Commits, &out.Events, &out.Resources); err != nil {
		return nil, fmt.Errorf("count commits: %w", err)
	}
	if out.Commits > 0 && perRequest > 0 {
		out.PerCommit = float64(out.Events) / perRequest / float64(out.Commits)
	}
	return &out, nil
}
