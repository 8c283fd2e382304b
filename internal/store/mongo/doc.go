// Package mongo is the MongoDB storage backend. It is written only against
// lungo's driver interfaces (IClient, IDatabase, ICollection, ISession), so
// the same code runs on a MongoDB replica set (lungo.Connect) and on lungo's
// embedded engine (lungo.Open), which the tests use.
//
// # Document model
//
// Collection "resources" holds the current version of every resource:
//
//	{_id: "Type/id", type, id, vid, updated (Unix ms), deleted, body (binary),
//	 idx: [{p, s, c, t, lo, hi, u, us, clo, chi, cu}...],
//	 sort: {<param>: {h: 1, v: value}}}
//
// idx holds the search.IndexEntry values with their bson tags; searches match
// one entry with $elemMatch. sort holds one sub-document per sortable
// parameter; h ("has") lets a descending sort on h put resources without a
// value last in both directions. Parameter names become keys of sort only
// after escaping (see sortField), so they are never read as operators or
// paths.
//
// Collection "history" holds every version, deletion markers included:
// {_id: "Type/id/vid", type, id, vid, updated, deleted, body}.
//
// The audit log lives in "audit_log" ({_id: seq, rid, hash, body}) and the Merkle
// tree hashes in "audit_hash" ({_id: storage index, hash}). Both use _id so
// that a sequence number or storage index can be taken only once.
//
// # Transactions
//
// Commit runs every unit inside one session transaction and applies a unit's
// buffered writes when it returns nil, so later units read them. MongoDB has
// no savepoints: when a unit's writes fail to apply (a duplicate key written
// by another process), the transaction is aborted and run again without that
// unit. Commit also holds a mutex, so writers in one process never race.
//
// # Searches that need Go
//
// Neither lungo nor this translator uses $regex: a prefix becomes a range,
// and :contains cannot be expressed without a regular expression. A query
// with a contains condition therefore runs in two phases: the database
// filters by everything else (a superset of the answer), then the complete
// expression is evaluated in Go on the index entries of the returned
// documents. The answer is exact; only the cost differs.
package mongo
