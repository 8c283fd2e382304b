package storetest

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// TestSuiteAgainstReference runs the suite against memStore, a plain
// in-memory evaluation of the contract that shares no code with any backend.
// Its passing shows that the suite's expectations follow from store.go and
// expr.go, not from one backend's behaviour.
func TestSuiteAgainstReference(t *testing.T) {
	Run(t, func(t *testing.T) store.Store { return newMemStore() })
}

type memKey struct{ typ, id string }

type memVersion struct {
	res   store.Resource
	index []store.IndexEntry
	sort  map[string]any
}

// memState is everything a commit may change; a commit works on a copy.
type memState struct {
	current map[memKey]memVersion
	history map[memKey][]store.Resource // oldest first
	log     []store.LogEntry
	hashes  map[int64][]byte
}

func (s memState) clone() memState {
	c := memState{current: maps.Clone(s.current), history: map[memKey][]store.Resource{}, log: slices.Clone(s.log), hashes: maps.Clone(s.hashes)}
	for k, v := range s.history {
		c.history[k] = slices.Clone(v)
	}
	return c
}

type memStore struct {
	mu    sync.Mutex
	state memState
}

func newMemStore() *memStore {
	return &memStore{state: memState{current: map[memKey]memVersion{}, history: map[memKey][]store.Resource{}, hashes: map[int64][]byte{}}}
}

func (m *memStore) Read(_ context.Context, typ, id string) (*store.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.read(typ, id)
}

func (s memState) read(typ, id string) (*store.Resource, error) {
	v, ok := s.current[memKey{typ, id}]
	if !ok {
		return nil, fmt.Errorf("mem: %s/%s: %w", typ, id, store.ErrNotFound)
	}
	r := v.res
	return &r, nil
}

func (m *memStore) ReadVersion(_ context.Context, typ, id string, vid int64) (*store.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.state.history[memKey{typ, id}] {
		if r.VersionID == vid {
			return &r, nil
		}
	}
	return nil, fmt.Errorf("mem: %s/%s v%d: %w", typ, id, vid, store.ErrNotFound)
}

func (m *memStore) History(_ context.Context, q store.HistoryQuery) ([]store.Resource, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	versions, ok := m.state.history[memKey{q.Type, q.ID}]
	if !ok {
		return nil, fmt.Errorf("mem: history %s/%s: %w", q.Type, q.ID, store.ErrNotFound)
	}
	var out []store.Resource
	for _, r := range slices.Backward(versions) {
		if (q.BeforeVersion == 0 || r.VersionID < q.BeforeVersion) && !r.LastUpdated.Before(q.Since) && (q.Count == 0 || len(out) < q.Count) {
			out = append(out, r)
		}
	}
	return out, nil
}

func (m *memStore) Search(_ context.Context, q *store.Query) (*store.SearchResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.search(q)
}

func (m *memStore) Commit(ctx context.Context, units []func(store.Tx) error, finish func(store.Tx, []error) error) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	work := m.state.clone()
	results := make([]error, len(units))
	for i, unit := range units {
		tx := &memTx{state: work.clone()}
		if results[i] = unit(tx); results[i] == nil {
			work = tx.state
		}
	}
	if finish != nil {
		tx := &memTx{state: work.clone()}
		if err := finish(tx, results); err != nil {
			return nil, fmt.Errorf("mem: finish: %w", err)
		}
		work = tx.state
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.state = work
	return results, nil
}

func (m *memStore) LogSize(context.Context) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return int64(len(m.state.log)), nil
}

func (m *memStore) LogEntries(_ context.Context, from, to int64) ([]store.LogEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.LogEntry
	for _, e := range m.state.log {
		if e.Seq >= from && e.Seq < to {
			out = append(out, e)
		}
	}
	return out, nil
}

func (m *memStore) LogHashes(_ context.Context, indexes []int64) ([][]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([][]byte, len(indexes))
	for i, idx := range indexes {
		h, ok := m.state.hashes[idx]
		if !ok {
			return nil, fmt.Errorf("mem: hash %d: %w", idx, store.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

func (m *memStore) Ping(context.Context) error { return nil }
func (m *memStore) Close() error               { return nil }

// memTx applies writes to its own copy of the state as they come; the
// commit keeps the copy only when the unit succeeds, which is the same as
// buffering them. (The contract leaves a unit's view of its own writes open;
// the suite does not look.)
type memTx struct{ state memState }

func (tx *memTx) Read(_ context.Context, typ, id string) (*store.Resource, error) {
	return tx.state.read(typ, id)
}

func (tx *memTx) Search(_ context.Context, q *store.Query) (*store.SearchResult, error) {
	return tx.state.search(q)
}

func (tx *memTx) Put(w store.Write) error {
	r := w.Resource
	k := memKey{r.Type, r.ID}
	if r.VersionID != tx.state.current[k].res.VersionID+1 {
		return fmt.Errorf("mem: put %s/%s v%d: %w", r.Type, r.ID, r.VersionID, store.ErrConflict)
	}
	r.LastUpdated = r.LastUpdated.UTC().Truncate(1e6)
	v := memVersion{res: r, index: w.Index, sort: w.Sort}
	if r.Deleted {
		v = memVersion{res: r}
		v.res.Body = nil
	}
	tx.state.current[k] = v
	tx.state.history[k] = append(tx.state.history[k], v.res)
	return nil
}

func (tx *memTx) AppendLog(entries []store.LogEntry, hashes []store.LogHash) error {
	for i, e := range entries {
		if e.Seq != int64(len(tx.state.log)+i) {
			return fmt.Errorf("mem: append at %d: %w", e.Seq, store.ErrConflict)
		}
	}
	tx.state.log = append(tx.state.log, entries...)
	for _, h := range hashes {
		tx.state.hashes[h.Index] = h.Hash
	}
	return nil
}

// search evaluates the query over every live resource of the type, orders
// them all, and cuts the page out of the full order.
func (s memState) search(q *store.Query) (*store.SearchResult, error) {
	var rows []memVersion
	for k, v := range s.current {
		if k.typ == q.Type && !v.res.Deleted && (q.Where == nil || s.eval(q.Where, v)) {
			rows = append(rows, v)
		}
	}
	order := func(a memVersion, b []any, bid string) int {
		for i, k := range q.Sort {
			if r := compareSortValues(a.sort[k.Param], b[i], k.Desc); r != 0 {
				return r
			}
		}
		return cmp.Compare(a.res.ID, bid)
	}
	slices.SortFunc(rows, func(a, b memVersion) int { return order(a, memValues(q, b), b.res.ID) })

	res := &store.SearchResult{Total: -1}
	if q.Total {
		res.Total = len(rows)
	}
	if q.Count == 0 {
		return res, nil
	}
	var start, end int
	switch {
	case q.After != nil:
		start = slices.IndexFunc(rows, func(v memVersion) bool { return order(v, q.After.Values, q.After.ID) > 0 })
		if start < 0 {
			start = len(rows)
		}
		end = min(start+q.Count, len(rows))
	case q.Before != nil:
		end = slices.IndexFunc(rows, func(v memVersion) bool { return order(v, q.Before.Values, q.Before.ID) >= 0 })
		if end < 0 {
			end = len(rows)
		}
		start = max(end-q.Count, 0)
	default:
		end = min(q.Count, len(rows))
	}
	if start == end {
		return res, nil
	}
	for _, v := range rows[start:end] {
		res.Resources = append(res.Resources, v.res)
	}
	if start > 0 {
		res.Prev = &store.Cursor{Values: memValues(q, rows[start]), ID: rows[start].res.ID}
	}
	if end < len(rows) {
		res.Next = &store.Cursor{Values: memValues(q, rows[end-1]), ID: rows[end-1].res.ID}
	}
	return res, nil
}

func memValues(q *store.Query, v memVersion) []any {
	values := make([]any, len(q.Sort))
	for i, k := range q.Sort {
		values[i] = v.sort[k.Param]
	}
	return values
}

func (s memState) eval(x search.Expr, v memVersion) bool {
	switch x := x.(type) {
	case search.Match:
		return slices.ContainsFunc(v.index, func(e store.IndexEntry) bool {
			return e.Param == x.Param && !slices.ContainsFunc(x.Conds, func(c search.Cond) bool { return !holds(e, c) })
		})
	case search.Missing:
		has := slices.ContainsFunc(v.index, func(e store.IndexEntry) bool { return e.Param == x.Param })
		return has != x.Missing
	case search.And:
		return !slices.ContainsFunc(x, func(y search.Expr) bool { return !s.eval(y, v) })
	case search.Or:
		return slices.ContainsFunc(x, func(y search.Expr) bool { return s.eval(y, v) })
	case search.Not:
		return !s.eval(x.X, v)
	case search.IDIn:
		return slices.Contains(x, v.res.ID)
	case search.Chain:
		return slices.ContainsFunc(v.index, func(e store.IndexEntry) bool {
			t, ok := s.current[memKey{x.Target, e.Code}]
			return e.Param == x.Param && e.System == x.Target && ok && !t.res.Deleted && (x.Where == nil || s.eval(x.Where, t))
		})
	case search.Has:
		for k, h := range s.current {
			if k.typ != x.Type || h.res.Deleted {
				continue
			}
			refers := slices.ContainsFunc(h.index, func(e store.IndexEntry) bool {
				return e.Param == x.Param && e.System == v.res.Type && e.Code == v.res.ID
			})
			if refers && (x.Where == nil || s.eval(x.Where, h)) {
				return true
			}
		}
		return false
	}
	panic(fmt.Sprintf("mem: unknown expression %T", x))
}

func holds(e store.IndexEntry, c search.Cond) bool {
	strs := map[search.Field]string{search.FieldSystem: e.System, search.FieldCode: e.Code, search.FieldText: e.Text,
		search.FieldUnit: e.Unit, search.FieldUnitSystem: e.UnitSystem, search.FieldCUnit: e.CUnit}
	nums := map[search.Field]*float64{search.FieldLo: e.Lo, search.FieldHi: e.Hi, search.FieldCLo: e.CLo, search.FieldCHi: e.CHi}
	if s, ok := strs[c.Field]; ok {
		v := c.Value.(string)
		switch c.Op {
		case search.OpPrefix:
			return strings.HasPrefix(s, v)
		case search.OpContains:
			return strings.Contains(s, v)
		}
		return compares(c.Op, strings.Compare(s, v))
	}
	n := nums[c.Field]
	return n != nil && compares(c.Op, cmp.Compare(*n, c.Value.(float64)))
}

func compares(op search.Op, r int) bool {
	switch op {
	case search.OpEq:
		return r == 0
	case search.OpLt:
		return r < 0
	case search.OpLe:
		return r <= 0
	case search.OpGt:
		return r > 0
	case search.OpGe:
		return r >= 0
	}
	return false
}
