package sqlite

import (
	"net/url"
	"strconv"
)

// The pragmas go into the DSN rather than into statements after Open, so that
// every connection a pool opens, now or later, gets them.

// writerDSN is the writer's DSN: WAL, durable commits, foreign keys, and
// BEGIN IMMEDIATE so that a commit takes the write lock before reading.
func writerDSN(path string, opts Options) string {
	q := common(opts)
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous("+opts.Synchronous+")")
	// Each unit's savepoint copies the pages it changes to a sub-journal;
	// in memory that is a copy, on disk a write per page.
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// readerDSN is the read pool's DSN: query_only, so that a bug cannot write
// through a connection that holds no write lock.
func readerDSN(path string, opts Options) string {
	q := common(opts)
	q.Add("_pragma", "query_only(1)")
	return path + "?" + q.Encode()
}

func common(opts Options) url.Values {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	return q
}
