package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

func TestCheckpointText(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	signer, verifier := testKeys(t)

	empty, err := Checkpoint(ctx, st, signer)
	if err != nil {
		t.Fatal(err)
	}
	emptyRoot := sha256.Sum256(nil) // RFC 6962: the empty tree hashes the empty string
	want := testOrigin + "\n0\n" + base64.StdEncoding.EncodeToString(emptyRoot[:]) + "\n"
	if text, _, _ := strings.Cut(string(empty), "\n\n"); text+"\n" != want {
		t.Errorf("empty checkpoint text = %q, want %q", text+"\n", want)
	}

	record(t, startRecorder(t, st, Options{}), 3)
	cp, err := Checkpoint(ctx, st, signer)
	if err != nil {
		t.Fatal(err)
	}
	tree := openTree(t, cp, verifier)
	want = testOrigin + "\n3\n" + base64.StdEncoding.EncodeToString(tree.Root[:]) + "\n"
	if !bytes.HasPrefix(cp, []byte(want+"\n— "+testOrigin+" ")) {
		t.Errorf("checkpoint = %q, want text %q then its signature", cp, want)
	}
}

func TestOpenCheckpointRefuses(t *testing.T) {
	signer, verifier := testKeys(t)
	sign := func(text string) []byte {
		msg, err := note.Sign(&note.Note{Text: text}, signer)
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	_, otherVerifier := testKeys(t)
	good := sign(testOrigin + "\n5\n" + root + "\n")
	tests := []struct {
		name     string
		msg      []byte
		verifier note.Verifier
	}{
		{"another key", good, otherVerifier},
		{"altered text", bytes.Replace(good, []byte("\n5\n"), []byte("\n6\n"), 1), verifier},
		{"another origin", sign("other.example\n5\n" + root + "\n"), verifier},
		{"missing root", sign(testOrigin + "\n5\n"), verifier},
		{"bad size", sign(testOrigin + "\nfive\n" + root + "\n"), verifier},
		{"short root", sign(testOrigin + "\n5\nAAAA\n"), verifier},
		{"extra line", sign(testOrigin + "\n5\n" + root + "\nmore\n"), verifier},
	}
	if _, err := OpenCheckpoint(good, verifier); err != nil {
		t.Fatalf("the good checkpoint: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := OpenCheckpoint(tt.msg, tt.verifier); !errors.Is(err, ErrBadCheckpoint) {
				t.Fatalf("err = %v, want ErrBadCheckpoint", err)
			}
		})
	}
}

func TestLoadOrCreateSigner(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "audit.key")
	s1, v1, err := LoadOrCreateSigner(path, testOrigin)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("key file mode %o, want 600", mode)
	}
	pub, err := os.ReadFile(path + ".pub")
	if err != nil {
		t.Fatalf("verifier key file: %v", err)
	}
	if _, err := note.NewVerifier(strings.TrimSpace(string(pub))); err != nil {
		t.Errorf("verifier key file %q: %v", pub, err)
	}

	s2, v2, err := LoadOrCreateSigner(path, testOrigin)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if s1.KeyHash() != s2.KeyHash() || v1.KeyHash() != v2.KeyHash() || s1.KeyHash() != v1.KeyHash() {
		t.Error("loading the key again gave another key")
	}
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, s2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v1)); err != nil {
		t.Errorf("the first verifier rejects the reloaded signer: %v", err)
	}

	if _, _, err := LoadOrCreateSigner(path, "another.origin"); err == nil {
		t.Error("a key for another origin was accepted")
	}
	garbage := filepath.Join(dir, "garbage.key")
	if err := os.WriteFile(garbage, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateSigner(garbage, testOrigin); err == nil {
		t.Error("a garbage key was accepted")
	}
}
