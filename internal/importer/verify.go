package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// An update (PUT Type/id) of a resource makes a new version even when
// nothing changed. Where an earlier attempt may have stored an item (a
// batch begun but not answered, a connection that broke, a 503), the
// importer first reads what the server holds and leaves out the items
// already stored identically: a retry or a resume then adds no version.

// verifyChunk is how many ids one search asks for.
const verifyChunk = 100

// dropStored returns idx less the items the server already holds as they
// are. Items are compared when they are uncertain, or always with
// SkipUnchanged. When the comparison cannot be made, the items are sent:
// at worst that adds one identical version.
func (r *run) dropStored(ctx context.Context, b *batch, idx []int, res []outcome) []int {
	var check []int
	for _, i := range idx {
		it := &b.items[i]
		// In a transaction, an entry other entries refer to by its fullUrl
		// must stay, or their references would dangle.
		keyed := it.req.Method == http.MethodPut && it.id != "" && len(it.body) > 0 &&
			!(b.transaction && strings.HasPrefix(it.fullURL, "urn:"))
		if keyed && (it.uncertain || r.opts.SkipUnchanged) {
			check = append(check, i)
		}
	}
	if len(check) == 0 || r.verifyRefused.Load() {
		return idx
	}
	stored, err := r.storedCopies(ctx, b, check)
	if err != nil {
		return idx
	}
	same := map[int]bool{}
	for _, i := range check {
		it := &b.items[i]
		if have, ok := stored[it.typ+"/"+it.id]; ok && sameContent(have, it.body) {
			same[i] = true
			res[i] = outcome{fate: unchanged, status: http.StatusOK}
		}
	}
	var rest []int
	for _, i := range idx {
		if !same[i] {
			rest = append(rest, i)
		}
	}
	return rest
}

// storedCopies fetches the current versions of the items by searching on
// _id, a type at a time, verifyChunk ids per search.
func (r *run) storedCopies(ctx context.Context, b *batch, idx []int) (map[string]json.RawMessage, error) {
	var types []string
	ids := map[string][]string{}
	for _, i := range idx {
		it := &b.items[i]
		if ids[it.typ] == nil {
			types = append(types, it.typ)
		}
		ids[it.typ] = append(ids[it.typ], it.id)
	}
	out := map[string]json.RawMessage{}
	for _, typ := range types {
		list := ids[typ]
		for len(list) > 0 {
			n := min(verifyChunk, len(list))
			form := url.Values{"_id": {strings.Join(list[:n], ",")}, "_count": {strconv.Itoa(n)}}
			if err := r.search(ctx, typ+"/_search", []byte(form.Encode()), out); err != nil {
				return nil, err
			}
			list = list[n:]
		}
	}
	return out, nil
}

// search runs one search, following its next links, into out. Reads are
// safe to retry.
func (r *run) search(ctx context.Context, path string, form []byte, out map[string]json.RawMessage) error {
	method, body := http.MethodPost, form
	for attempt := 0; path != ""; {
		rep, err := r.c.do(ctx, method, path, "application/x-www-form-urlencoded", body)
		switch {
		case err != nil && ctx.Err() != nil:
			return ctx.Err()
		case err != nil || transient(rep.status):
			if attempt++; attempt >= r.retry.attempts {
				return fmt.Errorf("search %s: giving up after %d attempts", path, attempt)
			}
			var after time.Duration
			if rep != nil {
				after = rep.retryAfter
			}
			if err := r.retry.wait(ctx, attempt, after); err != nil {
				return err
			}
			continue
		case rep.status == http.StatusForbidden || rep.status == http.StatusUnauthorized:
			r.verifyRefused.Store(true) // no search scope: send without comparing
			return fmt.Errorf("search %s: %d", path, rep.status)
		case rep.status != http.StatusOK:
			return fmt.Errorf("search %s: %d %s", path, rep.status, outcomeSummary(rep.body))
		}
		var page struct {
			Entry []struct {
				Resource json.RawMessage `json:"resource"`
			} `json:"entry"`
			Link []struct {
				Relation string `json:"relation"`
				URL      string `json:"url"`
			} `json:"link"`
		}
		if err := json.Unmarshal(rep.body, &page); err != nil {
			return fmt.Errorf("search %s: %w", path, err)
		}
		for _, e := range page.Entry {
			var h head
			if json.Unmarshal(e.Resource, &h) == nil && h.ID != "" {
				out[h.ResourceType+"/"+h.ID] = e.Resource
			}
		}
		path, method, body = "", http.MethodGet, nil
		for _, l := range page.Link {
			if l.Relation == "next" {
				path = l.URL
			}
		}
	}
	return nil
}

// sameContent compares a stored resource with the input, leaving out what
// the server sets itself (meta.versionId, meta.lastUpdated). Numbers are
// compared by value, so 98.60 and 98.6 are the same.
func sameContent(stored, input []byte) bool {
	var a, b map[string]any
	if json.Unmarshal(stored, &a) != nil || json.Unmarshal(input, &b) != nil {
		return false
	}
	stripServerMeta(a)
	stripServerMeta(b)
	return reflect.DeepEqual(a, b)
}

func stripServerMeta(doc map[string]any) {
	meta, _ := doc["meta"].(map[string]any)
	if meta == nil {
		return
	}
	delete(meta, "versionId")
	delete(meta, "lastUpdated")
	if len(meta) == 0 {
		delete(doc, "meta")
	}
}
