package audit

import (
	"context"
	"testing"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store/mongo"
)

// The tamper tests of verify_test.go, on the MongoDB backend (lungo's engine
// in memory). The helpers edit the collections directly, as an attacker with
// database access would; the collection names and document shapes are those
// of internal/store/mongo (documents.go):
//
//	resources   {_id: "AuditEvent/<id>", type, id, vid, updated, deleted, body, …}
//	history     {_id: "AuditEvent/<id>/<vid>", type, id, vid, updated, deleted, body}
//	audit_log   {_id: seq, rid, hash}
//	audit_hash  {_id: storage index, hash}
//
// Verify reads an AuditEvent with ReadVersion(…, 1), which the MongoDB store
// serves from "history"; the body edits change that copy, and the current
// version in "resources" too, so that both copies agree as after a careful
// attacker's edit.
const (
	mongoColResources = "resources"
	mongoColHistory   = "history"
	mongoColAuditLog  = "audit_log"
	mongoColAuditHash = "audit_hash"
)

// mongoLogDoc is a document of audit_log.
type mongoLogDoc struct {
	Seq  int64  `bson:"_id"`
	RID  string `bson:"rid"`
	Hash []byte `bson:"hash"`
	Body []byte `bson:"body,omitempty"`
}

// mongoHashDoc is a document of audit_hash.
type mongoHashDoc struct {
	Index int64  `bson:"_id"`
	Hash  []byte `bson:"hash"`
}

// mongoOpenStore opens a fresh lungo:memory store that the test closes.
func mongoOpenStore(t testing.TB) *mongo.Store {
	t.Helper()
	st, err := mongo.Open(context.Background(), "lungo:memory", mongo.Options{})
	if err != nil {
		t.Fatalf("open lungo:memory: %v", err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

func mongoColl(st *mongo.Store, name string) lungo.ICollection {
	return st.Database().Collection(name)
}

func mongoLogEntry(t *testing.T, st *mongo.Store, seq int64) mongoLogDoc {
	t.Helper()
	var doc mongoLogDoc
	if err := mongoColl(st, mongoColAuditLog).FindOne(context.Background(), bson.D{{Key: "_id", Value: seq}}).Decode(&doc); err != nil {
		t.Fatalf("read log entry %d: %v", seq, err)
	}
	return doc
}

// mongoAuditEvent selects the documents of one AuditEvent (every version in
// history, the current one in resources).
func mongoAuditEvent(rid string) bson.D {
	return bson.D{{Key: "type", Value: "AuditEvent"}, {Key: "id", Value: rid}}
}

// mongoUpdate applies update to the one document that filter selects.
func mongoUpdate(t *testing.T, st *mongo.Store, col string, filter, update bson.D) {
	t.Helper()
	res, err := mongoColl(st, col).UpdateOne(context.Background(), filter, update)
	if err != nil {
		t.Fatalf("update %s %v: %v", col, filter, err)
	}
	if res.MatchedCount != 1 {
		t.Fatalf("update %s %v matched %d documents, want 1", col, filter, res.MatchedCount)
	}
}

// mongoDelete deletes the documents that filter selects, at least one.
func mongoDelete(t *testing.T, st *mongo.Store, col string, filter bson.D) {
	t.Helper()
	res, err := mongoColl(st, col).DeleteMany(context.Background(), filter)
	if err != nil {
		t.Fatalf("delete %s %v: %v", col, filter, err)
	}
	if res.DeletedCount == 0 {
		t.Fatalf("delete %s %v deleted nothing", col, filter)
	}
}

func mongoSetLogHash(t *testing.T, st *mongo.Store, seq int64, hash []byte) {
	t.Helper()
	mongoUpdate(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: seq}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "hash", Value: hash}}}})
}

// mongoSetBody rewrites every stored copy of the body of record seq: the
// log's, and its AuditEvent's in history and in resources.
func mongoSetBody(t *testing.T, st *mongo.Store, seq int64, edit func([]byte) []byte) {
	t.Helper()
	ctx := context.Background()
	rid := mongoLogEntry(t, st, seq).RID
	var doc struct {
		Body []byte `bson:"body"`
	}
	filter := append(mongoAuditEvent(rid), bson.E{Key: "vid", Value: int64(1)})
	if err := mongoColl(st, mongoColHistory).FindOne(ctx, filter).Decode(&doc); err != nil {
		t.Fatalf("read body of %s: %v", rid, err)
	}
	set := bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: edit(doc.Body)}}}}
	mongoUpdate(t, st, mongoColHistory, filter, set)
	mongoUpdate(t, st, mongoColResources, mongoAuditEvent(rid), set)
	mongoUpdate(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: seq}}, set)
}

// mongoDeleteAuditEvent removes the AuditEvent of record seq entirely.
func mongoDeleteAuditEvent(t *testing.T, st *mongo.Store, seq int64) {
	t.Helper()
	rid := mongoLogEntry(t, st, seq).RID
	mongoDelete(t, st, mongoColHistory, mongoAuditEvent(rid))
	mongoDelete(t, st, mongoColResources, mongoAuditEvent(rid))
}

func mongoDeleteLogEntry(t *testing.T, st *mongo.Store, seq int64) {
	t.Helper()
	mongoDelete(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: seq}})
}

// mongoSwapLogEntries exchanges the records (rid and leaf hash) of entries
// i and j; the sequence numbers stay where they were.
func mongoSwapLogEntries(t *testing.T, st *mongo.Store, i, j int64) {
	t.Helper()
	ei, ej := mongoLogEntry(t, st, i), mongoLogEntry(t, st, j)
	set := func(e mongoLogDoc) bson.D {
		return bson.D{{Key: "$set", Value: bson.D{{Key: "rid", Value: e.RID}, {Key: "hash", Value: e.Hash}, {Key: "body", Value: e.Body}}}}
	}
	mongoUpdate(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: i}}, set(ej))
	mongoUpdate(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: j}}, set(ei))
}

// mongoInsertLogEntry shifts entries seq… up by one and replays entry 0 at
// seq. The sequence number is the _id, which MongoDB does not let an update
// change (SQLite's insertRow updates seq in place), so the entries from seq
// on are deleted and inserted again under their new _id: the same result.
func mongoInsertLogEntry(t *testing.T, st *mongo.Store, seq int64) {
	t.Helper()
	ctx := context.Background()
	col := mongoColl(st, mongoColAuditLog)
	cur, err := col.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: seq}}}})
	if err != nil {
		t.Fatal(err)
	}
	var tail []mongoLogDoc
	if err := cur.All(ctx, &tail); err != nil {
		t.Fatal(err)
	}
	if len(tail) == 0 {
		t.Fatalf("no log entries from %d", seq)
	}
	mongoDelete(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: seq}}}})
	first := mongoLogEntry(t, st, 0)
	docs := []any{mongoLogDoc{Seq: seq, RID: first.RID, Hash: first.Hash, Body: first.Body}}
	for _, d := range tail {
		d.Seq++
		docs = append(docs, d)
	}
	if _, err := col.InsertMany(ctx, docs); err != nil {
		t.Fatalf("insert shifted log entries: %v", err)
	}
}

func mongoSetTreeHash(t *testing.T, st *mongo.Store, idx int64, hash []byte) {
	t.Helper()
	mongoUpdate(t, st, mongoColAuditHash, bson.D{{Key: "_id", Value: idx}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "hash", Value: hash}}}})
}

func mongoDeleteTreeHash(t *testing.T, st *mongo.Store, idx int64) {
	t.Helper()
	mongoDelete(t, st, mongoColAuditHash, bson.D{{Key: "_id", Value: idx}})
}

// mongoTruncate removes records from seq on, with the tree hashes they stored.
func mongoTruncate(t *testing.T, st *mongo.Store, seq int64) {
	t.Helper()
	mongoDelete(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: seq}}}})
	mongoDelete(t, st, mongoColAuditHash, bson.D{{Key: "_id", Value: bson.D{{Key: "$gte", Value: tlog.StoredHashIndex(0, seq)}}}})
}

// mongoRebuildTree recomputes every leaf and tree hash from the bodies, as an
// attacker with write access would after editing a record: the log is then
// consistent with itself, and only an older checkpoint shows the rewrite.
func mongoRebuildTree(t *testing.T, st *mongo.Store) {
	t.Helper()
	ctx := context.Background()
	n := logSize(t, st)
	hashes := map[int64]tlog.Hash{}
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = hashes[x]
		}
		return out, nil
	})
	mongoDelete(t, st, mongoColAuditHash, bson.D{})
	var docs []any
	for seq := range n {
		leaf := leafOf(t, st, seq)
		mongoSetLogHash(t, st, seq, leaf[:])
		stored, err := tlog.StoredHashesForRecordHash(seq, leaf, reader)
		if err != nil {
			t.Fatal(err)
		}
		for i, h := range stored {
			idx := tlog.StoredHashIndex(0, seq) + int64(i)
			hashes[idx] = h
			docs = append(docs, mongoHashDoc{Index: idx, Hash: h[:]})
		}
	}
	if _, err := mongoColl(st, mongoColAuditHash).InsertMany(ctx, docs); err != nil {
		t.Fatalf("insert tree hashes: %v", err)
	}
}

// newMongoTamperLog is a closed recorder's log of 20 records on lungo.
func newMongoTamperLog(t *testing.T) *mongo.Store {
	t.Helper()
	st := mongoOpenStore(t)
	r := startRecorder(t, st, Options{})
	record(t, r, 20)
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, st)
	return st
}

// TestVerifyFindsTamperingMongo is TestVerifyFindsTampering on MongoDB: the
// same edits, the same first bad records.
func TestVerifyFindsTamperingMongo(t *testing.T) {
	runTamperCases(t, newMongoTamperLog, []tamperCase[*mongo.Store]{
		{"body byte altered", func(t *testing.T, st *mongo.Store) { mongoSetBody(t, st, 7, flipByte) }, 7},
		{"served copy altered, history copy intact", func(t *testing.T, st *mongo.Store) {
			rid := mongoLogEntry(t, st, 8).RID
			var doc struct {
				Body []byte `bson:"body"`
			}
			if err := mongoColl(st, mongoColResources).FindOne(context.Background(), mongoAuditEvent(rid)).Decode(&doc); err != nil {
				t.Fatal(err)
			}
			mongoUpdate(t, st, mongoColResources, mongoAuditEvent(rid), bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: flipByte(doc.Body)}}}})
		}, 8},
		{"log copy altered, AuditEvent intact", func(t *testing.T, st *mongo.Store) {
			body := mongoLogEntry(t, st, 9).Body
			mongoUpdate(t, st, mongoColAuditLog, bson.D{{Key: "_id", Value: int64(9)}},
				bson.D{{Key: "$set", Value: bson.D{{Key: "body", Value: flipByte(body)}}}})
		}, 9},
		{"body altered and its leaf hash updated", func(t *testing.T, st *mongo.Store) {
			mongoSetBody(t, st, 6, flipByte)
			leaf := leafOf(t, st, 6)
			mongoSetLogHash(t, st, 6, leaf[:])
		}, 6},
		{"log entry removed", func(t *testing.T, st *mongo.Store) { mongoDeleteLogEntry(t, st, 5) }, 5},
		{"first log entry removed", func(t *testing.T, st *mongo.Store) { mongoDeleteLogEntry(t, st, 0) }, 0},
		{"log entry inserted", func(t *testing.T, st *mongo.Store) { mongoInsertLogEntry(t, st, 9) }, 9},
		{"entries swapped", func(t *testing.T, st *mongo.Store) { mongoSwapLogEntries(t, st, 3, 12) }, 3},
		{"adjacent entries swapped", func(t *testing.T, st *mongo.Store) { mongoSwapLogEntries(t, st, 14, 15) }, 14},
		{"AuditEvent deleted", func(t *testing.T, st *mongo.Store) { mongoDeleteAuditEvent(t, st, 4) }, 4},
		{"tree hash altered", func(t *testing.T, st *mongo.Store) {
			mongoSetTreeHash(t, st, tlog.StoredHashIndex(0, 11), make([]byte, tlog.HashSize))
		}, 11},
		{"tree hash removed", func(t *testing.T, st *mongo.Store) {
			mongoDeleteTreeHash(t, st, tlog.StoredHashIndex(0, 13)+1)
		}, 13},
	})
}

// TestVerifyAgainstCheckpointMongo is TestVerifyAgainstCheckpoint on MongoDB:
// the checkpoint is signed before the change.
func TestVerifyAgainstCheckpointMongo(t *testing.T) {
	runCheckpointCases(t, newMongoTamperLog, []checkpointCase[*mongo.Store]{
		{name: "log grew", change: func(t *testing.T, st *mongo.Store) {
			record(t, startRecorder(t, st, Options{}), 5)
		}, wantBad: -1, selfGood: true},
		{name: "log truncated", change: func(t *testing.T, st *mongo.Store) { mongoTruncate(t, st, 15) }, wantBad: 15, selfGood: true},
		{name: "record edited and tree rebuilt", change: func(t *testing.T, st *mongo.Store) {
			mongoSetBody(t, st, 2, flipByte)
			mongoRebuildTree(t, st)
		}, wantBad: 0, selfGood: true},
		{name: "tail replaced by new records", change: func(t *testing.T, st *mongo.Store) {
			mongoTruncate(t, st, 15)
			record(t, startRecorder(t, st, Options{}), 5)
		}, wantBad: 0, selfGood: true},
	})
}
