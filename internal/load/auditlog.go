package load

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// logAppender appends AuditEvent rows and their log records (sequence
// number, leaf hash, Merkle tree hashes) as the recorder does, so that
// ceiling b writes the audit log's rows too. Hashes it appended stay in
// memory; older ones are read from the store.
type logAppender struct {
	st     store.Store
	size   int64       // records in the log
	base   int64       // storage index of mem[0]
	mem    []tlog.Hash // stored hashes from base on
	events int64
}

func newLogAppender(ctx context.Context, st store.Store) (*logAppender, error) {
	n, err := st.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit log size: %w", err)
	}
	return &logAppender{st: st, size: n, base: tlog.StoredHashIndex(0, n)}, nil
}

// ReadHashes implements tlog.HashReader.
func (l *logAppender) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var old []int64
	for i, x := range indexes {
		if x >= l.base {
			out[i] = l.mem[x-l.base]
			continue
		}
		old = append(old, x)
	}
	if len(old) == 0 {
		return out, nil
	}
	raw, err := l.st.LogHashes(context.Background(), old)
	if err != nil {
		return nil, fmt.Errorf("read stored tree hashes: %w", err)
	}
	k := 0
	for i, x := range indexes {
		if x < l.base {
			copy(out[i][:], raw[k])
			k++
		}
	}
	return out, nil
}

// append stores the rows and their log records in tx. On a failed commit
// the appender is out of step with the store and must not be used again.
func (l *logAppender) append(tx store.Tx, rows []store.Write) error {
	entries := make([]store.LogEntry, 0, len(rows))
	var hashes []store.LogHash
	for _, w := range rows {
		if err := tx.Put(w); err != nil {
			return fmt.Errorf("store AuditEvent: %w", err)
		}
		leaf := tlog.RecordHash(w.Resource.Body)
		stored, err := tlog.StoredHashesForRecordHash(l.size, leaf, l)
		if err != nil {
			return fmt.Errorf("tree hashes of record %d: %w", l.size, err)
		}
		first := tlog.StoredHashIndex(0, l.size)
		for i, h := range stored {
			hashes = append(hashes, store.LogHash{Index: first + int64(i), Hash: append([]byte(nil), h[:]...)})
		}
		l.mem = append(l.mem, stored...)
		entries = append(entries, store.LogEntry{Seq: l.size, ResourceID: w.Resource.ID, Hash: append([]byte(nil), leaf[:]...)})
		l.size++
	}
	l.events += int64(len(rows))
	if err := tx.AppendLog(entries, hashes); err != nil {
		return fmt.Errorf("append audit log: %w", err)
	}
	return nil
}
