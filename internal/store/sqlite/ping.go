package sqlite

import (
	"context"
	"errors"
	"fmt"
)

// Ping checks that the writer can take the write lock and change the file.
// A query alone would pass on a read-only file or a query_only connection.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.acquireWriter(ctx); err != nil {
		return err
	}
	defer s.releaseWriter()
	var queryOnly bool
	if err := s.writer.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
		return unavailable("ping", err)
	}
	if queryOnly {
		return unavailable("ping", errors.New("writer connection is query-only"))
	}
	tx, err := s.writer.BeginTx(ctx, nil) // BEGIN IMMEDIATE takes the write lock
	if err != nil {
		return unavailable("ping", err)
	}
	defer tx.Rollback()
	// Rewriting user_version with its own value dirties the header page, which
	// fails on a file that cannot be written; the rollback undoes it.
	var version int64
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return unavailable("ping", err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		return unavailable("ping", err)
	}
	// A full disk (or max_page_count) only shows when a page is allocated.
	if _, err := tx.ExecContext(ctx, "CREATE TABLE ehr_ping_probe(x BLOB)"); err != nil {
		return unavailable("ping", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO ehr_ping_probe VALUES (zeroblob(65536))"); err != nil {
		return unavailable("ping", err)
	}
	if err := tx.Rollback(); err != nil {
		return unavailable("ping", err)
	}
	return nil
}
