package engine

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Entry is one request of a batch or transaction Bundle. Direct conditional
// interactions are planned as a Bundle of one entry, so that both paths share
// one implementation.
type Entry struct {
	Method      string // GET, HEAD, POST, PUT or DELETE
	URL         string // request.url as sent
	FullURL     string
	Resource    map[string]any
	IfNoneExist string       // conditional create criteria
	IfMatch     Precondition // optimistic lock of an update or delete

	Type  string
	ID    string // "" for a create, a search or a conditional update/delete
	VID   int64  // a vread's version
	Query string // after '?': conditional criteria, or a search
}

// NewEntry reads request.method and request.url (relative to the base).
func NewEntry(method, rawURL string) (*Entry, error) {
	en := &Entry{Method: strings.ToUpper(method), URL: rawURL}
	path, query, hasQuery := strings.Cut(strings.TrimPrefix(rawURL, "/"), "?")
	if strings.Contains(path, ":") {
		return nil, fhirerr.New(fhirerr.Invalid, "request.url %q must be relative to the FHIR base", rawURL)
	}
	en.Query = query
	segs := strings.Split(path, "/")
	en.Type = segs[0]
	switch {
	case len(segs) == 1:
	case len(segs) == 2:
		en.ID = segs[1]
	case len(segs) == 4 && segs[2] == "_history":
		en.ID = segs[1]
		vid, err := strconv.ParseInt(segs[3], 10, 64)
		if err != nil || vid < 1 {
			return nil, fhirerr.New(fhirerr.NotFound, "version %q not found", segs[3])
		}
		en.VID = vid
	default:
		return nil, fhirerr.New(fhirerr.Invalid, "request.url %q is not Type, Type/id, Type?criteria or Type/id/_history/vid", rawURL)
	}
	write := en.Method != "GET" && en.Method != "HEAD"
	if err := checkType(en.Type, write); err != nil {
		return nil, err
	}
	bad := func(form string) error {
		return fhirerr.New(fhirerr.Invalid, "%s takes %s, not %q", en.Method, form, rawURL)
	}
	switch en.Method {
	case "GET", "HEAD":
	case "POST":
		if en.ID != "" || hasQuery {
			return nil, bad("a type (Type)")
		}
	case "PUT", "DELETE":
		if en.VID != 0 || (en.ID == "") == (query == "") {
			return nil, bad("Type/id or Type?criteria")
		}
		if en.ID != "" && !validID(en.ID) {
			return nil, fhirerr.New(fhirerr.Invalid, "invalid resource id %q", en.ID)
		}
	case "PATCH":
		return nil, fhirerr.New(fhirerr.NotAllowed, "PATCH is not supported")
	default:
		return nil, fhirerr.New(fhirerr.Invalid, "unknown request.method %q", method)
	}
	return en, nil
}

// Interaction is the restful interaction the entry asks for: what its
// scope is checked against and what its audit record says.
func (en *Entry) Interaction() string {
	switch en.Method {
	case "POST":
		return "create"
	case "PUT":
		return "update"
	case "DELETE":
		return "delete"
	}
	switch {
	case en.VID != 0:
		return "vread"
	case en.ID != "":
		return "read"
	}
	return "search-type"
}

// Conditional reports whether the entry searches before it writes; its
// outcome then tells whether a match exists, so it needs the search scope too.
func (en *Entry) Conditional() bool {
	return en.IfNoneExist != "" || (en.ID == "" && (en.Method == "PUT" || en.Method == "DELETE"))
}

// EntryResult is what one entry did.
type EntryResult struct {
	Interaction string          // for the audit: create, update, delete, read, vread, search-type
	Status      int             // HTTP status of the entry
	Resource    *store.Resource // written, matched or read version (a deletion marker for deletes)
	Matches     []store.Resource
	Total       int // of a search entry; -1 when not computed
	Patients    []string
	Warnings    []fhirerr.Issue
}

// EntryError says which entry failed; Err is the entry's own error.
type EntryError struct {
	Index int
	Entry *Entry
	Err   error
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("entry %d (%s %s): %v", e.Index, e.Entry.Method, e.Entry.URL, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

// PlanOptions confine a plan to what the caller may do.
type PlanOptions struct {
	Read   Access // what read entries may see, per type; nil: everything
	Search Access // what search entries and conditional searches may see; nil: everything
	// Check authorises a write once its target is final, inside the unit;
	// r shows the stored state. nil: every write is allowed.
	Check func(ctx context.Context, r store.Reader, en *Entry, w *Write) error
}

// Plan is a set of entries prepared to run as one storage unit: Unit runs
// them all against one Tx, so that any failure leaves nothing stored.
// Results are filled in when Unit succeeds.
type Plan struct {
	Unit    func(tx store.Tx) error
	Results []EntryResult

	e           *Engine
	ctx         context.Context
	entries     []*Entry
	opts        PlanOptions
	crit        []*Criteria       // per entry: conditional criteria, if any
	searches    []*search.Request // per entry: a search entry's query
	provisional []string          // per entry: the id a create gets
	refs        map[string]int    // conditional references → first entry using them
	refCrit     map[string]*Criteria
	pre         resolution       // identities resolved while planning
	writes      []*Write         // prepared against pre
	docs        []map[string]any // the new content of each write (nil for deletes)
}

// Plan prepares entries: validation, business rules and index extraction
// happen here, outside the commit. Identities (conditional matches and
// conditional references) are resolved now and again inside the unit; when
// the store moved in between, the unit prepares again against what it sees.
func (e *Engine) Plan(ctx context.Context, entries []*Entry, opts PlanOptions) (*Plan, error) {
	n := len(entries)
	p := &Plan{e: e, ctx: ctx, entries: entries, opts: opts,
		crit: make([]*Criteria, n), searches: make([]*search.Request, n),
		provisional: make([]string, n), refs: map[string]int{}, refCrit: map[string]*Criteria{}}
	fullURLs := map[string]int{}
	for i, en := range entries {
		if err := p.parse(i, en); err != nil {
			return nil, &EntryError{Index: i, Entry: en, Err: err}
		}
		if en.FullURL != "" && en.Resource != nil {
			if j, dup := fullURLs[en.FullURL]; dup {
				return nil, &EntryError{Index: i, Entry: en, Err: fhirerr.New(fhirerr.Invalid, "fullUrl %q is also the fullUrl of entry %d", en.FullURL, j)}
			}
			fullURLs[en.FullURL] = i
		}
	}
	pre, err := p.resolve(ctx, e.store, nil, true)
	if err != nil {
		return nil, err
	}
	if p.writes, p.docs, err = p.prepare(ctx, pre); err != nil {
		return nil, err
	}
	p.pre = pre
	p.Unit = p.run
	return p, nil
}

// parse checks one entry and reads its criteria and search.
func (p *Plan) parse(i int, en *Entry) error {
	switch en.Method {
	case "POST", "PUT":
		if en.Resource == nil {
			return fhirerr.New(fhirerr.Invalid, "%s needs a resource", en.Method)
		}
		refs := map[string]bool{}
		collectRefs(en.Resource, refs)
		for ref := range refs {
			if _, seen := p.refs[ref]; seen {
				continue
			}
			c, err := p.e.parseRef(ref)
			if err != nil {
				return err
			}
			p.refs[ref], p.refCrit[ref] = i, c
		}
	}
	var err error
	switch {
	case en.Method == "POST":
		p.provisional[i] = p.e.newID()
		if en.IfNoneExist != "" {
			p.crit[i], err = p.e.ParseCriteria(en.Type, en.IfNoneExist)
		}
	case en.Conditional():
		p.provisional[i] = p.e.newID()
		p.crit[i], err = p.e.ParseCriteria(en.Type, en.Query)
	case en.Interaction() == "search-type":
		var values url.Values
		if values, err = url.ParseQuery(en.Query); err != nil {
			return fhirerr.New(fhirerr.Invalid, "malformed query in %q", en.URL)
		}
		p.searches[i], err = p.e.search.Parse(en.Type, values, search.Options{})
		if err != nil {
			return fhirerr.Wrap(fhirerr.Invalid, err, "%v", err)
		}
	}
	return err
}

// resolution is who each entry is about, as the store shows it.
type resolution struct {
	ids   []string          // per entry: the target id ("" when none)
	found []*store.Resource // per entry: the resource a conditional create matched
	refs  map[string]string // conditional reference → Type/id
	hits  map[*Criteria][]store.Resource
}

func (a resolution) equal(b resolution) bool {
	if !slices.Equal(a.ids, b.ids) || len(a.refs) != len(b.refs) {
		return false
	}
	for k, v := range a.refs {
		if b.refs[k] != v {
			return false
		}
	}
	for i := range a.found {
		if (a.found[i] == nil) != (b.found[i] == nil) {
			return false
		}
	}
	return true
}

// resolve runs the conditional searches against r; known is what the
// planning run found, if this is the unit's run.
//
// Planning is optimistic about conditional creates: it does not search for
// their matches but prepares the create, which is what a first post needs.
// The unit's own resolution always searches, and when it finds a match (a
// retry) it prepares again, which for a matched create is nothing to write.
// Lab systems send every result with If-None-Exist; searching for each one
// twice would double the work of a Bundle.
func (p *Plan) resolve(ctx context.Context, r store.Reader, known map[*Criteria][]store.Resource, planning bool) (resolution, error) {
	n := len(p.entries)
	res := resolution{ids: make([]string, n), found: make([]*store.Resource, n), refs: map[string]string{}}
	owner := map[*Criteria]int{}
	var crits []*Criteria
	for i, c := range p.crit {
		if c != nil && !(planning && p.entries[i].Method == "POST") {
			crits, owner[c] = append(crits, c), i
		}
	}
	refs := slices.Sorted(maps.Keys(p.refs))
	for _, ref := range refs {
		c := p.refCrit[ref]
		crits, owner[c] = append(crits, c), p.refs[ref]
	}
	hits, failed, err := p.e.matchAll(ctx, r, crits, p.opts.Search, known)
	if err != nil {
		i := owner[failed]
		return res, &EntryError{Index: i, Entry: p.entries[i], Err: err}
	}
	res.hits = hits
	for i, en := range p.entries {
		id, found, err := p.target(ctx, r, i, hits[p.crit[i]])
		if err != nil {
			return res, &EntryError{Index: i, Entry: en, Err: err}
		}
		res.ids[i], res.found[i] = id, found
	}
	for _, ref := range refs {
		to, err := resolveRef(ref, p.refCrit[ref], hits[p.refCrit[ref]])
		if err != nil {
			i := p.refs[ref]
			return res, &EntryError{Index: i, Entry: p.entries[i], Err: err}
		}
		res.refs[ref] = to
	}
	return res, nil
}

// target finds the id entry i acts on, given the matches of its criteria,
// and for a conditional create the resource that makes it a no-op.
func (p *Plan) target(ctx context.Context, r store.Reader, i int, found []store.Resource) (string, *store.Resource, error) {
	en, c := p.entries[i], p.crit[i]
	if c == nil {
		if en.Method == "POST" {
			return p.provisional[i], nil, nil
		}
		return en.ID, nil, nil
	}
	if len(found) > 1 {
		return "", nil, severalMatch("conditional "+en.Interaction(), c)
	}
	bodyID, _ := en.Resource["id"].(string)
	switch {
	case len(found) == 1 && en.Method == "POST":
		return found[0].ID, &found[0], nil
	case len(found) == 1:
		if en.Method == "PUT" && bodyID != "" && bodyID != found[0].ID {
			return "", nil, fhirerr.At(fhirerr.Invalid, en.Type+".id", "the body's id %q is not the id of the resource the criteria match", bodyID)
		}
		return found[0].ID, nil, nil
	case en.Method == "POST":
		return p.provisional[i], nil, nil
	case en.Method == "DELETE":
		return "", nil, nil // nothing matches: nothing to delete
	case bodyID == "":
		return p.provisional[i], nil, nil
	}
	// No match but an id in the body: create with that id, unless it names
	// a live resource that the criteria did not match.
	if cur, err := r.Read(ctx, en.Type, bodyID); err == nil && !cur.Deleted {
		return "", nil, fhirerr.New(fhirerr.Conflict, "%s/%s exists but does not match the criteria %s", en.Type, bodyID, c.Raw)
	}
	return bodyID, nil, nil
}

// prepare builds the writes for res: references rewritten, then validation,
// rules and index extraction (Engine.put, Update, Delete). It returns each
// write's new content too, for the transaction's view.
func (p *Plan) prepare(ctx context.Context, res resolution) ([]*Write, []map[string]any, error) {
	subst := map[string]string{}
	for i, en := range p.entries {
		if en.FullURL != "" && en.Resource != nil && res.ids[i] != "" {
			subst[en.FullURL] = en.Type + "/" + res.ids[i]
		}
	}
	for ref, to := range res.refs {
		subst[ref] = to
	}
	writes := make([]*Write, len(p.entries))
	docs := make([]map[string]any, len(p.entries))
	for i, en := range p.entries {
		w, doc, err := p.prepareOne(ctx, i, res, subst)
		if err != nil {
			return nil, nil, &EntryError{Index: i, Entry: en, Err: err}
		}
		writes[i], docs[i] = w, doc
	}
	return writes, docs, nil
}

func (p *Plan) prepareOne(ctx context.Context, i int, res resolution, subst map[string]string) (*Write, map[string]any, error) {
	en, id := p.entries[i], res.ids[i]
	switch en.Method {
	case "DELETE":
		if id == "" {
			return nil, nil, nil
		}
		w, err := p.e.Delete(ctx, en.Type, id, en.IfMatch)
		return w, nil, err
	case "POST", "PUT":
		if res.found[i] != nil {
			return nil, nil, nil // a conditional create that matched: nothing to write
		}
		doc, _ := deepCopy(en.Resource).(map[string]any)
		if err := rewriteRefs(doc, subst); err != nil {
			return nil, nil, err
		}
		var w *Write
		var err error
		if en.Method == "POST" || (id == p.provisional[i] && p.crit[i] != nil) {
			w, err = p.e.put(ctx, en.Type, id, doc, en.IfMatch, true)
		} else {
			if _, ok := doc["id"]; !ok && p.crit[i] != nil {
				doc["id"] = id // conditional update: the body may leave the id out
			}
			w, err = p.e.Update(ctx, en.Type, id, doc, en.IfMatch)
		}
		return w, doc, err
	}
	return nil, nil, nil
}

// run is the plan's unit. It must be safe to run again (MongoDB retries
// transactions), so it keeps nothing from a previous run but the plan.
func (p *Plan) run(tx store.Tx) error {
	ctx := p.ctx
	p.Results = make([]EntryResult, len(p.entries))
	res, err := p.resolve(ctx, tx, p.pre.hits, false)
	if err != nil {
		return err
	}
	writes, docs := p.writes, p.docs
	if !res.equal(p.pre) {
		// The store moved since planning (a concurrent identical request
		// created the match, say): prepare again against what the unit sees.
		if writes, docs, err = p.prepare(ctx, res); err != nil {
			return err
		}
	}
	if err := p.checkOverlap(writes); err != nil {
		return err
	}
	v := newView(tx, p.e.search)
	for i, w := range writes {
		if w == nil {
			continue
		}
		if p.opts.Check != nil {
			if err := p.opts.Check(ctx, tx, p.entries[i], w); err != nil {
				return &EntryError{Index: i, Entry: p.entries[i], Err: err}
			}
		}
		v.plan(w, docs[i])
	}
	for _, i := range p.order() {
		en := p.entries[i]
		var r EntryResult
		switch w := writes[i]; {
		case w != nil:
			if err = w.Unit(v.except(w.Type, w.ID)); err == nil {
				v.wrote(w)
				r = writeResult(w)
			}
		case res.found[i] != nil:
			r, err = p.matched(res.found[i])
		case en.Method == "DELETE":
			r = EntryResult{Interaction: "delete", Status: 204}
		default:
			r, err = p.read(ctx, v, i)
		}
		if err != nil {
			return &EntryError{Index: i, Entry: en, Err: err}
		}
		p.Results[i] = r
	}
	return nil
}

// order is the R4 processing order: DELETE, POST, PUT, then reads, each in
// Bundle order.
func (p *Plan) order() []int {
	rank := map[string]int{"DELETE": 0, "POST": 1, "PUT": 2, "GET": 3, "HEAD": 3}
	idx := make([]int, len(p.entries))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return rank[p.entries[a].Method] - rank[p.entries[b].Method] })
	return idx
}

// checkOverlap refuses a plan that writes one resource twice: the result
// would depend on the processing order (R4 transaction rules).
func (p *Plan) checkOverlap(writes []*Write) error {
	seen := map[string]int{}
	for i, w := range writes {
		if w == nil {
			continue
		}
		k := w.Type + "/" + w.ID
		if j, dup := seen[k]; dup {
			return &EntryError{Index: i, Entry: p.entries[i], Err: fhirerr.New(fhirerr.Invalid, "%s is also the target of entry %d; a transaction may change a resource once", k, j)}
		}
		seen[k] = i
	}
	return nil
}

func writeResult(w *Write) EntryResult {
	r := EntryResult{Interaction: w.Interaction, Resource: w.Result, Patients: w.Patients, Warnings: w.Warnings, Status: 200}
	switch {
	case w.Interaction == "delete":
		r.Status = 204
		if w.NoOp {
			r.Resource = w.Prev
		}
	case w.Created:
		r.Status = 201
	}
	return r
}

// matched answers a conditional create that found its resource: nothing was
// written, so the audit trail records the disclosure as a read.
func (p *Plan) matched(found *store.Resource) (EntryResult, error) {
	pats, err := p.e.PatientsOf(found)
	if err != nil {
		return EntryResult{}, err
	}
	return EntryResult{Interaction: "read", Status: 200, Resource: found, Patients: pats}, nil
}

// read serves a GET entry against the transaction's view, which shows the
// entries' writes.
func (p *Plan) read(ctx context.Context, v *view, i int) (EntryResult, error) {
	en := p.entries[i]
	if en.ID == "" {
		return p.searchEntry(ctx, v, i)
	}
	restrict, err := readRestrict(p.opts.Read, en.Type)
	if err != nil {
		return EntryResult{}, err
	}
	cur, err := v.Read(ctx, en.Type, en.ID)
	if err != nil {
		return EntryResult{}, storeErr(err, en.Type+"/"+en.ID)
	}
	if restrict != nil {
		page, err := v.Search(ctx, &store.Query{Type: en.Type, Where: search.And{search.IDIn{en.ID}, restrict}, Count: 1})
		if err != nil {
			return EntryResult{}, storeErr(err, "search")
		}
		if len(page.Resources) == 0 && !cur.Deleted {
			return EntryResult{}, fhirerr.New(fhirerr.NotFound, "%s/%s not found", en.Type, en.ID)
		}
	}
	res := cur
	if en.VID != 0 {
		if res, err = p.e.store.ReadVersion(ctx, en.Type, en.ID, en.VID); err != nil {
			return EntryResult{}, storeErr(err, "version")
		}
	}
	if res.Deleted {
		return EntryResult{}, fhirerr.New(fhirerr.Gone, "%s/%s was deleted", en.Type, en.ID)
	}
	pats, err := p.e.PatientsOf(res)
	if err != nil {
		return EntryResult{}, err
	}
	return EntryResult{Interaction: en.Interaction(), Status: 200, Resource: res, Patients: pats}, nil
}

func (p *Plan) searchEntry(ctx context.Context, v *view, i int) (EntryResult, error) {
	en, req := p.entries[i], p.searches[i]
	restrict, err := readRestrict(p.opts.Search, en.Type)
	if err != nil {
		return EntryResult{}, err
	}
	q := &store.Query{Type: en.Type, Where: and(req.Where, restrict), Count: req.Count, Total: req.Total != "none"}
	for _, s := range req.Sort {
		q.Sort = append(q.Sort, store.SortKey{Param: s.Param, Desc: s.Desc})
	}
	page, err := v.Search(ctx, q)
	if err != nil {
		return EntryResult{}, storeErr(err, "search")
	}
	r := EntryResult{Interaction: "search-type", Status: 200, Matches: page.Resources, Total: page.Total}
	for i := range page.Resources {
		pats, err := p.e.PatientsOf(&page.Resources[i])
		if err != nil {
			return EntryResult{}, err
		}
		r.Patients = addUnique(r.Patients, pats)
	}
	return r, nil
}

func readRestrict(access Access, typ string) (search.Expr, error) {
	if access == nil {
		return nil, nil
	}
	allowed, restrict := access(typ)
	if !allowed {
		return nil, fhirerr.New(fhirerr.Forbidden, "reading %s is not permitted", typ)
	}
	return restrict, nil
}

func addUnique(dst, src []string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// view is the Tx a transaction's entries run against. Its reads show the
// transaction's own writes, planned or done, so that a rule checking that an
// Observation's Specimen exists finds the Specimen another entry creates,
// whatever their order in the Bundle. The resource whose write is running
// (self) reads from the store, as a direct write does.
type view struct {
	store.Tx
	reg     *search.Registry
	planned map[string]*pending // Type/id → the transaction's version
	self    string
}

// pending is a resource as the transaction leaves it.
type pending struct {
	res     store.Resource
	doc     map[string]any // its content; nil for a deletion
	index   []search.IndexEntry
	indexed bool
}

func newView(tx store.Tx, reg *search.Registry) *view {
	return &view{Tx: tx, reg: reg, planned: map[string]*pending{}}
}

func (v *view) plan(w *Write, doc map[string]any) {
	v.planned[w.Type+"/"+w.ID] = &pending{res: store.Resource{Type: w.Type, ID: w.ID, Deleted: doc == nil}, doc: doc}
}

// wrote replaces the planned version with the one stored.
func (v *view) wrote(w *Write) {
	if pd := v.planned[w.Type+"/"+w.ID]; pd != nil && w.Result != nil {
		pd.res = *w.Result
	}
}

// except is the view for the write of typ/id itself.
func (v *view) except(typ, id string) *view {
	c := *v
	c.self = typ + "/" + id
	return &c
}

func (v *view) Read(ctx context.Context, typ, id string) (*store.Resource, error) {
	k := typ + "/" + id
	if pd, ok := v.planned[k]; ok && k != v.self {
		return pd.resource()
	}
	return v.Tx.Read(ctx, typ, id)
}

// Search replaces stored results by the transaction's versions and adds the
// transaction's resources that match. They come after the stored ones,
// whatever the sort; paging through such a search is approximate.
func (v *view) Search(ctx context.Context, q *store.Query) (*store.SearchResult, error) {
	res, err := v.Tx.Search(ctx, q)
	if err != nil || len(v.planned) == 0 {
		return res, err
	}
	out := &store.SearchResult{Total: res.Total, Next: res.Next, Prev: res.Prev}
	adjust := func(d int) {
		if out.Total >= 0 {
			out.Total += d
		}
	}
	for _, r := range res.Resources {
		k := r.Type + "/" + r.ID
		if _, mine := v.planned[k]; mine && k != v.self {
			adjust(-1) // shown below if its new version matches
			continue
		}
		out.Resources = append(out.Resources, r)
	}
	for _, k := range slices.Sorted(maps.Keys(v.planned)) {
		pd := v.planned[k]
		if k == v.self || pd.res.Type != q.Type || pd.doc == nil {
			continue
		}
		ok, err := pd.matches(v.reg, q.Where)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		r, err := pd.resource()
		if err != nil {
			return nil, err
		}
		out.Resources = append(out.Resources, *r)
		adjust(1)
	}
	if len(out.Resources) > q.Count {
		out.Resources = out.Resources[:q.Count]
	}
	return out, nil
}

// resource returns the pending version, encoding planned content on demand.
func (pd *pending) resource() (*store.Resource, error) {
	r := pd.res
	if r.Body == nil && pd.doc != nil {
		body, err := fhirjson.Marshal(pd.doc)
		if err != nil {
			return nil, fmt.Errorf("encode %s/%s: %w", r.Type, r.ID, err)
		}
		r.Body = body
	}
	return &r, nil
}

func (pd *pending) matches(reg *search.Registry, where search.Expr) (bool, error) {
	if where == nil {
		return true, nil
	}
	if !pd.indexed {
		entries, _, err := reg.Extract(pd.res.Type, pd.doc)
		if err != nil {
			return false, fmt.Errorf("extract %s/%s: %w", pd.res.Type, pd.res.ID, err)
		}
		pd.index, pd.indexed = entries, true
	}
	matched, _ := search.MatchEntries(where, pd.res.ID, pd.index) // undecidable counts as no match
	return matched, nil
}
