package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// scan returns up to limit (0: all) documents that match filter and c, in
// the order of sort (nil: any).
func (s *Store) scan(ctx context.Context, filter, sort bson.D, c compiled, limit int, projection bson.D) ([]resourceDoc, error) {
	var docs []resourceDoc
	err := s.each(ctx, filter, sort, c, limit, projection, func(d *resourceDoc) bool {
		docs = append(docs, *d)
		return limit <= 0 || len(docs) < limit
	})
	return docs, err
}

// each calls fn with the documents that match filter and c until fn returns
// false. When c is not exact, candidates are read one by one (the cursor
// fetches batches) and checked in Go. A nil projection reads what a page
// needs; idx is added to a projection when Go checks. limit (0: none) is
// passed to the database when it decides alone.
func (s *Store) each(ctx context.Context, filter, sort bson.D, c compiled, limit int, projection bson.D, fn func(*resourceDoc) bool) error {
	if filter == nil {
		filter = bson.D{}
	}
	opts := options.Find()
	if sort != nil {
		opts.SetSort(sort)
	}
	switch {
	case projection != nil && !c.exact:
		opts.SetProjection(withField(projection, "idx"))
	case projection != nil:
		opts.SetProjection(projection)
	case c.exact:
		opts.SetProjection(bsonD("idx", 0)) // entries are not needed
	}
	if c.exact && limit > 0 {
		opts.SetLimit(int64(limit))
	}
	cur, err := s.resources.Find(ctx, filter, opts)
	if err != nil {
		return unavailable(err)
	}
	defer func() { _ = cur.Close(context.WithoutCancel(ctx)) }()
	for cur.Next(ctx) {
		var d resourceDoc
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("decode resource: %w", err)
		}
		if !c.exact && !c.check(&d) {
			continue
		}
		if !fn(&d) {
			return nil
		}
	}
	return unavailable(cur.Err())
}

// withField returns an inclusion projection that also includes field.
func withField(projection bson.D, field string) bson.D {
	for _, e := range projection {
		if e.Key == field {
			return projection
		}
	}
	return append(projection[:len(projection):len(projection)], bson.E{Key: field, Value: 1})
}
