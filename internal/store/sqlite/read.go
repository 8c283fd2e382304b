package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/clinic/ehr/internal/store"
)

// Read returns the current version of a resource, possibly a deletion marker.
func (s *Store) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	return readCurrent(ctx, s.rs.readCurrent, typ, id)
}

// ReadVersion returns one version of a resource.
func (s *Store) ReadVersion(ctx context.Context, typ, id string, vid int64) (*store.Resource, error) {
	r := store.Resource{Type: typ, ID: id, VersionID: vid}
	var updated int64
	err := s.rs.readVersion.QueryRowContext(ctx, typ, id, vid).Scan(&updated, &r.Deleted, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: read %s/%s/_history/%d: %w", typ, id, vid, store.ErrNotFound)
	}
	if err != nil {
		return nil, unavailable(fmt.Sprintf("read %s/%s/_history/%d", typ, id, vid), err)
	}
	r.LastUpdated = fromMillis(updated)
	return &r, nil
}

// History returns versions of a resource newest first, or ErrNotFound when
// the resource has no version at all.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) ([]store.Resource, error) {
	op := fmt.Sprintf("history %s/%s", q.Type, q.ID)
	before, since, limit := int64(math.MaxInt64), int64(math.MinInt64), int64(-1)
	if q.BeforeVersion > 0 {
		before = q.BeforeVersion
	}
	if !q.Since.IsZero() {
		since = ceilMillis(q.Since)
	}
	if q.Count > 0 {
		limit = int64(q.Count)
	}
	rows, err := s.rs.history.QueryContext(ctx, q.Type, q.ID, before, since, limit)
	if err != nil {
		return nil, unavailable(op, err)
	}
	defer rows.Close()
	var out []store.Resource
	for rows.Next() {
		r := store.Resource{Type: q.Type, ID: q.ID}
		var updated int64
		if err := rows.Scan(&r.VersionID, &updated, &r.Deleted, &r.Body); err != nil {
			return nil, unavailable(op, err)
		}
		r.LastUpdated = fromMillis(updated)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, unavailable(op, err)
	}
	if len(out) > 0 {
		return out, nil
	}
	// An empty page is fine for an existing resource; tell the two apart.
	var exists bool
	if err := s.rs.exists.QueryRowContext(ctx, q.Type, q.ID).Scan(&exists); err != nil {
		return nil, unavailable(op, err)
	}
	if !exists {
		return nil, fmt.Errorf("sqlite: %s: %w", op, store.ErrNotFound)
	}
	return out, nil
}

// readCurrent reads through stmt, which is the read pool's statement or the
// writer's bound to a commit's transaction.
func readCurrent(ctx context.Context, stmt *sql.Stmt, typ, id string) (*store.Resource, error) {
	r := store.Resource{Type: typ, ID: id}
	var updated int64
	err := stmt.QueryRowContext(ctx, typ, id).Scan(&r.VersionID, &updated, &r.Deleted, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("sqlite: read %s/%s: %w", typ, id, store.ErrNotFound)
	}
	if err != nil {
		return nil, unavailable(fmt.Sprintf("read %s/%s", typ, id), err)
	}
	r.LastUpdated = fromMillis(updated)
	return &r, nil
}

// Times are stored as Unix milliseconds, the precision of store.Resource.
func millis(t time.Time) int64      { return t.UnixMilli() }
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// ceilMillis rounds up, so that a lower bound between two milliseconds
// excludes the earlier one.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if fromMillis(ms).Before(t) {
		ms++
	}
	return ms
}
