package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// fate is what became of one item.
type fate int

const (
	pending     fate = iota
	created          // 201
	updated          // 200 to an update: a new version
	unchanged        // already stored identically, or a conditional create that matched
	failed           // refused by the server, or unreadable
	interrupted      // the import stopped before the answer came: it may or may not be stored
)

type outcome struct {
	fate   fate
	status int
	msg    string
}

// process sends one batch and accounts for it. The "begin" record reaches
// the disk before the first byte is sent; "done" is written once every
// item has a definite answer, so that a resume knows which batches to
// compare before writing.
func (r *run) process(ctx context.Context, b *batch) {
	res := make([]outcome, len(b.items))
	var idx []int
	for i := range b.items {
		if err := b.items[i].bad; err != nil {
			res[i] = outcome{fate: failed, msg: err.Error()}
			continue
		}
		idx = append(idx, i)
	}
	if r.journal != nil {
		rec := &record{Event: "begin", File: b.src.path, SHA256: b.src.digest, From: b.span.From, To: b.span.To}
		if err := r.journal.append(rec, true); err != nil {
			r.stop(err)
			idx = nil
			for i := range res {
				res[i] = outcome{fate: interrupted}
			}
		}
	}
	if len(idx) > 0 {
		r.send(ctx, b, idx, res)
	}
	r.account(b, res)
}

// send delivers the items idx of b, retrying what may be retried, until
// each has an outcome.
func (r *run) send(ctx context.Context, b *batch, idx []int, res []outcome) {
	refreshed := false
	settle := func(f fate, status int, msg string) {
		for _, i := range idx {
			res[i] = outcome{f, status, msg}
		}
	}
	// giveUp stops the whole import when retries run out: a server that is
	// down or overloaded fails every other batch too. The batch stays begun
	// in the journal, so the resume compares it before writing.
	giveUp := func(why string) {
		r.stop(fmt.Errorf("giving up after %d attempts: %s; run again to resume", r.retry.attempts, why))
		settle(interrupted, 0, "")
	}
	for attempt := 0; ; attempt++ {
		if ctx.Err() != nil {
			settle(interrupted, 0, "")
			return
		}
		if idx = r.dropStored(ctx, b, idx, res); len(idx) == 0 {
			return
		}
		rep, err := r.c.do(ctx, http.MethodPost, "", fhirJSON, r.bundleBody(b, idx))
		var wait error
		switch {
		case err != nil && ctx.Err() != nil:
			settle(interrupted, 0, "")
			return
		case err != nil:
			// The request may have been served before the connection broke.
			r.markUncertain(b, idx)
			if attempt+1 >= r.retry.attempts {
				giveUp(err.Error())
				return
			}
			wait = r.retry.wait(ctx, attempt, 0)
		case rep.status == http.StatusOK:
			again, after := r.entryOutcomes(b, idx, rep, res)
			if idx = again; len(idx) == 0 {
				return
			}
			if attempt+1 >= r.retry.attempts {
				giveUp("entries still refused as unavailable")
				return
			}
			wait = r.retry.wait(ctx, attempt, after)
		case rep.status == http.StatusRequestEntityTooLarge && !b.transaction && len(idx) > 1:
			// Halve until the server takes it; each half gets its own retries.
			half := len(idx) / 2
			r.send(ctx, b, idx[:half], res)
			r.send(ctx, b, idx[half:], res)
			return
		case transient(rep.status):
			if rep.status != http.StatusTooManyRequests {
				r.markUncertain(b, idx) // a 503 after the commit started is possible
			}
			if attempt+1 >= r.retry.attempts {
				giveUp(fmt.Sprintf("%d %s", rep.status, outcomeSummary(rep.body)))
				return
			}
			wait = r.retry.wait(ctx, attempt, rep.retryAfter)
		case rep.status == http.StatusUnauthorized && !refreshed && r.c.tokens.Refresh():
			refreshed = true
		case rep.status == http.StatusUnauthorized || rep.status == http.StatusForbidden:
			r.stop(fmt.Errorf("the server refused the token (%d): %s", rep.status, outcomeSummary(rep.body)))
			settle(interrupted, 0, "")
			return
		case rep.status == http.StatusRequestEntityTooLarge:
			settle(failed, rep.status, outcomeSummary(rep.body)+" (raise the server's EHR_MAX_BODY_BYTES, or import the resources as NDJSON)")
			return
		default:
			settle(failed, rep.status, outcomeSummary(rep.body))
			return
		}
		if wait != nil {
			settle(interrupted, 0, "")
			return
		}
	}
}

// markUncertain flags items the server may have stored, so that the next
// attempt compares before writing again.
func (r *run) markUncertain(b *batch, idx []int) {
	for _, i := range idx {
		b.items[i].uncertain = true
	}
}

// bundleBody builds the request: a batch Bundle (or the transaction), each
// resource copied byte for byte from the input.
func (r *run) bundleBody(b *batch, idx []int) []byte {
	var buf bytes.Buffer
	kind := "batch"
	if b.transaction {
		kind = "transaction"
	}
	buf.WriteString(`{"resourceType":"Bundle","type":"` + kind + `","entry":[`)
	for k, i := range idx {
		it := &b.items[i]
		if k > 0 {
			buf.WriteByte(',')
		}
		buf.WriteByte('{')
		if it.fullURL != "" {
			u, _ := json.Marshal(it.fullURL)
			buf.WriteString(`"fullUrl":`)
			buf.Write(u)
			buf.WriteByte(',')
		}
		if len(it.body) > 0 {
			buf.WriteString(`"resource":`)
			buf.Write(it.body)
			buf.WriteByte(',')
		}
		req, _ := json.Marshal(it.req) // plain strings: cannot fail
		buf.WriteString(`"request":`)
		buf.Write(req)
		buf.WriteByte('}')
	}
	buf.WriteString("]}")
	return buf.Bytes()
}

// entryOutcomes reads a batch-response or transaction-response. It returns
// the items to try again (a throttled or unavailable entry) and how long
// the server asked to wait.
func (r *run) entryOutcomes(b *batch, idx []int, rep *reply, res []outcome) ([]int, time.Duration) {
	var resp struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Response struct {
				Status  string          `json:"status"`
				Outcome json.RawMessage `json:"outcome"`
			} `json:"response"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(rep.body, &resp); err != nil || resp.ResourceType != "Bundle" || len(resp.Entry) != len(idx) {
		msg := fmt.Sprintf("unexpected answer to a Bundle of %d entries", len(idx))
		for _, i := range idx {
			res[i] = outcome{failed, rep.status, msg}
		}
		return nil, 0
	}
	var again []int
	for k, i := range idx {
		e := resp.Entry[k].Response
		code := statusCode(e.Status)
		it := &b.items[i]
		switch {
		case code == http.StatusCreated:
			res[i] = outcome{fate: created, status: code}
		case code >= 200 && code < 300 && it.req.Method == http.MethodPost:
			res[i] = outcome{fate: unchanged, status: code} // the conditional create found it
		case code >= 200 && code < 300:
			res[i] = outcome{fate: updated, status: code}
		case transient(code):
			if code != http.StatusTooManyRequests {
				it.uncertain = true
			}
			again = append(again, i)
		default:
			msg := outcomeSummary(e.Outcome)
			if msg == "" {
				msg = e.Status
			}
			res[i] = outcome{failed, code, msg}
		}
	}
	return again, rep.retryAfter
}

// statusCode reads "201 Created" as 201.
func statusCode(s string) int {
	f, _, _ := strings.Cut(strings.TrimSpace(s), " ")
	n, err := strconv.Atoi(f)
	if err != nil {
		return 0
	}
	return n
}

// account adds a batch's outcomes to the result and journals it as done,
// unless some item was interrupted.
func (r *run) account(b *batch, res []outcome) {
	var failedItems []int
	settled, handled := true, 0
	r.count(func(x *Result) {
		for i := range b.items {
			it, o := &b.items[i], res[i]
			if o.fate == interrupted {
				settled = false
				continue
			}
			handled++
			if !it.idempotent() && it.bad == nil {
				x.NotIdempotent++
			}
			switch o.fate {
			case created:
				x.Created++
			case updated:
				x.Updated++
			case unchanged:
				x.Unchanged++
			case failed:
				x.Failed++
				failedItems = append(failedItems, it.n)
				if len(x.Failures) < maxFailures {
					x.Failures = append(x.Failures, Failure{File: b.src.path, Item: it.n + 1, Ref: it.ref(), Status: o.status, Message: o.msg})
				}
			}
		}
	}, 0)
	if r.opts.Progress != nil && handled > 0 {
		r.opts.Progress.Add(handled)
	}
	if r.journal == nil || !settled {
		return // a resume compares these items before writing them
	}
	rec := &record{Event: "done", File: b.src.path, SHA256: b.src.digest, From: b.span.From, To: b.span.To, Failed: failedItems}
	if err := r.journal.append(rec, false); err != nil {
		r.stop(err)
	}
}
