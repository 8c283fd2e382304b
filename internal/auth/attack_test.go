package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// TestVerifyRefusesAttacks covers forged, stale and malformed tokens against
// verifiers with static key sources. Every refusal must wrap ErrInvalidToken
// and never echo claim values.
func TestVerifyRefusesAttacks(t *testing.T) {
	k := testKeys()
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	rsaPEM := pemPublic(t, k["rsa"].Public())
	pemOnly := newTestVerifier(t, Config{PublicKeyFile: writeFile(t, rsaPEM)})
	secretOnly := newTestVerifier(t, Config{HS256Secret: testSecret})
	both := newTestVerifier(t, Config{HS256Secret: testSecret, PublicKeyFile: writeFile(t, rsaPEM)})
	strict := newTestVerifier(t, Config{HS256Secret: testSecret, Issuer: "https://idp", Audience: "https://ehr"})

	now := time.Now()
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, testSecret, c, nil) }
	b64 := base64.RawURLEncoding.EncodeToString
	good := hs(baseClaims())
	parts := strings.Split(good, ".")
	noneTok := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, baseClaims(), nil)

	tests := []struct {
		name string
		v    *Verifier
		raw  string
	}{
		{"alg none, empty signature", both, noneTok},
		{"alg none, with signature", both, noneTok + parts[2]},
		{"alg None spelled oddly", both, b64([]byte(`{"alg":"None","typ":"JWT"}`)) + "." + parts[1] + "." + parts[2]},
		{"HS256 keyed with PEM, server has PEM only", pemOnly, sign(t, jwt.SigningMethodHS256, rsaPEM, baseClaims(), nil)},
		{"HS256 keyed with PEM, server has secret only", secretOnly, sign(t, jwt.SigningMethodHS256, rsaPEM, baseClaims(), nil)},
		{"HS256 keyed with PEM, server has both", both, sign(t, jwt.SigningMethodHS256, rsaPEM, baseClaims(), nil)},
		{"RS256 token, server has secret only", secretOnly, sign(t, jwt.SigningMethodRS256, k["rsa"], baseClaims(), nil)},
		{"wrong secret", secretOnly, sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-12345"), baseClaims(), nil)},
		{"wrong RSA key", pemOnly, sign(t, jwt.SigningMethodRS256, k["rsa2"], baseClaims(), nil)},
		{"EC key, server has RSA only", pemOnly, sign(t, jwt.SigningMethodES256, k["ec"], baseClaims(), nil)},
		{"ES384 not accepted", both, sign(t, jwt.SigningMethodES384, p384, baseClaims(), nil)},
		{"HS512 not accepted", secretOnly, sign(t, jwt.SigningMethodHS512, testSecret, baseClaims(), nil)},
		{"expired", secretOnly, hs(with(baseClaims(), map[string]any{"exp": now.Add(-5 * time.Minute).Unix(), "iat": now.Add(-time.Hour).Unix()}))},
		{"nbf in the future", secretOnly, hs(with(baseClaims(), map[string]any{"nbf": now.Add(5 * time.Minute).Unix()}))},
		{"iat far in the future", secretOnly, hs(with(baseClaims(), map[string]any{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()}))},
		{"lifetime beyond max", secretOnly, hs(with(baseClaims(), map[string]any{"exp": now.Add(48 * time.Hour).Unix()}))},
		{"lifetime beyond max without iat", secretOnly, hs(with(baseClaims(), map[string]any{"iat": nil, "exp": now.Add(25 * time.Hour).Unix()}))},
		{"missing exp", secretOnly, hs(with(baseClaims(), map[string]any{"exp": nil}))},
		{"exp as string", secretOnly, hs(with(baseClaims(), map[string]any{"exp": "tomorrow"}))},
		{"issuer missing", strict, hs(with(baseClaims(), map[string]any{"aud": "https://ehr"}))},
		{"wrong issuer", strict, hs(with(baseClaims(), map[string]any{"iss": "https://evil", "aud": "https://ehr"}))},
		{"wrong audience", strict, hs(with(baseClaims(), map[string]any{"iss": "https://idp", "aud": "https://other"}))},
		{"audience missing", strict, hs(with(baseClaims(), map[string]any{"iss": "https://idp"}))},
		{"patient scope without patient", secretOnly, hs(with(baseClaims(), map[string]any{"scope": "patient/Observation.rs"}))},
		{"patient claim not a FHIR id", secretOnly, hs(with(baseClaims(), map[string]any{"scope": "patient/*.rs", "patient": "a b"}))},
		{"scope not a string", secretOnly, hs(with(baseClaims(), map[string]any{"scope": []string{"user/*.rs"}}))},
		{"crit header", secretOnly, sign(t, jwt.SigningMethodHS256, testSecret, baseClaims(), map[string]any{"crit": []string{"exp"}, "exp": 1})},
		{"kid not a string", pemOnly, sign(t, jwt.SigningMethodRS256, k["rsa"], baseClaims(), map[string]any{"kid": 7})},
		{"malformed header segment", secretOnly, "!!!." + parts[1] + "." + parts[2]},
		{"header not JSON", secretOnly, b64([]byte("not json")) + "." + parts[1] + "." + parts[2]},
		{"header alg not a string", secretOnly, b64([]byte(`{"alg":7}`)) + "." + parts[1] + "." + parts[2]},
		{"padded segment", secretOnly, parts[0] + "=." + parts[1] + "." + parts[2]},
		{"payload tampered", secretOnly, parts[0] + "." + b64([]byte(`{"sub":"admin","exp":9999999999,"scope":"system/*.cruds"}`)) + "." + parts[2]},
		{"signature tampered", secretOnly, parts[0] + "." + parts[1] + "." + flipLast(parts[2])},
		{"two segments", secretOnly, parts[0] + "." + parts[1]},
		{"four segments", secretOnly, good + ".x"},
		{"empty", secretOnly, ""},
		{"whitespace", secretOnly, " " + good},
		{"100000 dots", secretOnly, strings.Repeat(".", 100_000)},
		{"1 MB token", secretOnly, parts[0] + "." + strings.Repeat("A", 1<<20) + "." + parts[2]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.v.Verify(tt.raw)
			if err == nil {
				t.Fatalf("Verify accepted the token: %+v", p)
			}
			t.Logf("refused: %v", err)
			if !errors.Is(err, ErrInvalidToken) {
				t.Errorf("err = %v, want it to wrap ErrInvalidToken", err)
			}
			if strings.Contains(err.Error(), secretMarker) {
				t.Errorf("error leaks claim contents: %v", err)
			}
		})
	}
}

// flipLast changes the last base64url character, keeping the segment valid.
func flipLast(s string) string {
	if s[len(s)-1] == 'A' {
		return s[:len(s)-1] + "Q"
	}
	return s[:len(s)-1] + "A"
}

// TestVerifyRefusesGarbageFast is a loose guard that hostile sizes are
// refused before any parsing.
func TestVerifyRefusesGarbageFast(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	tests := []struct {
		name string
		raw  string
	}{
		{"100000 dots", strings.Repeat(".", 100_000)},
		{"1 MB of base64", strings.Repeat("A", 1<<20)},
		{"1 MB three segments", "eyJ." + strings.Repeat("A", 1<<20) + ".AA"},
		{"8 KiB of dots", strings.Repeat(".", maxTokenLen)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			_, err := v.Verify(tt.raw)
			elapsed := time.Since(start)
			if !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrInvalidToken", err)
			}
			if elapsed > 50*time.Millisecond {
				t.Errorf("refusal took %v, want < 50ms", elapsed)
			}
		})
	}
}

// TestVerifyTimeReasons checks that refusals keep jwt's reason for audit.
func TestVerifyTimeReasons(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	now := time.Now()
	tests := []struct {
		name    string
		changes map[string]any
		want    error
	}{
		{"expired", map[string]any{"exp": now.Add(-time.Hour).Unix(), "iat": now.Add(-2 * time.Hour).Unix()}, jwt.ErrTokenExpired},
		{"not yet valid", map[string]any{"nbf": now.Add(time.Hour).Unix()}, jwt.ErrTokenNotValidYet},
		{"issued in the future", map[string]any{"iat": now.Add(time.Hour).Unix(), "exp": now.Add(2 * time.Hour).Unix()}, jwt.ErrTokenUsedBeforeIssued},
		{"no exp", map[string]any{"exp": nil}, jwt.ErrTokenRequiredClaimMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, with(baseClaims(), tt.changes), nil))
			if !errors.Is(err, ErrInvalidToken) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want ErrInvalidToken and %v", err, tt.want)
			}
		})
	}
}
