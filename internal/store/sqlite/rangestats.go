package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"

	"github.com/clinic/ehr/internal/store"
)

// rangeStats keeps, per parameter, an upper bound of the shape of its stored
// range entries (bounds.go). It is an upper bound, never an estimate: the
// width only grows, multi and loless only turn on. A parameter's shape is
// read from the table (in the background) the first time a search asks for
// it, and every version written through this Store widens it before its
// entries are inserted, so a search that can see an entry sees a shape that
// covers it. Deleting or replacing entries leaves the shape as it was:
// loose, still true.
//
// The Store must be the only writer of its file, or the others must write
// only entries of shapes it has seen: another process's writes do not widen
// it. ehrd is the writer; the one other is `ehrctl audit accounting`, which
// may project AuditEvents that a stopped server left (audit.CatchUp), and
// those have the shape of every AuditEvent the server writes itself.
type rangeStats struct {
	db     *sql.DB // the read pool, for reading shapes from the table
	ctx    context.Context
	cancel context.CancelFunc // ends the reads under way at close

	mu     sync.Mutex
	shapes map[rangeKey]*rangeState
	closed bool
	loads  sync.WaitGroup // the reads of shapes under way
}

// rangeState is a parameter's shape; until loaded it holds only what was
// written since the Store opened.
type rangeState struct {
	rangeShape
	loaded, loading bool
}

func newRangeStats(db *sql.DB) *rangeStats {
	ctx, cancel := context.WithCancel(context.Background())
	return &rangeStats{db: db, ctx: ctx, cancel: cancel, shapes: map[rangeKey]*rangeState{}}
}

// widen merges s into k's shape.
func (r *rangeStats) widen(k rangeKey, s rangeShape) {
	st := r.shapes[k]
	if st == nil {
		st = &rangeState{}
		r.shapes[k] = st
	}
	st.width = max(st.width, s.width)
	st.multi = st.multi || s.multi
	st.loless = st.loless || s.loless
}

// observe widens the shapes by the entries of one live version. It is
// called before the entries are inserted.
func (r *rangeStats) observe(entries []store.IndexEntry) {
	if r == nil {
		return
	}
	type seen struct {
		k     rangeKey
		n     int
		shape rangeShape
	}
	var found []seen // a version has a few range entries: a slice beats a map
	add := func(k rangeKey, lo, hi *float64) {
		if hi == nil {
			return
		}
		i := slices.IndexFunc(found, func(s seen) bool { return s.k == k })
		if i < 0 {
			found = append(found, seen{k: k})
			i = len(found) - 1
		}
		f := &found[i]
		if lo == nil {
			f.shape.loless = true
			return
		}
		f.n++
		f.shape.width = max(f.shape.width, *hi-*lo)
		f.shape.multi = f.n > 1
	}
	for _, e := range entries {
		add(rangeKey{param: e.Param}, e.Lo, e.Hi)
		add(rangeKey{param: e.Param, canonical: true}, e.CLo, e.CHi)
	}
	if len(found) == 0 {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range found {
		r.widen(f.k, f.shape)
	}
}

// shapeQueries read a parameter's shape from the table, keyed by
// rangeKey.canonical: the widest entry and whether a resource holds two,
// through the index that leads with the low end, and whether an entry has
// a high end without a low end, by comparing two counts that indexes answer
// (as written, conservatively: any entry without a low end).
var shapeQueries = map[bool]string{
	false: `SELECT coalesce(max(hi - lo), 0), count(*) > count(DISTINCT res),
		count(*) < (SELECT count(*) FROM idx WHERE p = ?1)
		FROM idx WHERE p = ?1 AND lo IS NOT NULL AND hi IS NOT NULL`,
	true: `SELECT coalesce(max(chi - clo), 0), count(*) > count(DISTINCT res),
		count(*) < (SELECT count(*) FROM idx WHERE p = ?1 AND chi IS NOT NULL)
		FROM idx WHERE p = ?1 AND clo IS NOT NULL AND chi IS NOT NULL`,
}

// known returns k's shape once it has been read from the table. Until
// then it starts that read in the background (once) and reports false: the
// search plans without the shape, as exactly and more slowly, instead of
// waiting for a scan of every entry of the parameter.
func (r *rangeStats) known(k rangeKey) (rangeShape, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.shapes[k]
	if st == nil {
		st = &rangeState{}
		r.shapes[k] = st
	}
	if st.loaded {
		return st.rangeShape, true
	}
	if !st.loading && !r.closed && r.db != nil {
		st.loading = true
		r.loads.Add(1)
		go r.load(k)
	}
	return rangeShape{}, false
}

// load reads k's shape from the table in a read transaction of its own and
// merges it with what was written meanwhile: a version that this read does
// not see commits after the read began, so it was observed before that.
func (r *rangeStats) load(k rangeKey) {
	defer r.loads.Done()
	var read rangeShape
	err := r.db.QueryRowContext(r.ctx, shapeQueries[k.canonical], k.param).Scan(&read.width, &read.multi, &read.loless)
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.shapes[k]
	st.loading = false
	if err != nil {
		return // a later search tries again; until then it plans without
	}
	r.widen(k, read)
	st.loaded = true
}

// close ends the reads under way and starts no more; the pool must still
// be open.
func (r *rangeStats) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.loads.Wait()
}

// searchShapes is the shapeSource of one search: it pins the search's
// snapshot before it first consults the statistics.
type searchShapes struct {
	ctx    context.Context
	db     queryer
	stats  *rangeStats
	pinned bool
}

// pinSQL reads one row, which makes SQLite take the read transaction's
// snapshot (a deferred transaction takes it at its first read).
const pinSQL = "SELECT 1 FROM resource LIMIT 1"

func (s *searchShapes) shape(k rangeKey) (rangeShape, bool, error) {
	if s.stats == nil {
		return rangeShape{}, false, nil
	}
	if _, ok := s.stats.known(k); !ok {
		return rangeShape{}, false, nil
	}
	if !s.pinned {
		var one int
		err := s.db.QueryRowContext(s.ctx, pinSQL).Scan(&one)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return rangeShape{}, false, unavailable("pin snapshot", err)
		}
		s.pinned = true
	}
	// Read again now that the snapshot is taken: a version committed before
	// it was observed before this read.
	shape, ok := s.stats.known(k)
	return shape, ok, nil
}
