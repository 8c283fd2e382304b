package mongo

import (
	"fmt"

	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/store"
)

// sortSpec orders by each key's "has" flag (present values first), its
// value, then id ascending. reverse flips every part, for paging backwards.
func sortSpec(keys []store.SortKey, reverse bool) bson.D {
	flip := func(dir int32) int32 {
		if reverse {
			return -dir
		}
		return dir
	}
	spec := bson.D{}
	for _, k := range keys {
		dir := int32(1)
		if k.Desc {
			dir = -1
		}
		path := sortPath(k.Param)
		spec = append(spec,
			bson.E{Key: path + ".h", Value: flip(-1)},
			bson.E{Key: path + ".v", Value: flip(dir)})
	}
	return append(spec, bson.E{Key: "id", Value: flip(1)})
}

// keyset returns the filter of the rows strictly after (after true) or
// strictly before the cursor in the order of keys: for some i, the rows
// equal to the cursor on keys[:i] and beyond it on keys[i], id last.
// Missing values sort last, whatever the direction.
func keyset(keys []store.SortKey, c *store.Cursor, after bool) (bson.D, error) {
	if len(c.Values) != len(keys) {
		return nil, fmt.Errorf("mongo: cursor has %d sort values for %d sort keys", len(c.Values), len(keys))
	}
	var equal []bson.D
	branches := bson.A{}
	for i, k := range keys {
		v := c.Values[i]
		if v != nil {
			var err error
			if v, err = sortLiteral(v); err != nil {
				return nil, fmt.Errorf("mongo: cursor value %d: %w", i, err)
			}
		}
		path := sortPath(k.Param)
		if beyond := beyondValue(path, v, k.Desc, after); beyond != nil {
			branches = append(branches, and(append(equal[:len(equal):len(equal)], beyond)...))
		}
		if v == nil {
			equal = append(equal, bsonD(path+".h", bsonD("$exists", false)))
		} else {
			equal = append(equal, bsonD(path+".v", bsonD("$eq", v)))
		}
	}
	idOp := "$gt"
	if !after {
		idOp = "$lt"
	}
	branches = append(branches, and(append(equal, bsonD("id", bsonD(idOp, c.ID)))...))
	if len(branches) == 1 {
		return branches[0].(bson.D), nil
	}
	return bsonD("$or", branches), nil
}

// beyondValue is the condition "strictly after (or before) v" on one key,
// or nil when no row can be.
func beyondValue(path string, v any, desc, after bool) bson.D {
	absent := bsonD(path+".h", bsonD("$exists", false))
	present := bsonD(path+".h", bsonD("$exists", true))
	if v == nil {
		if after {
			return nil // nothing sorts after a missing value
		}
		return present // every value sorts before a missing one
	}
	op := "$gt"
	if desc == after { // after in descending order, or before in ascending
		op = "$lt"
	}
	cmp := bsonD(path+".v", bsonD(op, v))
	if after {
		return bsonD("$or", bson.A{cmp, absent})
	}
	return cmp
}
