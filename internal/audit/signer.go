package audit

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// algEd25519 is the algorithm byte note keys start with.
const algEd25519 = 1

// LoadOrCreateSigner reads the note signing key (PRIVATE+KEY+… as
// note.GenerateKey writes it) at path, or creates one named origin with mode
// 0600 when the file is missing. It writes the verifier key to path+".pub"
// so the operator can hand it to whoever keeps checkpoints.
func LoadOrCreateSigner(path, origin string) (note.Signer, note.Verifier, error) {
	skey, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		skey, err = createKey(path, origin)
		if err != nil {
			return nil, nil, err
		}
	case err != nil:
		return nil, nil, fmt.Errorf("read audit signing key: %w", err)
	}
	key := strings.TrimSpace(string(skey))
	signer, err := note.NewSigner(key)
	if err != nil {
		return nil, nil, fmt.Errorf("parse audit signing key %s: %w", path, err)
	}
	if signer.Name() != origin {
		return nil, nil, fmt.Errorf("audit signing key %s is for %q, want %q", path, signer.Name(), origin)
	}
	vkey, err := verifierKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("audit signing key %s: %w", path, err)
	}
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, nil, fmt.Errorf("audit verifier key: %w", err)
	}
	if err := writePub(path+".pub", vkey); err != nil {
		return nil, nil, err
	}
	return signer, verifier, nil
}

func createKey(path, origin string) ([]byte, error) {
	skey, _, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return nil, fmt.Errorf("generate audit signing key for %q: %w", origin, err)
	}
	// O_EXCL: two servers starting at once must not overwrite each other's key.
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create the key's directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("create audit signing key: %w", err)
	}
	if _, err := f.WriteString(skey + "\n"); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("write audit signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write audit signing key: %w", err)
	}
	return []byte(skey), nil
}

// verifierKey derives the public verifier key from a private note key
// (PRIVATE+KEY+name+hash+base64(alg ‖ seed)); note has no function for it.
func verifierKey(skey string) (string, error) {
	parts := strings.SplitN(skey, "+", 5) // base64 may hold '+' too
	if len(parts) != 5 {
		return "", errors.New("malformed signing key")
	}
	raw, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(raw) != 1+ed25519.SeedSize || raw[0] != algEd25519 {
		return "", errors.New("signing key is not an Ed25519 note key")
	}
	pub := ed25519.NewKeyFromSeed(raw[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(parts[2], pub)
}

// writePub writes the verifier key unless the file already holds it.
func writePub(path, vkey string) error {
	want := []byte(vkey + "\n")
	if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, want) {
		return nil
	}
	if err := os.WriteFile(path, want, 0o644); err != nil {
		return fmt.Errorf("write audit verifier key: %w", err)
	}
	return nil
}
