package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// The state file makes an import resumable. It is a journal, one JSON
// record a line, only ever appended to:
//
//	{"event":"open","server":"http://…/fhir","time":"…"}
//	{"event":"begin","file":"seed/Observation.ndjson","sha256":"…","from":0,"to":200}
//	{"event":"done","file":"seed/Observation.ndjson","sha256":"…","from":0,"to":200,"failed":[17]}
//
// Items are the lines of an NDJSON file or the entries of a Bundle,
// numbered from 0; a record covers [from, to). Files are known by the
// SHA-256 of their content, so a renamed file is still recognised and an
// edited one starts afresh. A "begin" reaches the disk before its batch is
// sent; a "done" follows its answer. On resume, done items are skipped
// (except the failed ones, which are tried again), and begun-but-not-done
// items, whose batch may or may not have reached the server, are compared
// with what the server holds before anything is written.

// record is one line of the state file.
type record struct {
	Event  string `json:"event"` // open, begin or done
	Server string `json:"server,omitempty"`
	Time   string `json:"time,omitempty"`
	File   string `json:"file,omitempty"` // for people; the digest identifies the file
	SHA256 string `json:"sha256,omitempty"`
	From   int    `json:"from"`
	To     int    `json:"to"`
	Failed []int  `json:"failed,omitempty"`
}

// fileState is what the journal says about one file.
type fileState struct {
	done   spanSet      // answered, successfully or not
	begun  spanSet      // sent, perhaps
	failed map[int]bool // answered with an error: to be tried again
}

// isDone reports an item stored by an earlier run.
func (f *fileState) isDone(n int) bool {
	return f != nil && f.done.contains(n) && !f.failed[n]
}

// uncertain reports an item an earlier run may have sent without hearing back.
func (f *fileState) uncertain(n int) bool {
	return f != nil && f.begun.contains(n) && !f.done.contains(n)
}

func (f *fileState) apply(r *record) {
	s := span{r.From, r.To}
	switch r.Event {
	case "begin":
		f.begun.add(s)
	case "done":
		f.done.add(s)
		for n := range f.failed {
			if n >= s.From && n < s.To {
				delete(f.failed, n)
			}
		}
		for _, n := range r.Failed {
			f.failed[n] = true
		}
	}
}

// journal is an open state file.
type journal struct {
	path  string
	files map[string]*fileState // by SHA-256

	mu      sync.Mutex // guards f writes and written
	f       *os.File
	written int64 // records appended

	syncMu sync.Mutex // one fsync at a time; later callers ride on it
	synced int64
}

// openJournal reads the state file at path (creating it if needed) and
// appends an "open" record for server. A journal of another server is
// refused: its records say nothing about this one.
func openJournal(path, server string) (*journal, error) {
	j := &journal{path: path, files: map[string]*fileState{}}
	if err := j.load(server); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open state file: %w", err)
	}
	j.f = f
	if err := j.append(&record{Event: "open", Server: server, Time: time.Now().UTC().Format(time.RFC3339)}, true); err != nil {
		f.Close()
		return nil, err
	}
	return j, nil
}

func (j *journal) load(server string) error {
	raw, err := os.ReadFile(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state file: %w", err)
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		// A crash in the middle of an append leaves a torn last line; the
		// batch it described is then simply not known to be begun or done.
		// The next append must start on a line of its own.
		if i := bytes.LastIndexByte(raw, '\n'); i >= 0 {
			raw = raw[:i+1]
		} else {
			raw = nil
		}
		if err := os.Truncate(j.path, int64(len(raw))); err != nil {
			return fmt.Errorf("repair state file: %w", err)
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(nil, 16<<20)
	for line := 1; sc.Scan(); line++ {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return fmt.Errorf("state file %s, line %d: %w", j.path, line, err)
		}
		if r.Event == "open" {
			if r.Server != server {
				return fmt.Errorf("state file %s records an import into %s, not %s; give another --state", j.path, r.Server, server)
			}
			continue
		}
		j.file(r.SHA256).apply(&r)
	}
	return sc.Err()
}

// file returns the state of the file with the digest, creating it.
func (j *journal) file(digest string) *fileState {
	f := j.files[digest]
	if f == nil {
		f = &fileState{failed: map[int]bool{}}
		j.files[digest] = f
	}
	return f
}

// append writes r as one line. With durable it returns once the line is on
// disk; concurrent callers share one fsync (group commit).
func (j *journal) append(r *record, durable bool) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode state record: %w", err)
	}
	line = append(line, '\n')
	j.mu.Lock()
	_, err = j.f.Write(line)
	j.written++
	mine := j.written
	j.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write state file: %w", err)
	}
	if !durable {
		return nil
	}
	return j.sync(mine)
}

// sync makes every record up to number upTo durable.
func (j *journal) sync(upTo int64) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= upTo {
		return nil // another caller's fsync covered it
	}
	j.mu.Lock()
	target := j.written
	j.mu.Unlock()
	if err := j.f.Sync(); err != nil {
		return fmt.Errorf("sync state file: %w", err)
	}
	j.synced = target
	return nil
}

// Close makes everything durable and closes the file.
func (j *journal) Close() error {
	j.mu.Lock()
	n := j.written
	j.mu.Unlock()
	return errors.Join(j.sync(n), j.f.Close())
}

var _ io.Closer = (*journal)(nil)
