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
	// The writer walks the index B-trees on every commit; 32 MiB of pages
	// (the default is 2 MiB) keeps their upper levels cached between commits.
	q.Add("_pragma", "cache_size(-32768)")
	// The checkpointer (checkpoint.go) keeps the WAL short; the writer
	// checkpoints itself only if that falls far behind (~80 MB of WAL).
	q.Add("_pragma", "wal_autocheckpoint(20000)")
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode()
}

// checkpointerDSN is the checkpointer's: it copies WAL frames into the file
// and syncs it as durably as the writer's commits.
func checkpointerDSN(path string, opts Options) string {
	q := common(opts)
	q.Add("_pragma", "synchronous("+opts.Synchronous+")")
	return path + "?" + q.Encode()
}

// readerDSN is the read pool's DSN: query_only, so that a bug cannot write
// through a connection that holds no write lock.
func readerDSN(path string, opts Options) string {
	q := common(opts)
	q.Add("_pragma", "query_only(1)")
	return path + "?" + q.Encode()
}

// common has no foreign_keys(1): the schema's references document the
// design, but enforcing them would look up the resource row again for every
// index entry inserted. Only Commit writes idx rows, always for the row it
// has just written, and resource rows are never deleted.
func common(opts Options) url.Values {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(opts.BusyTimeout.Milliseconds(), 10)+")")
	return q
}
