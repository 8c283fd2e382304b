package mongo

import "go.mongodb.org/mongo-driver/bson"

// bsonD is shorthand for a one-element document.
func bsonD(key string, value any) bson.D { return bson.D{{Key: key, Value: value}} }

// eq is the filter {field: {$eq: value}}: the value can never be read as an
// operator, whatever it holds.
func eq(field string, value any) bson.D { return bsonD(field, bsonD("$eq", value)) }

// and combines filters: side by side in one document when their keys
// differ (easier to read, the same to the planner), else under $and.
func and(parts ...bson.D) bson.D {
	var nonNil []bson.D
	seen := map[string]bool{}
	distinct := true
	for _, p := range parts {
		if p == nil {
			continue
		}
		nonNil = append(nonNil, p)
		for _, e := range p {
			if seen[e.Key] {
				distinct = false
			}
			seen[e.Key] = true
		}
	}
	switch {
	case len(nonNil) == 0:
		return nil
	case len(nonNil) == 1:
		return nonNil[0]
	case distinct:
		var out bson.D
		for _, p := range nonNil {
			out = append(out, p...)
		}
		return out
	default:
		all := make(bson.A, len(nonNil))
		for i, p := range nonNil {
			all[i] = p
		}
		return bsonD("$and", all)
	}
}
