package auth

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// jwk describes one key a test JWKS server publishes.
type jwk struct {
	kid string
	key any // public key, or []byte for an oct key
	alg jwkset.ALG
	use jwkset.USE
}

// jwksServer serves a JWKS whose keys a test can swap, counting requests.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	keys     []jwk
	requests atomic.Int64
}

func newJWKSServer(t *testing.T, keys ...jwk) *jwksServer {
	t.Helper()
	s := &jwksServer{keys: keys}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		keys := s.keys
		s.mu.Unlock()
		var set jwkset.JWKSMarshal
		for _, k := range keys {
			j, err := jwkset.NewJWKFromKey(k.key, jwkset.JWKOptions{
				Marshal:  jwkset.JWKMarshalOptions{Private: true}, // lets oct keys through
				Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: k.alg, USE: k.use},
			})
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			set.Keys = append(set.Keys, j.Marshal())
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) setKeys(keys ...jwk) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys = keys
}

func jwksVerifier(t *testing.T, s *jwksServer) *Verifier {
	t.Helper()
	return newTestVerifier(t, Config{JWKSURL: s.URL, HTTPClient: s.Client()})
}

func TestJWKSVerify(t *testing.T) {
	k := testKeys()
	s := newJWKSServer(t,
		jwk{kid: "rsa", key: k["rsa"].Public(), alg: jwkset.AlgRS256, use: jwkset.UseSig},
		jwk{kid: "rsa-any", key: k["rsa2"].Public()},
		jwk{kid: "ec", key: k["ec"].Public()},
		jwk{kid: "ed", key: k["ed"].Public()},
		jwk{kid: "enc", key: k["ec2"].Public(), use: jwkset.UseEnc},
		jwk{kid: "oct", key: testSecret, alg: jwkset.AlgHS256},
	)
	v := jwksVerifier(t, s)

	tests := []struct {
		name   string
		method jwt.SigningMethod
		key    any
		kid    any // nil: no kid header
		ok     bool
	}{
		{"RS256 by kid", jwt.SigningMethodRS256, k["rsa"], "rsa", true},
		{"PS256 on key pinned to RS256", jwt.SigningMethodPS256, k["rsa"], "rsa", false},
		{"PS256 on key without alg", jwt.SigningMethodPS256, k["rsa2"], "rsa-any", true},
		{"ES256 by kid", jwt.SigningMethodES256, k["ec"], "ec", true},
		{"EdDSA by kid", jwt.SigningMethodEdDSA, k["ed"], "ed", true},
		{"no kid tries matching keys", jwt.SigningMethodES256, k["ec"], nil, true},
		{"kid of another key type", jwt.SigningMethodES256, k["ec"], "rsa", false},
		{"kid of another key", jwt.SigningMethodRS256, k["rsa"], "rsa-any", false},
		{"encryption key", jwt.SigningMethodES256, k["ec2"], "enc", false},
		{"HS256 with JWKS oct key", jwt.SigningMethodHS256, testSecret, "oct", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]any{}
			if tt.kid != nil {
				hdr["kid"] = tt.kid
			}
			_, err := v.Verify(sign(t, tt.method, tt.key, baseClaims(), hdr))
			if tt.ok && err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if !tt.ok && !errors.Is(err, ErrInvalidToken) {
				t.Fatalf("err = %v, want ErrInvalidToken", err)
			}
			if err != nil {
				t.Logf("refused: %v", err)
			}
		})
	}
}

func TestJWKSRotation(t *testing.T) {
	k := testKeys()
	s := newJWKSServer(t, jwk{kid: "k1", key: k["rsa"].Public()})
	v := jwksVerifier(t, s)
	tok := func(key crypto.Signer, kid string) string {
		return sign(t, jwt.SigningMethodRS256, key, baseClaims(), map[string]any{"kid": kid})
	}

	if _, err := v.Verify(tok(k["rsa"], "k1")); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	s.setKeys(jwk{kid: "k2", key: k["rsa2"].Public()})
	if _, err := v.Verify(tok(k["rsa2"], "k2")); err != nil {
		t.Fatalf("new kid after rotation: %v", err)
	}
	// The refresh replaced the cache, so the retired key is gone.
	if _, err := v.Verify(tok(k["rsa"], "k1")); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("retired kid: err = %v, want ErrInvalidToken", err)
	}
}

func TestJWKSUnknownKidRefreshIsRateLimited(t *testing.T) {
	k := testKeys()
	s := newJWKSServer(t, jwk{kid: "k1", key: k["rsa"].Public()})
	v := jwksVerifier(t, s)
	before := s.requests.Load()

	for _, kid := range []string{"nope-1", "nope-2", "nope-3", "nope-4"} {
		_, err := v.Verify(sign(t, jwt.SigningMethodRS256, k["attacker"], baseClaims(), map[string]any{"kid": kid}))
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("kid %s: err = %v, want ErrInvalidToken", kid, err)
		}
	}
	if got := s.requests.Load() - before; got > 1 {
		t.Errorf("unknown kids caused %d JWKS fetches, want at most 1", got)
	}
}

// TestHeaderKeyHintsIgnored: keys named by jku, x5u, jwk or x5c are never
// fetched nor trusted, even with a kid the server does not know.
func TestHeaderKeyHintsIgnored(t *testing.T) {
	k := testKeys()
	attacker := k["attacker"]
	var hits atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "should not be called", http.StatusTeapot)
	}))
	defer evil.Close()

	attackerJWK, err := jwkset.NewJWKFromKey(attacker.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "evil"}})
	if err != nil {
		t.Fatal(err)
	}
	legit := newJWKSServer(t, jwk{kid: "k1", key: k["rsa"].Public()})
	verifiers := map[string]*Verifier{
		"JWKS": jwksVerifier(t, legit),
		"PEM":  newTestVerifier(t, Config{PublicKeyFile: writeFile(t, pemPublic(t, k["rsa"].Public()))}),
	}

	headers := map[string]map[string]any{
		"jku":          {"jku": evil.URL + "/jwks.json", "kid": "evil"},
		"x5u":          {"x5u": evil.URL + "/cert.pem"},
		"jwk":          {"jwk": attackerJWK.Marshal(), "kid": "evil"},
		"x5c":          {"x5c": []string{"MIIBfake"}},
		"all at once":  {"jku": evil.URL, "x5u": evil.URL, "jwk": attackerJWK.Marshal()},
		"jku, old kid": {"jku": evil.URL, "kid": "k1"},
	}
	for vname, v := range verifiers {
		for hname, hdr := range headers {
			t.Run(vname+"/"+hname, func(t *testing.T) {
				_, err := v.Verify(sign(t, jwt.SigningMethodRS256, attacker, baseClaims(), hdr))
				if !errors.Is(err, ErrInvalidToken) {
					t.Fatalf("err = %v, want ErrInvalidToken", err)
				}
			})
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("attacker server got %d requests, want 0", n)
	}
}

func TestJWKSUnreachableAtStart(t *testing.T) {
	s := newJWKSServer(t)
	url := s.URL
	s.Close() // nothing listens any more
	v, err := NewVerifier(context.Background(), Config{JWKSURL: url})
	if err != nil {
		t.Fatalf("NewVerifier: %v", err)
	}
	defer v.Close()
	_, err = v.Verify(sign(t, jwt.SigningMethodRS256, testKeys()["rsa"], baseClaims(), map[string]any{"kid": "k1"}))
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
}

// TestJWKSOctKeyNeverUsed: a symmetric key published in the JWKS must not
// verify HS256, even when the verifier also has its own secret.
func TestJWKSOctKeyNeverUsed(t *testing.T) {
	oct := []byte("published-oct-key-published-oct-key!")
	s := newJWKSServer(t, jwk{kid: "oct", key: oct, alg: jwkset.AlgHS256})
	v := newTestVerifier(t, Config{JWKSURL: s.URL, HS256Secret: testSecret})
	if _, err := v.jwks.storage.KeyRead(context.Background(), "oct"); err != nil {
		t.Fatalf("test setup: oct key not loaded from JWKS: %v", err)
	}
	for _, hdr := range []map[string]any{{"kid": "oct"}, nil} {
		_, err := v.Verify(sign(t, jwt.SigningMethodHS256, oct, baseClaims(), hdr))
		if !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("header %v: err = %v, want ErrInvalidToken", hdr, err)
		}
	}
}
