package audit

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/clinic/ehr/internal/store"
)

// ErrBadCheckpoint reports a checkpoint that is malformed or not signed by
// the expected key.
var ErrBadCheckpoint = errors.New("bad audit checkpoint")

// Tree is the content of a checkpoint: the log named Origin had Size records
// and this Root hash.
type Tree struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Checkpoint signs the log as committed now. The note's text is
// "<origin>\n<size>\n<base64 root>\n", the origin being the signer's name.
func Checkpoint(ctx context.Context, st store.Store, signer note.Signer) ([]byte, error) {
	size, err := st.LogSize(ctx)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: read audit log size: %w", err)
	}
	root, err := tlog.TreeHash(size, storeHashes(ctx, st))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: tree hash at size %d: %w", size, err)
	}
	return signTree(Tree{Origin: signer.Name(), Size: size, Root: root}, signer)
}

func signTree(t Tree, signer note.Signer) ([]byte, error) {
	msg, err := note.Sign(&note.Note{Text: formatTree(t)}, signer)
	if err != nil {
		return nil, fmt.Errorf("sign audit checkpoint: %w", err)
	}
	return msg, nil
}

// OpenCheckpoint checks a checkpoint's signature against the verifier and
// returns the tree it names.
func OpenCheckpoint(msg []byte, verifier note.Verifier) (Tree, error) {
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		return Tree{}, fmt.Errorf("%w: %w", ErrBadCheckpoint, err)
	}
	t, err := parseTree(n.Text)
	if err != nil {
		return Tree{}, err
	}
	if t.Origin != verifier.Name() {
		return Tree{}, fmt.Errorf("%w: origin %q, key is for %q", ErrBadCheckpoint, t.Origin, verifier.Name())
	}
	return t, nil
}

func formatTree(t Tree) string {
	return fmt.Sprintf("%s\n%d\n%s\n", t.Origin, t.Size, base64.StdEncoding.EncodeToString(t.Root[:]))
}

func parseTree(text string) (Tree, error) {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return Tree{}, fmt.Errorf("%w: want 3 lines", ErrBadCheckpoint)
	}
	origin := strings.TrimSuffix(lines[0], "\n")
	size, err := strconv.ParseInt(strings.TrimSuffix(lines[1], "\n"), 10, 64)
	if err != nil || size < 0 {
		return Tree{}, fmt.Errorf("%w: bad size line", ErrBadCheckpoint)
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(lines[2], "\n"))
	if err != nil || len(raw) != tlog.HashSize {
		return Tree{}, fmt.Errorf("%w: bad root hash line", ErrBadCheckpoint)
	}
	return Tree{Origin: origin, Size: size, Root: tlog.Hash(raw)}, nil
}
