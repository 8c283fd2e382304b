package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"

	"github.com/clinic/ehr/internal/store"
)

// Read returns the current version of a resource, deletion markers included.
func (s *Store) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	return s.read(ctx, typ, id)
}

// read works both on the store and inside a transaction: ctx decides.
func (s *Store) read(ctx context.Context, typ, id string) (*store.Resource, error) {
	var doc resourceDoc
	opts := options.FindOne().SetProjection(bson.D{{Key: "idx", Value: 0}, {Key: "sort", Value: 0}})
	err := s.resources.FindOne(ctx, eq("_id", resourceKey(typ, id)), opts).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("mongo: read %s/%s: %w", typ, id, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("mongo: read %s/%s: %w", typ, id, unavailable(err))
	}
	r := doc.resource()
	return &r, nil
}

// ReadVersion returns one version of a resource.
func (s *Store) ReadVersion(ctx context.Context, typ, id string, vid int64) (*store.Resource, error) {
	var doc historyDoc
	err := s.history.FindOne(ctx, eq("_id", versionKey(typ, id, vid))).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("mongo: read %s/%s version %d: %w", typ, id, vid, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("mongo: read %s/%s version %d: %w", typ, id, vid, unavailable(err))
	}
	r := doc.resource()
	return &r, nil
}

// History returns versions of a resource, newest first, or ErrNotFound for
// a resource that never existed.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) ([]store.Resource, error) {
	filter := bson.D{
		{Key: "type", Value: bsonD("$eq", q.Type)},
		{Key: "id", Value: bsonD("$eq", q.ID)},
	}
	if q.BeforeVersion > 0 {
		filter = append(filter, bson.E{Key: "vid", Value: bsonD("$lt", q.BeforeVersion)})
	}
	if !q.Since.IsZero() {
		filter = append(filter, bson.E{Key: "updated", Value: bsonD("$gte", ceilMilli(q.Since))})
	}
	opts := options.Find().SetSort(bsonD("vid", -1))
	if q.Count > 0 {
		opts.SetLimit(int64(q.Count))
	}
	var docs []historyDoc
	if err := findAll(ctx, s.history, filter, &docs, opts); err != nil {
		return nil, fmt.Errorf("mongo: history of %s/%s: %w", q.Type, q.ID, err)
	}
	if len(docs) == 0 {
		// no version passed the filters: tell a resource that never
		// existed apart from an empty page
		vid, err := s.currentVersion(ctx, resourceKey(q.Type, q.ID))
		if err != nil {
			return nil, fmt.Errorf("mongo: history of %s/%s: %w", q.Type, q.ID, err)
		}
		if vid == 0 {
			return nil, fmt.Errorf("mongo: history of %s/%s: %w", q.Type, q.ID, store.ErrNotFound)
		}
	}
	out := make([]store.Resource, len(docs))
	for i := range docs {
		out[i] = docs[i].resource()
	}
	return out, nil
}

// ceilMilli rounds up to the millisecond: versions are stored with
// millisecond precision, and one stamped before Since must not pass.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Sub(time.UnixMilli(ms)) > 0 {
		ms++
	}
	return ms
}

// findAll runs a find and decodes every document into out.
func findAll(ctx context.Context, c lungo.ICollection, filter bson.D, out any, opts ...*options.FindOptions) error {
	cur, err := c.Find(ctx, filter, opts...)
	if err != nil {
		return unavailable(err)
	}
	if err := cur.All(ctx, out); err != nil {
		return unavailable(err)
	}
	return nil
}
