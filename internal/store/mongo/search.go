package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Search runs a planned query over current, non-deleted resources.
func (s *Store) Search(ctx context.Context, q *store.Query) (*store.SearchResult, error) {
	return s.search(ctx, q)
}

func (s *Store) search(ctx context.Context, q *store.Query) (*store.SearchResult, error) {
	if q == nil || q.Type == "" {
		return nil, errors.New("mongo: search without a resource type")
	}
	c, err := s.compile(ctx, q.Type, q.Where)
	if err != nil {
		return nil, err
	}
	base := and(typeFilter(q.Type), c.filter)
	res := &store.SearchResult{Total: -1}
	if q.Total {
		if res.Total, err = s.count(ctx, base, c); err != nil {
			return nil, fmt.Errorf("mongo: count %s: %w", q.Type, err)
		}
	}
	if q.Count <= 0 {
		return res, nil
	}
	if err := s.page(ctx, q, base, c, res); err != nil {
		return nil, fmt.Errorf("mongo: search %s: %w", q.Type, err)
	}
	return res, nil
}

// compile translates the expression of a query on typ.
func (s *Store) compile(ctx context.Context, typ string, where search.Expr) (compiled, error) {
	return (&translator{ctx: ctx, typ: typ, ids: s}).expr(where)
}

// typeFilter selects the current, non-deleted resources of a type.
func typeFilter(typ string) bson.D {
	return bson.D{
		{Key: "type", Value: bsonD("$eq", typ)},
		{Key: "deleted", Value: bsonD("$eq", false)},
	}
}

// page fills res with one page in the query's order and the cursors around it.
func (s *Store) page(ctx context.Context, q *store.Query, base bson.D, c compiled, res *store.SearchResult) error {
	forward := q.Before == nil
	filter := base
	for _, bound := range []struct {
		cur   *store.Cursor
		after bool
	}{{q.After, true}, {q.Before, false}} {
		if bound.cur == nil {
			continue
		}
		kf, err := keyset(q.Sort, bound.cur, bound.after)
		if err != nil {
			return err
		}
		filter = and(filter, kf)
	}
	docs, err := s.scan(ctx, filter, sortSpec(q.Sort, !forward), c, q.Count+1, nil)
	if err != nil {
		return err
	}
	more := len(docs) > q.Count
	if more {
		docs = docs[:q.Count]
	}
	if !forward {
		slices.Reverse(docs)
	}
	res.Resources = make([]store.Resource, len(docs))
	for i := range docs {
		res.Resources[i] = docs[i].resource()
	}
	if len(docs) == 0 {
		return nil
	}
	first, last := cursorOf(q.Sort, &docs[0]), cursorOf(q.Sort, &docs[len(docs)-1])
	// The extra row fetched tells whether rows follow in the direction of
	// the fetch; the other direction needs a query of its own.
	if forward {
		if more {
			res.Next = last
		}
		if q.After != nil {
			if res.Prev, err = s.linkIfBeyond(ctx, q.Sort, base, c, first, false); err != nil {
				return err
			}
		}
		return nil
	}
	if more {
		res.Prev = first
	}
	res.Next, err = s.linkIfBeyond(ctx, q.Sort, base, c, last, true)
	return err
}

// linkIfBeyond returns cur when some row lies after (or before) it, else nil.
func (s *Store) linkIfBeyond(ctx context.Context, keys []store.SortKey, base bson.D, c compiled, cur *store.Cursor, after bool) (*store.Cursor, error) {
	kf, err := keyset(keys, cur, after)
	if err != nil {
		return nil, err
	}
	docs, err := s.scan(ctx, and(base, kf), nil, c, 1, bsonD("id", 1))
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	return cur, nil
}

// cursorOf is the position of a document in the order of keys.
func cursorOf(keys []store.SortKey, d *resourceDoc) *store.Cursor {
	cur := &store.Cursor{Values: make([]any, len(keys)), ID: d.ID}
	for i, k := range keys {
		if v, ok := d.Sort[sortField(k.Param)]; ok {
			cur.Values[i] = v.V
		}
	}
	return cur
}

// count returns the number of matches: in the database when the filter is
// exact, else by checking each candidate in Go.
func (s *Store) count(ctx context.Context, filter bson.D, c compiled) (int, error) {
	if c.exact {
		n, err := s.resources.CountDocuments(ctx, filter)
		if err != nil {
			return 0, unavailable(err)
		}
		return int(n), nil
	}
	docs, err := s.scan(ctx, filter, nil, c, 0, bsonD("id", 1))
	return len(docs), err
}
