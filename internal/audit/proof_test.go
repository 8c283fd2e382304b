package audit

import (
	"context"
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestProofs checks proofs the way a client does: against the roots of
// signed checkpoints, with tlog's checkers.
func TestProofs(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	r := startRecorder(t, st, Options{})
	signer, verifier := testKeys(t)

	record(t, r, 37)
	cp37, err := Checkpoint(ctx, st, signer)
	if err != nil {
		t.Fatal(err)
	}
	record(t, r, 63)
	cp100, err := Checkpoint(ctx, st, signer)
	if err != nil {
		t.Fatal(err)
	}
	old, cur := openTree(t, cp37, verifier), openTree(t, cp100, verifier)
	if old.Size != 37 || cur.Size != 100 {
		t.Fatalf("checkpoint sizes %d, %d; want 37, 100", old.Size, cur.Size)
	}
	roots := map[int64]tlog.Hash{37: old.Root, 100: cur.Root}

	inclusion := []struct{ index, size int64 }{{0, 37}, {36, 37}, {0, 100}, {36, 100}, {37, 100}, {64, 100}, {99, 100}}
	for _, tt := range inclusion {
		p, err := InclusionProof(ctx, st, tt.index, tt.size)
		if err != nil {
			t.Fatalf("InclusionProof(%d, %d): %v", tt.index, tt.size, err)
		}
		if err := tlog.CheckRecord(p, tt.size, roots[tt.size], tt.index, leafOf(t, st, tt.index)); err != nil {
			t.Errorf("CheckRecord(%d in %d): %v", tt.index, tt.size, err)
		}
		if err := tlog.CheckRecord(p, tt.size, roots[tt.size], tt.index, tlog.RecordHash([]byte("forged"))); err == nil {
			t.Errorf("CheckRecord(%d in %d) accepted a forged record", tt.index, tt.size)
		}
	}

	p, err := ConsistencyProof(ctx, st, 37, 100)
	if err != nil {
		t.Fatalf("ConsistencyProof: %v", err)
	}
	if err := tlog.CheckTree(p, 100, cur.Root, 37, old.Root); err != nil {
		t.Errorf("CheckTree(37 → 100): %v", err)
	}
	if err := tlog.CheckTree(p, 100, cur.Root, 37, tlog.RecordHash([]byte("other history"))); err == nil {
		t.Error("CheckTree accepted another history")
	}
}

func TestProofsOutOfRange(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	record(t, startRecorder(t, st, Options{}), 10)
	tests := []struct {
		name string
		call func() error
	}{
		{"index at size", func() error { _, err := InclusionProof(ctx, st, 10, 10); return err }},
		{"negative index", func() error { _, err := InclusionProof(ctx, st, -1, 10); return err }},
		{"size beyond the log", func() error { _, err := InclusionProof(ctx, st, 0, 11); return err }},
		{"old size zero", func() error { _, err := ConsistencyProof(ctx, st, 0, 10); return err }},
		{"old after new", func() error { _, err := ConsistencyProof(ctx, st, 8, 5); return err }},
		{"new beyond the log", func() error { _, err := ConsistencyProof(ctx, st, 5, 11); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, ErrOutOfRange) {
				t.Fatalf("err = %v, want ErrOutOfRange", err)
			}
		})
	}
}
