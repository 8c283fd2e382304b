package mongo

import (
	"fmt"
	"strconv"
	"time"

	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Collection names.
const (
	colResources = "resources"
	colHistory   = "history"
	colAuditLog  = "audit_log"
	colAuditHash = "audit_hash"
)

// resourceDoc is a document of "resources": the current version of one
// resource with its index entries and sort values.
type resourceDoc struct {
	Key     string               `bson:"_id"`
	Type    string               `bson:"type"`
	ID      string               `bson:"id"`
	VID     int64                `bson:"vid"`
	Updated int64                `bson:"updated"`
	Deleted bool                 `bson:"deleted"`
	Body    []byte               `bson:"body"`
	Idx     []search.IndexEntry  `bson:"idx,omitempty"`
	Sort    map[string]sortValue `bson:"sort,omitempty"`
}

// sortValue is one parameter's sort value. H is always 1: it exists so that
// resources without the value (no H) sort last in both directions.
type sortValue struct {
	H int32 `bson:"h"`
	V any   `bson:"v"`
}

// historyDoc is a document of "history": one version of a resource.
type historyDoc struct {
	Key     string `bson:"_id"`
	Type    string `bson:"type"`
	ID      string `bson:"id"`
	VID     int64  `bson:"vid"`
	Updated int64  `bson:"updated"`
	Deleted bool   `bson:"deleted"`
	Body    []byte `bson:"body"`
}

// logDoc is one audit log entry; _id is its sequence number.
type logDoc struct {
	Seq  int64  `bson:"_id"`
	RID  string `bson:"rid"`
	Hash []byte `bson:"hash"`
	Body []byte `bson:"body,omitempty"` // the AuditEvent as hashed; absent on older entries
}

// hashDoc is one stored Merkle tree hash; _id is its storage index.
type hashDoc struct {
	Index int64  `bson:"_id"`
	Hash  []byte `bson:"hash"`
}

func resourceKey(typ, id string) string { return typ + "/" + id }

func versionKey(typ, id string, vid int64) string {
	return typ + "/" + id + "/" + strconv.FormatInt(vid, 10)
}

// newDocs turns a write into its "resources" and "history" documents.
func newDocs(w store.Write) (*resourceDoc, *historyDoc, error) {
	r := w.Resource
	if r.Type == "" || r.ID == "" {
		return nil, nil, fmt.Errorf("mongo: write without type or id (%q/%q)", r.Type, r.ID)
	}
	body := r.Body
	if body == nil {
		body = []byte{} // binary, not null, so that it reads back the same
	}
	cur := &resourceDoc{
		Key:     resourceKey(r.Type, r.ID),
		Type:    r.Type,
		ID:      r.ID,
		VID:     r.VersionID,
		Updated: r.LastUpdated.UnixMilli(),
		Deleted: r.Deleted,
		Body:    body,
	}
	if !r.Deleted {
		cur.Idx = w.Index
		sorts, err := sortValues(w.Sort)
		if err != nil {
			return nil, nil, fmt.Errorf("mongo: write %s/%s: %w", r.Type, r.ID, err)
		}
		cur.Sort = sorts
	}
	hist := &historyDoc{
		Key:     versionKey(r.Type, r.ID, r.VersionID),
		Type:    r.Type,
		ID:      r.ID,
		VID:     r.VersionID,
		Updated: cur.Updated,
		Deleted: r.Deleted,
		Body:    body,
	}
	return cur, hist, nil
}

// sortValues escapes the parameter names and checks the value types.
func sortValues(in map[string]any) (map[string]sortValue, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]sortValue, len(in))
	for param, v := range in {
		if v == nil {
			continue
		}
		nv, err := sortLiteral(v)
		if err != nil {
			return nil, fmt.Errorf("sort value of %q: %w", param, err)
		}
		out[sortField(param)] = sortValue{H: 1, V: nv}
	}
	return out, nil
}

// sortLiteral accepts the types that Write.Sort and Cursor carry: strings
// and numbers (numbers as float64, so that they compare alike).
func sortLiteral(v any) (any, error) {
	switch v := v.(type) {
	case string, float64:
		return v, nil
	case float32:
		return float64(v), nil
	case int:
		return float64(v), nil
	case int32:
		return float64(v), nil
	case int64:
		return float64(v), nil
	default:
		return nil, fmt.Errorf("unsupported type %T", v)
	}
}

func (d *resourceDoc) resource() store.Resource {
	return toResource(d.Type, d.ID, d.VID, d.Updated, d.Deleted, d.Body)
}

func (d *historyDoc) resource() store.Resource {
	return toResource(d.Type, d.ID, d.VID, d.Updated, d.Deleted, d.Body)
}

func toResource(typ, id string, vid, updated int64, deleted bool, body []byte) store.Resource {
	if len(body) == 0 {
		body = nil
	}
	return store.Resource{
		Type:        typ,
		ID:          id,
		VersionID:   vid,
		LastUpdated: time.UnixMilli(updated).UTC(),
		Deleted:     deleted,
		Body:        body,
	}
}
