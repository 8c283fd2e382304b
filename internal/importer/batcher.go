package importer

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// batch is a Bundle's worth of items of one file, covering the items
// numbered span (some of which may have been skipped as already done).
type batch struct {
	src         *source
	span        span
	transaction bool
	items       []item
}

// entryOverhead is what an entry adds to the request body besides its
// resource: the request element and punctuation.
const entryOverhead = 96

// chunker cuts a file's items into batches of at most size entries and
// maxBytes of body.
type chunker struct {
	src            *source
	size, maxBytes int
	emit           func(*batch) error
	cur            *batch
	bytes          int
}

func newChunker(src *source, size, maxBytes int, emit func(*batch) error) *chunker {
	return &chunker{src: src, size: size, maxBytes: maxBytes, emit: emit, cur: &batch{src: src}}
}

// add appends it, first sending the current batch if it is full.
func (c *chunker) add(it item) error {
	n := len(it.body) + len(it.fullURL) + entryOverhead
	if len(c.cur.items) > 0 && (len(c.cur.items) >= c.size || c.bytes+n > c.maxBytes) {
		if err := c.flush(it.n); err != nil {
			return err
		}
	}
	c.cur.items = append(c.cur.items, it)
	c.bytes += n
	return nil
}

// flush sends the current batch as covering items up to (not including) to.
func (c *chunker) flush(to int) error {
	b := c.cur
	b.span.To = to
	c.cur, c.bytes = &batch{src: c.src, span: span{From: to}}, 0
	if len(b.items) == 0 {
		return nil
	}
	return c.emit(b)
}

// dispatcher reads files into batches, skipping what the journal says an
// earlier run stored.
type dispatcher struct {
	size, maxBytes int
	journal        *journal // nil: no state file
	emit           func(*batch) error
	skipped        func(n int)     // items already done
	resized        func(delta int) // a Bundle file had more or fewer entries than estimated
}

func (d *dispatcher) fileState(digest string) *fileState {
	if d.journal == nil {
		return nil
	}
	return d.journal.file(digest)
}

// ndjson streams an NDJSON file, one resource a line. Blank lines count in
// the numbering but carry nothing.
func (d *dispatcher) ndjson(ctx context.Context, src *source) error {
	f, err := os.Open(src.path)
	if err != nil {
		return fmt.Errorf("open %s: %w", src.path, err)
	}
	defer f.Close()
	fs := d.fileState(src.digest)
	c := newChunker(src, d.size, d.maxBytes, d.emit)
	r := bufio.NewReaderSize(f, 1<<20)
	n, end := 0, 0 // end: the number of lines read
	for ; ; n++ {
		if n%1024 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			end = n + 1
		}
		if raw := bytes.TrimSpace(line); len(raw) > 0 {
			if fs.isDone(n) {
				d.skipped(1)
			} else {
				it := resourceItem(n, raw)
				it.uncertain = fs.uncertain(n)
				if aerr := c.add(it); aerr != nil {
					return aerr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", src.path, err)
		}
	}
	return c.flush(end)
}

// bundleFile reads a .json file: a transaction (sent whole), a batch (cut
// into batches of the configured size), any other Bundle (its resources,
// like NDJSON lines), or a single resource.
func (d *dispatcher) bundleFile(src *source) error {
	raw, err := os.ReadFile(src.path)
	if err != nil {
		return fmt.Errorf("read %s: %w", src.path, err)
	}
	sum := sha256.Sum256(raw)
	src.digest = hex.EncodeToString(sum[:])
	fs := d.fileState(src.digest)

	items, transaction := fileItems(raw)
	d.resized(len(items) - src.items)
	src.items = len(items)

	var pending []item
	for _, it := range items {
		if fs.isDone(it.n) {
			d.skipped(1)
			continue
		}
		it.uncertain = fs.uncertain(it.n)
		pending = append(pending, it)
	}
	if len(pending) == 0 {
		return nil
	}
	if transaction {
		// All or nothing: the whole Bundle goes again, less what the
		// server already holds identically (decided when it is sent).
		for i := range items {
			items[i].uncertain = fs.uncertain(items[i].n) || fs.isDone(items[i].n)
		}
		return d.emit(&batch{src: src, span: span{0, len(items)}, transaction: true, items: items})
	}
	c := newChunker(src, d.size, d.maxBytes, d.emit)
	for _, it := range pending {
		if err := c.add(it); err != nil {
			return err
		}
	}
	return c.flush(len(items))
}

// fileItems parses a .json file into items. An unreadable file is one bad
// item, so that it is reported and recorded like any failure.
func fileItems(raw []byte) (items []item, transaction bool) {
	var b struct {
		ResourceType string     `json:"resourceType"`
		Type         string     `json:"type"`
		Entry        []rawEntry `json:"entry"`
	}
	if err := json.Unmarshal(raw, &b); err != nil {
		return []item{{bad: fmt.Errorf("not a JSON Bundle or resource: %w", err)}}, false
	}
	if b.ResourceType != "Bundle" {
		return []item{resourceItem(0, bytes.TrimSpace(raw))}, false
	}
	for i := range b.Entry {
		switch b.Type {
		case "transaction", "batch":
			items = append(items, bundleEntry(i, &b.Entry[i]))
		default: // collection, searchset…: the resources, without their requests
			it := item{n: i, bad: errors.New("entry without a resource")}
			if len(b.Entry[i].Resource) > 0 {
				it = resourceItem(i, b.Entry[i].Resource)
			}
			items = append(items, it)
		}
	}
	return items, b.Type == "transaction"
}
