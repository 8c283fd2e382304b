package sqlite

import (
	"container/list"
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps the most recently used search statements prepared. A
// search's SQL depends only on the shape of its query (every value is a
// bound argument), and a server asks the same few shapes again and again:
// a lab Bundle asks "Observation?identifier=…" once per entry, twice (when
// it is planned, and again inside the commit). Parsing and planning the SQL
// each time cost more than running it.
type stmtCache struct {
	db  *sql.DB
	max int
	// stats are the store's range statistics, which the searches run
	// through this cache plan with and the writes through it widen.
	stats *rangeStats

	mu      sync.Mutex
	order   *list.List // of *cachedStmt, most recent first
	bySQL   map[string]*list.Element
	pending map[string]bool // being prepared
	closed  bool
	wg      sync.WaitGroup // the preparing goroutines
}

type cachedStmt struct {
	sql  string
	stmt *sql.Stmt
}

func newStmtCache(db *sql.DB, max int, stats *rangeStats) *stmtCache {
	return &stmtCache{db: db, max: max, stats: stats, order: list.New(), bySQL: map[string]*list.Element{}, pending: map[string]bool{}}
}

// lookup returns the prepared statement for text, or nil. On a miss it
// prepares text in the background for the next caller: preparing on the pool
// needs a connection of its own, and the caller holds one (the writer has only
// that one), so waiting here could wait forever.
func (c *stmtCache) lookup(text string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.bySQL[text]; ok {
		c.order.MoveToFront(el)
		return el.Value.(*cachedStmt).stmt
	}
	if !c.closed && !c.pending[text] {
		c.pending[text] = true
		c.wg.Add(1)
		go c.prepare(text)
	}
	return nil
}

func (c *stmtCache) prepare(text string) {
	defer c.wg.Done()
	st, err := c.db.Prepare(text)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, text)
	if err != nil {
		return // the caller's own query reports what is wrong
	}
	if c.closed {
		st.Close()
		return
	}
	c.bySQL[text] = c.order.PushFront(&cachedStmt{sql: text, stmt: st})
	for c.order.Len() > c.max {
		// database/sql finishes the queries still using an evicted
		// statement before it closes it.
		old := c.order.Remove(c.order.Back()).(*cachedStmt)
		delete(c.bySQL, old.sql)
		old.stmt.Close()
	}
}

// close closes the statements; the pool must still be open, since a
// statement being prepared needs it to finish.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for el := c.order.Front(); el != nil; el = el.Next() {
		el.Value.(*cachedStmt).stmt.Close()
	}
	c.order.Init()
	clear(c.bySQL)
}

// cachedTx runs a search's statements in tx through the cache of tx's pool.
type cachedTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

// rangeStats are the statistics a search through q plans with.
func (q cachedTx) rangeStats() *rangeStats { return q.cache.stats }

func (q cachedTx) QueryContext(ctx context.Context, text string, args ...any) (*sql.Rows, error) {
	if st := q.cache.lookup(text); st != nil {
		return q.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, text, args...)
}

func (q cachedTx) QueryRowContext(ctx context.Context, text string, args ...any) *sql.Row {
	if st := q.cache.lookup(text); st != nil {
		return q.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, text, args...)
}
