package mongo

import (
	"context"
	"errors"
	"fmt"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// IndexSpec is one index that the store creates at start-up.
type IndexSpec struct {
	Collection string
	Keys       bson.D
	Unique     bool
	// Search marks indexes that only speed up queries. lungo uses indexes
	// for uniqueness alone, and builds multikey keys as the Cartesian
	// product of every path into the same array (n^k keys for k idx.*
	// fields), so these are created on MongoDB only.
	Search bool
}

// DefaultSortParams are the parameters whose sort order gets an index when
// Options.SortParams is empty: the sorts that the clinic's everyday searches
// use. Sorting on any other parameter works, without an index.
var DefaultSortParams = []string{"_lastUpdated", "birthdate", "family", "given", "date"}

// Indexes lists the indexes that Open creates, including the sort indexes
// of DefaultSortParams. The compound idx.* indexes are multikey: with
// $elemMatch, MongoDB bounds several fields of the same array element at once.
var Indexes = append(baseIndexes(), sortIndexes(DefaultSortParams)...)

func baseIndexes() []IndexSpec {
	return []IndexSpec{
		{Collection: colResources, Keys: keys("type", "id"), Unique: true},
		{Collection: colHistory, Keys: keys("type", "id", "vid"), Unique: true},
		// _id is unique already; the audit log's sequence and the hash
		// storage index are the _id of their collections.
		{Collection: colAuditLog, Keys: keys("_id"), Unique: true},
		{Collection: colAuditHash, Keys: keys("_id"), Unique: true},

		// token, string, reference, uri: code first, it is the selective one
		{Collection: colResources, Keys: keys("type", "idx.p", "idx.c", "idx.s"), Search: true},
		// :text on tokens, :exact on strings
		{Collection: colResources, Keys: keys("type", "idx.p", "idx.t"), Search: true},
		// date, number, quantity as written
		{Collection: colResources, Keys: keys("type", "idx.p", "idx.lo", "idx.hi", "idx.u", "idx.us"), Search: true},
		// quantity in canonical UCUM
		{Collection: colResources, Keys: keys("type", "idx.p", "idx.clo", "idx.chi", "idx.cu"), Search: true},
		// history queries: newest first, optionally since an instant
		{Collection: colHistory, Keys: keys("type", "id", "updated"), Search: true},
	}
}

// sortIndexes returns two indexes per parameter: the id tie-breaker is
// always ascending, so one index cannot serve both directions.
func sortIndexes(params []string) []IndexSpec {
	var out []IndexSpec
	for _, p := range params {
		path := sortPath(p)
		for _, dir := range []int32{1, -1} {
			out = append(out, IndexSpec{
				Collection: colResources,
				Keys: bson.D{
					{Key: "type", Value: int32(1)},
					{Key: path + ".h", Value: int32(-1)},
					{Key: path + ".v", Value: dir},
					{Key: "id", Value: int32(1)},
				},
				Search: true,
			})
		}
	}
	return out
}

// keys builds an ascending index key.
func keys(fields ...string) bson.D {
	d := make(bson.D, len(fields))
	for i, f := range fields {
		d[i] = bson.E{Key: f, Value: int32(1)}
	}
	return d
}

// ensureIndexes creates the indexes; creating an existing index is a no-op.
func ensureIndexes(ctx context.Context, db lungo.IDatabase, specs []IndexSpec, embedded bool) error {
	for _, spec := range specs {
		if embedded && spec.Search {
			continue
		}
		if len(spec.Keys) == 1 && spec.Keys[0].Key == "_id" {
			// MongoDB refuses options on the _id index; the collection
			// must still exist before a transaction writes to it.
			if err := ensureCollection(ctx, db, spec.Collection); err != nil {
				return err
			}
			continue
		}
		model := mongo.IndexModel{Keys: spec.Keys}
		if spec.Unique {
			model.Options = options.Index().SetUnique(true)
		}
		if _, err := db.Collection(spec.Collection).Indexes().CreateOne(ctx, model); err != nil {
			return fmt.Errorf("mongo: create index %v on %s: %w", spec.Keys, spec.Collection, err)
		}
	}
	return nil
}

// ensureCollection creates a collection unless it exists.
func ensureCollection(ctx context.Context, db lungo.IDatabase, name string) error {
	names, err := db.ListCollectionNames(ctx, bson.D{})
	if err != nil {
		return fmt.Errorf("mongo: list collections: %w", err)
	}
	for _, n := range names {
		if n == name {
			return nil
		}
	}
	err = db.CreateCollection(ctx, name)
	var cmdErr mongo.CommandError
	if errors.As(err, &cmdErr) && cmdErr.Code == codeNamespaceExists {
		return nil // another process created it since the listing
	}
	if err != nil {
		return fmt.Errorf("mongo: create collection %s: %w", name, err)
	}
	return nil
}

// codeNamespaceExists is MongoDB's error code for an existing collection.
const codeNamespaceExists = 48
