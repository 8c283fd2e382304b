package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testSecret is long enough for MinSecretLen.
var testSecret = []byte("0123456789abcdef0123456789abcdef-test")

// secretMarker goes into claims so tests can check errors never echo them.
const secretMarker = "MARKER-d41d8cd9"

// testKeys generates keys once: RSA generation is slow under -race.
var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	must := func(k crypto.Signer, err error) crypto.Signer {
		if err != nil {
			panic(err)
		}
		return k
	}
	_, ed, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	_, ed2, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]crypto.Signer{
		"rsa":      must(rsa.GenerateKey(rand.Reader, 2048)),
		"rsa2":     must(rsa.GenerateKey(rand.Reader, 2048)),
		"attacker": must(rsa.GenerateKey(rand.Reader, 2048)),
		"ec":       must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		"ec2":      must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)),
		"ed":       ed,
		"ed2":      ed2,
	}
})

// pemPublic encodes public keys as one PEM document.
func pemPublic(t testing.TB, pubs ...crypto.PublicKey) []byte {
	t.Helper()
	var out []byte
	for _, pub := range pubs {
		der, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			t.Fatalf("marshal public key: %v", err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})...)
	}
	return out
}

// writeFile writes data to a fresh file in t.TempDir.
func writeFile(t testing.TB, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys.pem")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	return path
}

// baseClaims is a valid payload; tests tweak copies of it.
func baseClaims() jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"sub":   secretMarker,
		"iat":   now.Unix(),
		"exp":   now.Add(10 * time.Minute).Unix(),
		"scope": "user/Observation.rs openid",
	}
}

// with returns a copy of c with changes applied; a nil value deletes the claim.
func with(c jwt.MapClaims, changes map[string]any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// sign makes a token with the given extra header fields.
func sign(t *testing.T, method jwt.SigningMethod, key any, claims jwt.Claims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// newTestVerifier builds a verifier and closes it at test end.
func newTestVerifier(t *testing.T, cfg Config) *Verifier {
	t.Helper()
	v, err := NewVerifier(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	t.Cleanup(v.Close)
	return v
}

func bigOne() *big.Int { return big.NewInt(1) }
