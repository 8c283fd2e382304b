package api

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
)

// batchParallelism bounds the entries of one batch in flight at once: enough
// to share group commits, not so many that one batch floods the sequencer.
const batchParallelism = 16

// bundle serves POST /fhir: a transaction or a batch. The entries' types are
// only known from the body, so the scopes are checked per entry here rather
// than by the fhir wrapper.
func (s *Server) bundle(c *gin.Context) {
	k := &call{s: s, c: c, ctx: c.Request.Context(), interaction: "batch", action: "E", typ: "Bundle"}
	start := time.Now()
	resp := k.runBundle()
	s.finish(k, resp, start)
}

func (k *call) runBundle() response {
	if resp, ok := k.authenticate(); !ok {
		return resp
	}
	doc, err := k.readResource()
	if err != nil {
		return errResponse(err)
	}
	if rt := fhirjson.ResourceType(doc); rt != "Bundle" {
		return errResponse(fhirerr.At(fhirerr.Invalid, "resourceType", "POST to the base takes a Bundle, not %q", rt))
	}
	kind, _ := doc["type"].(string)
	switch kind {
	case "transaction":
		k.interaction = "transaction"
	case "batch":
	default:
		return errResponse(fhirerr.At(fhirerr.Invalid, "Bundle.type", "POST to the base takes a transaction or batch Bundle, not %q", kind))
	}
	list, ok := doc["entry"].([]any)
	if _, present := doc["entry"]; present && !ok {
		return errResponse(fhirerr.At(fhirerr.Invalid, "Bundle.entry", "Bundle.entry must be an array"))
	}
	if max := k.s.cfg.MaxBundleEntries; len(list) > max {
		return errResponse(fhirerr.New(fhirerr.TooLarge, "the Bundle has %d entries; at most %d are accepted", len(list), max))
	}
	entries := make([]*engine.Entry, len(list))
	parseErrs := make([]error, len(list))
	for i, raw := range list {
		entries[i], parseErrs[i] = parseEntry(raw)
	}
	if kind == "batch" {
		return k.batch(entries, parseErrs)
	}
	return k.transaction(entries, parseErrs)
}

// parseEntry reads one Bundle.entry. The entry comes back even on error,
// as far as it could be read, so that the audit record can name it.
func parseEntry(raw any) (*engine.Entry, error) {
	m, _ := raw.(map[string]any)
	req, _ := m["request"].(map[string]any)
	if req == nil {
		return &engine.Entry{}, fhirerr.At(fhirerr.Invalid, "Bundle.entry.request", "every entry needs a request (method and url)")
	}
	method, _ := req["method"].(string)
	url, _ := req["url"].(string)
	en, err := engine.NewEntry(method, url)
	if err != nil {
		return &engine.Entry{Method: method, URL: url}, err
	}
	en.FullURL, _ = m["fullUrl"].(string)
	en.Resource, _ = m["resource"].(map[string]any)
	en.IfNoneExist, _ = req["ifNoneExist"].(string)
	if im, _ := req["ifMatch"].(string); im != "" {
		if en.IfMatch, err = engine.ParseETag(im); err != nil {
			return en, err
		}
	}
	return en, nil
}

// transaction runs every entry in one storage unit: all or nothing. Its
// audit records, committed with it, are one for the transaction and, when
// it succeeded, one per entry; a failed transaction claims no write.
func (k *call) transaction(entries []*engine.Entry, parseErrs []error) response {
	for i, en := range entries {
		err := parseErrs[i]
		if err == nil {
			err = k.entryAllowed(en)
		}
		if err != nil {
			return errResponse(entryFailure(&engine.EntryError{Index: i, Entry: en, Err: err}))
		}
	}
	plan, err := k.s.eng.Plan(k.ctx, entries, k.planOptions())
	if err != nil {
		return errResponse(entryFailure(err))
	}
	k.recorded = true
	var unitErr error
	err = k.s.rec.Do(audit.WithWeight(k.ctx, len(entries)), plan.Unit, func(uerr error) []audit.Event {
		unitErr = uerr
		if uerr != nil {
			fe := entryFailure(uerr)
			return k.events(statusOf(fe), fe)
		}
		events := k.events(http.StatusOK, nil)
		for i, en := range entries {
			events = append(events, k.entryEvents(en, &plan.Results[i], nil)...)
		}
		return events
	})
	if err != nil {
		return errResponse(k.commitFailure(err, unitErr))
	}
	results := make([]*engine.EntryResult, len(entries))
	for i := range plan.Results {
		results[i] = &plan.Results[i]
	}
	return response{status: http.StatusOK, body: k.responseBundle("transaction-response", entries, results, make([]error, len(entries)))}
}

// batch runs each entry on its own, concurrently, so that they share group
// commits; one entry's failure does not affect the others.
func (k *call) batch(entries []*engine.Entry, parseErrs []error) response {
	results := make([]*engine.EntryResult, len(entries))
	errs := make([]error, len(entries))
	sem := make(chan struct{}, batchParallelism)
	var wg sync.WaitGroup
	for i := range entries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i], errs[i] = k.batchEntry(entries[i], parseErrs[i])
		}()
	}
	wg.Wait()
	return response{status: http.StatusOK, body: k.responseBundle("batch-response", entries, results, errs)}
}

// batchEntry runs one entry of a batch with its own audit record.
func (k *call) batchEntry(en *engine.Entry, parseErr error) (*engine.EntryResult, error) {
	err := parseErr
	if err == nil {
		err = k.entryAllowed(en)
	}
	var plan *engine.Plan
	if err == nil {
		plan, err = k.s.eng.Plan(k.ctx, []*engine.Entry{en}, k.planOptions())
	}
	if err != nil {
		if rerr := k.s.rec.Record(k.ctx, k.entryEvents(en, nil, fhirerr.As(err))...); rerr != nil {
			return nil, k.commitFailure(rerr, nil)
		}
		return nil, err
	}
	return k.commitPlan(en, plan)
}

// commitPlan commits a one-entry plan with the entry's audit record.
func (k *call) commitPlan(en *engine.Entry, plan *engine.Plan) (*engine.EntryResult, error) {
	var unitErr error
	err := k.s.rec.Do(k.ctx, plan.Unit, func(uerr error) []audit.Event {
		unitErr = uerr
		if uerr != nil {
			return k.entryEvents(en, nil, fhirerr.As(uerr))
		}
		return k.entryEvents(en, &plan.Results[0], nil)
	})
	if err != nil {
		return nil, k.commitFailure(err, unitErr)
	}
	return &plan.Results[0], nil
}

// commitFailure turns Recorder.Do's error into the client's: the unit's own
// error, or 503 when the commit (and so the audit record) failed.
func (k *call) commitFailure(err, unitErr error) error {
	if errors.Is(err, audit.ErrUnavailable) {
		k.s.log.Error("commit failed", "request_id", requestIDOf(k.c), "err", err)
		return fhirerr.Wrap(fhirerr.Unavailable, err, "storage or audit trail unavailable; nothing was written")
	}
	if unitErr != nil {
		return unitErr
	}
	return err
}

// entryFailure is a failed entry's OperationOutcome, each issue naming the
// entry so that the client knows which one to fix.
func entryFailure(err error) *fhirerr.Error {
	fe := fhirerr.As(err)
	var ee *engine.EntryError
	if !errors.As(err, &ee) || fe.Kind == fhirerr.Internal {
		return fe
	}
	prefix := fmt.Sprintf("Bundle.entry[%d]: ", ee.Index)
	if ee.Entry.Method != "" {
		prefix = fmt.Sprintf("Bundle.entry[%d] (%s %s): ", ee.Index, ee.Entry.Method, ee.Entry.URL)
	}
	out := &fhirerr.Error{Kind: fe.Kind, Err: fe.Err}
	for _, is := range fe.Issues {
		is.Diagnostics = prefix + is.Diagnostics
		out.Issues = append(out.Issues, is)
	}
	return out
}

// entryEvents are the audit records of one entry (BALP: one per entry of a
// batch or transaction), one per patient concerned. r is nil on failure.
func (k *call) entryEvents(en *engine.Entry, r *engine.EntryResult, fe *fhirerr.Error) []audit.Event {
	interaction := en.Interaction()
	if en.Method == "" {
		interaction = k.interaction // unreadable entry: say what it was part of
	}
	status := http.StatusOK
	if r != nil {
		interaction, status = r.Interaction, r.Status
	}
	if fe != nil {
		status = statusOf(fe)
	}
	ev := audit.Event{
		Interaction: interaction,
		Action:      audit.ActionFor(interaction),
		Outcome:     outcomeCode(status),
		Agent:       k.agent(),
		Type:        en.Type,
		RequestID:   requestIDOf(k.c),
		Recorded:    time.Now().UTC(),
	}
	if fe != nil {
		ev.OutcomeDesc = outcomeDesc(fe)
	}
	switch {
	case r != nil && r.Resource != nil:
		ev.Entities = []string{versionedRef(r.Resource.Type, r.Resource.ID, r.Resource.VersionID)}
	case en.ID != "":
		ev.Entities = []string{en.Type + "/" + en.ID}
	}
	if q := entryQuery(en); q != "" {
		ev.Query = []byte(q)
	}
	if r == nil || len(r.Patients) == 0 {
		return []audit.Event{ev}
	}
	out := make([]audit.Event, 0, len(r.Patients))
	for _, p := range r.Patients {
		e := ev
		e.Patient = p
		out = append(out, e)
	}
	return out
}

// entryQuery is the search an entry ran, for the audit trail: its criteria
// or its query, as Type?query.
func entryQuery(en *engine.Entry) string {
	switch {
	case en.IfNoneExist != "":
		return en.Type + "?" + en.IfNoneExist
	case en.Conditional(), en.Method == "GET" && en.ID == "" && en.Type != "":
		return en.Type + "?" + en.Query
	}
	return ""
}

// responseBundle answers a batch or transaction, one entry per request
// entry, in the same order.
func (k *call) responseBundle(kind string, entries []*engine.Entry, results []*engine.EntryResult, errs []error) []byte {
	base := k.s.baseURL(k.c.Request)
	prefer := preferReturn(k.c.Request)
	b := &bundle{ResourceType: "Bundle", ID: engine.NewID(), Type: kind, Timestamp: engine.FormatInstant(time.Now())}
	for i, en := range entries {
		if errs[i] != nil {
			fe := fhirerr.As(errs[i])
			b.Entry = append(b.Entry, bundleEntry{Response: &entryResponse{Status: statusLine(statusOf(fe)), Outcome: operationOutcome(fe)}})
			continue
		}
		b.Entry = append(b.Entry, responseEntry(base, prefer, en, results[i]))
	}
	return encodeBundle(b)
}

// responseEntry is one entry of a response Bundle. Prefer: return= applies
// to creates and updates, as it does to the direct interactions.
func responseEntry(base, prefer string, en *engine.Entry, r *engine.EntryResult) bundleEntry {
	e := bundleEntry{Response: &entryResponse{Status: statusLine(r.Status)}}
	if r.Interaction == "search-type" {
		e.Resource = searchsetOf(base, r)
		return e
	}
	res := r.Resource
	if res == nil {
		return e
	}
	e.Response.Etag = etag(res.VersionID)
	e.Response.LastModified = engine.FormatInstant(res.LastUpdated)
	if res.Deleted {
		return e
	}
	e.FullURL = base + "/" + res.Type + "/" + res.ID
	writes := en.Method == "POST" || en.Method == "PUT"
	if writes {
		e.Response.Location = versionedRef(res.Type, res.ID, res.VersionID)
	}
	switch {
	case en.Method == "HEAD":
	case writes && prefer == "minimal":
	case writes && prefer == "OperationOutcome":
		e.Response.Outcome = informational("stored "+res.Type+"/"+res.ID, r.Warnings)
		return e
	default:
		e.Resource = res.Body
	}
	if len(r.Warnings) > 0 {
		e.Response.Outcome = informational("", r.Warnings)
	}
	return e
}

// searchsetOf is the searchset Bundle a search entry answers with.
func searchsetOf(base string, r *engine.EntryResult) []byte {
	b := &bundle{ResourceType: "Bundle", ID: engine.NewID(), Type: "searchset"}
	if r.Total >= 0 {
		t := r.Total
		b.Total = &t
	}
	for _, m := range r.Matches {
		b.Entry = append(b.Entry, bundleEntry{FullURL: base + "/" + m.Type + "/" + m.ID, Resource: m.Body, Search: &entrySearch{Mode: "match"}})
	}
	return encodeBundle(b)
}

func statusLine(code int) string {
	return fmt.Sprintf("%d %s", code, http.StatusText(code))
}
