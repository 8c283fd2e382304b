package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/clinic/ehr/internal/store"
)

// LogSize returns the number of audit log entries.
func (s *Store) LogSize(ctx context.Context) (int64, error) {
	n, err := s.logSize(ctx)
	if err != nil {
		return 0, fmt.Errorf("mongo: log size: %w", err)
	}
	return n, nil
}

// logSize is the last sequence number plus one: the sequence is contiguous
// from 0, and reading the top of the _id index is cheaper than counting.
func (s *Store) logSize(ctx context.Context) (int64, error) {
	var last logDoc
	opts := options.FindOne().SetSort(bsonD("_id", -1)).SetProjection(bsonD("_id", 1))
	err := s.auditLog.FindOne(ctx, bson.D{}, opts).Decode(&last)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return last.Seq + 1, nil
}

// LogEntries returns the entries with from <= Seq < to, in order.
func (s *Store) LogEntries(ctx context.Context, from, to int64) ([]store.LogEntry, error) {
	if to <= from {
		return nil, nil
	}
	filter := bsonD("_id", bson.D{{Key: "$gte", Value: from}, {Key: "$lt", Value: to}})
	var docs []logDoc
	if err := findAll(ctx, s.auditLog, filter, &docs, options.Find().SetSort(bsonD("_id", 1))); err != nil {
		return nil, fmt.Errorf("mongo: log entries [%d, %d): %w", from, to, err)
	}
	out := make([]store.LogEntry, len(docs))
	for i, d := range docs {
		out[i] = store.LogEntry{Seq: d.Seq, ResourceID: d.RID, Hash: d.Hash, Body: d.Body}
	}
	return out, nil
}

// LogHashes returns the stored tree hashes at the given storage indexes, in
// the order asked. A missing hash is an error: the tree would be unprovable.
func (s *Store) LogHashes(ctx context.Context, indexes []int64) ([][]byte, error) {
	if len(indexes) == 0 {
		return [][]byte{}, nil
	}
	in := make(bson.A, len(indexes))
	for i, x := range indexes {
		in[i] = x
	}
	var docs []hashDoc
	if err := findAll(ctx, s.auditHash, bsonD("_id", bsonD("$in", in)), &docs); err != nil {
		return nil, fmt.Errorf("mongo: log hashes: %w", err)
	}
	byIndex := make(map[int64][]byte, len(docs))
	for _, d := range docs {
		byIndex[d.Index] = d.Hash
	}
	out := make([][]byte, len(indexes))
	for i, x := range indexes {
		h, ok := byIndex[x]
		if !ok {
			return nil, fmt.Errorf("mongo: log hash %d: %w", x, store.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}
