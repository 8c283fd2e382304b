package audit

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// head is the end of the log as last committed: its size and the frontier
// hashes that the next append and the current root need.
type head struct {
	size     int64
	frontier map[int64]tlog.Hash
}

// loadHead reads the log's size and frontier. It fails when the log cannot be
// read or its last entry does not sit where the size says, so that a server
// never starts appending to a log it cannot continue.
func loadHead(ctx context.Context, st store.Store) (head, error) {
	size, err := st.LogSize(ctx)
	if err != nil {
		return head{}, fmt.Errorf("read audit log size: %w", err)
	}
	if size > 0 {
		last, err := st.LogEntries(ctx, size-1, size)
		if err != nil {
			return head{}, fmt.Errorf("read last audit log entry: %w", err)
		}
		if len(last) != 1 || last[0].Seq != size-1 {
			return head{}, fmt.Errorf("audit log of size %d has no entry %d", size, size-1)
		}
	}
	idx := frontierIndexes(size)
	hashes, err := storeHashes(ctx, st).ReadHashes(idx)
	if err != nil {
		return head{}, fmt.Errorf("read audit log frontier: %w", err)
	}
	h := head{size: size, frontier: make(map[int64]tlog.Hash, len(idx))}
	for i, x := range hashes {
		h.frontier[idx[i]] = x
	}
	return h, nil
}

// root is the tree hash of the head.
func (h head) root() (tlog.Hash, error) {
	return tlog.TreeHash(h.size, newOverlay(h.frontier, nil))
}
