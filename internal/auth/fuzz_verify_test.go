package auth

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerifyHeader feeds Verify arbitrary strings, and tokens whose header
// is replaced by arbitrary bytes. Verify must never panic, must refuse with
// ErrInvalidToken, and a changed header must never pass the signature.
func FuzzVerifyHeader(f *testing.F) {
	secret := testSecret
	good, err := jwt.NewWithClaims(jwt.SigningMethodHS256, baseClaims()).SignedString(secret)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(good, ".")
	origHeader, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		f.Fatal(err)
	}
	v, err := NewVerifier(f.Context(), Config{HS256Secret: secret, PublicKeyFile: writeFile(f, pemPublic(f, testKeys()["rsa"].Public()))})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(v.Close)

	f.Add(good, origHeader)
	f.Add("", []byte(`{"alg":"none"}`))
	f.Add("a.b.c", []byte(`{"alg":"RS256","kid":"x","jku":"http://127.0.0.1:1/"}`))
	f.Add(strings.Repeat(".", 100), []byte(`{"alg":"HS256","crit":["b64"],"b64":false}`))
	f.Add("eyJhbGciOiJIUzI1NiJ9..", []byte(`{"alg":"EdDSA","kid":7}`))
	f.Add(parts[0]+"."+parts[1]+".", []byte(`{"alg":["HS256"]}`))

	f.Fuzz(func(t *testing.T, raw string, header []byte) {
		if _, err := v.Verify(raw); err != nil && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error does not wrap ErrInvalidToken: %v", err)
		}
		forged := base64.RawURLEncoding.EncodeToString(header) + "." + parts[1] + "." + parts[2]
		_, err := v.Verify(forged)
		if err == nil && !bytes.Equal(header, origHeader) {
			t.Fatalf("token with a changed header verified: %q", header)
		}
		if err != nil && !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("error does not wrap ErrInvalidToken: %v", err)
		}
	})
}
