package mongo

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/search"
)

// maxSubqueryIDs caps the ids that a chained or reverse-chained sub-query
// may hand to the outer query's $in: beyond it the query must be narrowed.
// A variable so that tests can lower it.
var maxSubqueryIDs = 10000

// ErrTooManyMatches is returned when a chained or reverse-chained search's
// sub-query matches more than maxSubqueryIDs resources.
var ErrTooManyMatches = errors.New("the chained search matches too many resources; narrow it")

// chainTargets implements idSource.
func (s *Store) chainTargets(ctx context.Context, c search.Chain) ([]string, error) {
	if c.Target == "" {
		return nil, fmt.Errorf("mongo: chain on %s without a target type", c.Param)
	}
	sub, err := s.compile(ctx, c.Target, c.Where)
	if err != nil {
		return nil, err
	}
	docs, err := s.scan(ctx, and(typeFilter(c.Target), sub.filter), nil, sub, maxSubqueryIDs+1, bsonD("id", 1))
	if err != nil {
		return nil, fmt.Errorf("mongo: chain %s.%s: %w", c.Param, c.Target, err)
	}
	if len(docs) > maxSubqueryIDs {
		return nil, fmt.Errorf("mongo: chain %s:%s: more than %d matches: %w", c.Param, c.Target, maxSubqueryIDs, ErrTooManyMatches)
	}
	ids := make([]string, len(docs))
	for i := range docs {
		ids[i] = docs[i].ID
	}
	return ids, nil
}

// hasSubjects implements idSource: it reads the matching h.Type resources
// that refer to a typ resource, and collects the ids they refer to.
func (s *Store) hasSubjects(ctx context.Context, typ string, h search.Has) ([]string, error) {
	refersToType := search.Match{Param: h.Param, Conds: []search.Cond{
		{Field: search.FieldSystem, Op: search.OpEq, Value: typ},
	}}
	where := search.Expr(refersToType)
	if h.Where != nil {
		where = search.And{h.Where, refersToType}
	}
	sub, err := s.compile(ctx, h.Type, where)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var ids []string
	proj := bson.D{{Key: "id", Value: 1}, {Key: "idx", Value: 1}}
	filter := and(typeFilter(h.Type), sub.filter)
	// The cap applies to distinct ids, not to the (possibly many more)
	// referring resources, so the scan stops as soon as it is passed.
	err = s.each(ctx, filter, nil, sub, 0, proj, func(d *resourceDoc) bool {
		for _, e := range d.Idx {
			if e.Param == h.Param && e.System == typ && !seen[e.Code] {
				seen[e.Code] = true
				ids = append(ids, e.Code)
			}
		}
		return len(ids) <= maxSubqueryIDs
	})
	if err != nil {
		return nil, fmt.Errorf("mongo: _has:%s:%s: %w", h.Type, h.Param, err)
	}
	if len(ids) > maxSubqueryIDs {
		return nil, fmt.Errorf("mongo: _has:%s:%s: more than %d matches: %w", h.Type, h.Param, maxSubqueryIDs, ErrTooManyMatches)
	}
	return ids, nil
}
