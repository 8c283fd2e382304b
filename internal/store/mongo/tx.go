package mongo

import (
	"context"
	"errors"
	"fmt"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/clinic/ehr/internal/store"
)

// tx is one unit of a commit. Its writes wait in memory until the unit
// returns nil; then apply writes them into the session's transaction.
type tx struct {
	s    *Store
	sess lungo.ISession
	ctx  context.Context // the commit's session context, for Put and AppendLog

	puts     []pendingPut
	versions map[string]int64 // resource key → newest buffered version
	entries  []any            // logDoc
	hashes   []any            // hashDoc
	logNext  int64            // next sequence number; -1 until read
}

type pendingPut struct {
	cur  *resourceDoc
	hist *historyDoc
}

var _ store.Tx = (*tx)(nil)

func newTx(s *Store, sess lungo.ISession, ctx context.Context) *tx {
	return &tx{s: s, sess: sess, ctx: ctx, versions: map[string]int64{}, logNext: -1}
}

// inSession runs fn with ctx bound to the commit's session, so that reads
// see the writes of earlier units while keeping the caller's deadline.
func (t *tx) inSession(_ context.Context, fn func(ctx context.Context) error) error {
	// The commit's context, not the caller's: a client that hangs up must
	// not abort a transaction shared with other requests.
	return lungo.WithSession(t.ctx, t.sess, func(sc lungo.ISessionContext) error { return fn(sc) })
}

func (t *tx) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	var r *store.Resource
	err := t.inSession(ctx, func(ctx context.Context) (err error) {
		r, err = t.s.read(ctx, typ, id)
		return err
	})
	return r, err
}

func (t *tx) Search(ctx context.Context, q *store.Query) (*store.SearchResult, error) {
	var res *store.SearchResult
	err := t.inSession(ctx, func(ctx context.Context) (err error) {
		res, err = t.s.search(ctx, q)
		return err
	})
	return res, err
}

// Put checks the version against the stored one (or the one this unit
// already put) and buffers the write.
func (t *tx) Put(w store.Write) error {
	r := w.Resource
	key := resourceKey(r.Type, r.ID)
	cur, ok := t.versions[key]
	if !ok {
		var err error
		if cur, err = t.s.currentVersion(t.ctx, key); err != nil {
			return fmt.Errorf("mongo: put %s: %w", key, err)
		}
	}
	if r.VersionID != cur+1 {
		return fmt.Errorf("mongo: put %s version %d, current is %d: %w", key, r.VersionID, cur, store.ErrConflict)
	}
	doc, hist, err := newDocs(w)
	if err != nil {
		return err
	}
	t.puts = append(t.puts, pendingPut{cur: doc, hist: hist})
	t.versions[key] = r.VersionID
	return nil
}

// AppendLog checks that the entries continue the log exactly and buffers them.
func (t *tx) AppendLog(entries []store.LogEntry, hashes []store.LogHash) error {
	if t.logNext < 0 {
		n, err := t.s.logSize(t.ctx)
		if err != nil {
			return fmt.Errorf("mongo: append log: %w", err)
		}
		t.logNext = n
	}
	for i, e := range entries {
		if want := t.logNext + int64(i); e.Seq != want {
			return fmt.Errorf("mongo: append log entry %d, expected %d: %w", e.Seq, want, store.ErrConflict)
		}
	}
	for _, e := range entries {
		t.entries = append(t.entries, logDoc{Seq: e.Seq, RID: e.ResourceID, Hash: e.Hash, Body: e.Body})
	}
	for _, h := range hashes {
		t.hashes = append(t.hashes, hashDoc{Index: h.Index, Hash: h.Hash})
	}
	t.logNext += int64(len(entries))
	return nil
}

// apply writes the buffered writes into the transaction of ctx. The history
// insert and the conditional update detect a concurrent writer (duplicate
// key, or no document at the previous version).
func (t *tx) apply(ctx context.Context) error {
	for _, p := range t.puts {
		if _, err := t.s.history.InsertOne(ctx, p.hist); err != nil {
			return fmt.Errorf("insert history %s: %w", p.hist.Key, err)
		}
		if err := t.s.putCurrent(ctx, p.cur); err != nil {
			return fmt.Errorf("put %s: %w", p.cur.Key, err)
		}
	}
	if len(t.entries) > 0 {
		if _, err := t.s.auditLog.InsertMany(ctx, t.entries); err != nil {
			return fmt.Errorf("insert audit log: %w", err)
		}
	}
	if len(t.hashes) > 0 {
		if _, err := t.s.auditHash.InsertMany(ctx, t.hashes); err != nil {
			return fmt.Errorf("insert audit hashes: %w", err)
		}
	}
	return nil
}

// putCurrent inserts version 1, or replaces the previous version.
func (s *Store) putCurrent(ctx context.Context, doc *resourceDoc) error {
	if doc.VID == 1 {
		_, err := s.resources.InsertOne(ctx, doc)
		return err
	}
	filter := bson.D{
		{Key: "_id", Value: bsonD("$eq", doc.Key)},
		{Key: "vid", Value: bsonD("$eq", doc.VID-1)},
	}
	res, err := s.resources.ReplaceOne(ctx, filter, doc)
	if err != nil {
		return err
	}
	if res.MatchedCount == 0 {
		return errStale
	}
	return nil
}

// currentVersion returns the stored version of a resource, 0 if none.
func (s *Store) currentVersion(ctx context.Context, key string) (int64, error) {
	var doc struct {
		VID int64 `bson:"vid"`
	}
	err := s.resources.FindOne(ctx, eq("_id", key), options.FindOne().SetProjection(bsonD("vid", 1))).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return doc.VID, nil
}
