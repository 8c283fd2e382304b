package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/clinic/ehr/internal/store"
)

// LogSize returns the number of audit log entries. Sequence numbers are
// contiguous from 0, so the size is one more than the last.
func (s *Store) LogSize(ctx context.Context) (int64, error) {
	var n int64
	if err := s.rs.logSize.QueryRowContext(ctx).Scan(&n); err != nil {
		return 0, unavailable("log size", err)
	}
	return n, nil
}

// LogEntries returns the entries with from <= Seq < to, in order.
func (s *Store) LogEntries(ctx context.Context, from, to int64) ([]store.LogEntry, error) {
	op := fmt.Sprintf("log entries [%d, %d)", from, to)
	rows, err := s.rs.logEntries.QueryContext(ctx, from, to)
	if err != nil {
		return nil, unavailable(op, err)
	}
	defer rows.Close()
	var out []store.LogEntry
	for rows.Next() {
		var e store.LogEntry
		if err := rows.Scan(&e.Seq, &e.ResourceID, &e.Hash, &e.Body); err != nil {
			return nil, unavailable(op, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(op, err)
	}
	return out, nil
}

// LogHashes returns the stored tree hashes at indexes, in the same order. A
// missing index is ErrNotFound: the tree was asked beyond what was stored.
func (s *Store) LogHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	out := make([][]byte, len(indexes))
	for i, idx := range indexes {
		err := s.rs.logHash.QueryRowContext(ctx, idx).Scan(&out[i])
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqlite: log hash %d: %w", idx, store.ErrNotFound)
		}
		if err != nil {
			return nil, unavailable(fmt.Sprintf("log hash %d", idx), err)
		}
	}
	return out, nil
}
