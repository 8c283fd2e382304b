package rules

import (
	"context"
	"slices"
	"testing"

	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/store"
)

// fakeTx is a read-only transaction over a few stored records. Search finds
// nothing: searches (double booking, referrers) are tested over HTTP.
type fakeTx struct {
	store.Tx // Put and AppendLog are never called by rules
	records  map[string]*store.Resource
}

func newFakeTx(records ...store.Resource) fakeTx {
	tx := fakeTx{records: map[string]*store.Resource{}}
	for i := range records {
		tx.records[records[i].Type+"/"+records[i].ID] = &records[i]
	}
	return tx
}

func (f fakeTx) Read(_ context.Context, typ, id string) (*store.Resource, error) {
	if r, ok := f.records[typ+"/"+id]; ok {
		return r, nil
	}
	return nil, store.ErrNotFound
}

func (f fakeTx) Search(context.Context, *store.Query) (*store.SearchResult, error) {
	return &store.SearchResult{Total: -1}, nil
}

// stored is a current record with a JSON body.
func stored(typ, id, body string) store.Resource {
	return store.Resource{Type: typ, ID: id, VersionID: 1, Body: []byte(body)}
}

// run puts a write through All() as the engine does: every Prepare, then
// every Commit against tx with prev (a JSON body, or "") as the stored
// version.
func run(t *testing.T, tx store.Tx, typ, body, prev string) (*engine.Change, error) {
	t.Helper()
	doc, err := fhirjson.Decode([]byte(body), fhirjson.Options{})
	if err != nil {
		t.Fatalf("fixture: %v\n%s", err, body)
	}
	c := &engine.Change{Type: typ, ID: "this", Doc: doc}
	if prev != "" {
		p := stored(typ, "this", prev)
		c.Prev = &p
	}
	ctx := context.Background()
	for _, r := range applicable(typ) {
		if r.Prepare != nil {
			if err := r.Prepare(ctx, c); err != nil {
				return c, err
			}
		}
	}
	for _, r := range applicable(typ) {
		if r.Commit != nil {
			if err := r.Commit(ctx, tx, c); err != nil {
				return c, err
			}
		}
	}
	return c, nil
}

func applicable(typ string) []engine.Rule {
	var out []engine.Rule
	for _, r := range All() {
		if len(r.Types) == 0 || slices.Contains(r.Types, typ) {
			out = append(out, r)
		}
	}
	return out
}

// outcome is what a write through the rules must give.
type outcome struct {
	kind fhirerr.Kind // "" for accepted
	expr string       // the refusal names it (or, when accepted, a warning does)
}

func (o outcome) check(t *testing.T, c *engine.Change, err error) {
	t.Helper()
	if o.kind == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		if o.expr != "" && !slices.ContainsFunc(c.Warnings, func(w fhirerr.Issue) bool { return w.Expression == o.expr }) {
			t.Errorf("warnings %+v, want one at %s", c.Warnings, o.expr)
		}
		return
	}
	fe := fhirerr.As(err)
	if err == nil || fe.Kind != o.kind {
		t.Fatalf("err = %v, want %s", err, o.kind)
	}
	if !slices.ContainsFunc(fe.Issues, func(is fhirerr.Issue) bool { return is.Expression == o.expr }) {
		t.Errorf("issues %+v, want one at %s", fe.Issues, o.expr)
	}
}

func accepted() outcome                           { return outcome{} }
func warned(expr string) outcome                  { return outcome{expr: expr} }
func refused(k fhirerr.Kind, expr string) outcome { return outcome{k, expr} }
func unprocessable(expr string) outcome           { return refused(fhirerr.Unprocessable, expr) }

func TestAllRuleNamesAreUnique(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range All() {
		if r.Name == "" || seen[r.Name] {
			t.Errorf("rule name %q is empty or repeated", r.Name)
		}
		seen[r.Name] = true
	}
}
