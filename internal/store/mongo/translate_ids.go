package mongo

import (
	"go.mongodb.org/mongo-driver/bson"

	"github.com/clinic/ehr/internal/search"
)

func idIn(ids search.IDIn) compiled {
	return idsFilter([]string(ids))
}

// idsFilter matches the resources whose id is listed.
func idsFilter(ids []string) compiled {
	in := make(bson.A, len(ids))
	set := make(map[string]bool, len(ids))
	for i, id := range ids {
		in[i] = id
		set[id] = true
	}
	return compiled{
		filter: bsonD("id", bsonD("$in", in)),
		exact:  true,
		check:  func(d *resourceDoc) bool { return set[d.ID] },
	}
}

// chain matches the references of Param to the target resources that the
// sub-query finds.
func (t *translator) chain(c search.Chain) (compiled, error) {
	ids, err := t.ids.chainTargets(t.ctx, c)
	if err != nil {
		return compiled{}, err
	}
	in := make(bson.A, len(ids))
	set := make(map[string]bool, len(ids))
	for i, id := range ids {
		in[i] = id
		set[id] = true
	}
	elem := bson.D{
		{Key: "p", Value: bsonD("$eq", c.Param)},
		{Key: fieldKeys[search.FieldSystem], Value: bsonD("$eq", c.Target)},
		{Key: fieldKeys[search.FieldCode], Value: bsonD("$in", in)},
	}
	return compiled{
		filter: bsonD("idx", bsonD("$elemMatch", elem)),
		exact:  true,
		check: func(d *resourceDoc) bool {
			for _, e := range d.Idx {
				if e.Param == c.Param && e.System == c.Target && set[e.Code] {
					return true
				}
			}
			return false
		},
	}, nil
}

// has matches the resources that the sub-query's resources refer to.
func (t *translator) has(h search.Has) (compiled, error) {
	ids, err := t.ids.hasSubjects(t.ctx, t.typ, h)
	if err != nil {
		return compiled{}, err
	}
	return idsFilter(ids), nil
}
