package app_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/clinic/ehr/internal/auth"
)

// Keys are generated once per test binary: RSA generation is slow.
var attackKeys = sync.OnceValue(func() map[string]crypto.Signer {
	gen := func() crypto.Signer {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		return k
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return map[string]crypto.Signer{"idp": gen(), "idp-next": gen(), "attacker": gen(), "ec": ec}
})

const (
	testIssuer   = "https://kc.example.org/realms/clinic"
	testAudience = "https://ehr.example.org/fhir"
)

// b64 is base64url without padding, as JWS uses it.
func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// craft assembles a token from raw JSON parts and a raw signature segment.
func craft(header, payload, sig string) string {
	return b64([]byte(header)) + "." + b64([]byte(payload)) + "." + sig
}

// claims is a valid payload for the attack servers; changes apply on a
// copy, a nil value deleting the claim.
func claims(changes map[string]any) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{
		"sub":       "attack-test",
		"client_id": "attack-client",
		"iss":       testIssuer,
		"aud":       testAudience,
		"iat":       now.Unix(),
		"exp":       now.Add(10 * time.Minute).Unix(),
		"scope":     "user/Patient.rs",
	}
	for k, v := range changes {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func signed(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, c)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign %s: %v", m.Alg(), err)
	}
	return s
}

func publicPEM(t *testing.T, pubs ...crypto.PublicKey) []byte {
	t.Helper()
	var out []byte
	for _, p := range pubs {
		der, err := x509.MarshalPKIXPublicKey(p)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})...)
	}
	return out
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// refusal is one expected token refusal.
type refusal struct {
	name string
	tok  string
}

// checkRefusals sends every token to a read and checks the one answer a
// refused token gets: 401, WWW-Authenticate invalid_token, and a body that
// says nothing of the reason: all bodies are identical.
func checkRefusals(t *testing.T, s *server, path string, cases []refusal) {
	t.Helper()
	var first []byte
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.as(t).do("GET", path, c.tok, nil)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", r.Status, r.Body)
			}
			if wa := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer") || !strings.Contains(wa, `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", wa)
			}
			checkOutcome(t, c.name, r)
			checkSecurityHeaders(t, c.name, r)
			low := strings.ToLower(string(r.Body))
			for _, word := range []string{"expired", "issuer", "audience", "signature", "kid", "alg", "nbf", "lifetime", "patient", "claim", "segment", "base64", "key", "crit"} {
				if strings.Contains(low, word) {
					t.Errorf("the refusal says why (%q): %s", word, r.Body)
				}
			}
			if first == nil {
				first = r.Body
			} else if string(r.Body) != string(first) {
				t.Errorf("refusal bodies differ, so they tell reasons apart:\n%s\n%s", first, r.Body)
			}
		})
	}
}

func TestJWTAttacks(t *testing.T) {
	s := newServerWith(t, sqliteURL(t), map[string]string{
		"EHR_AUTH_ISSUER":   testIssuer,
		"EHR_AUTH_AUDIENCE": testAudience,
		"EHR_RATE_LIMIT":    "0",
	})
	secret := []byte(testSecret)
	mint := func(c auth.MintClaims) string {
		tok, err := auth.Mint(secret, c)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	admin := mint(auth.MintClaims{Subject: "admin", Scope: adminScope, Issuer: testIssuer, Audience: testAudience})
	pid := create(t, s, admin, "Patient", patientJSON("Jwt", "Jana", "female", "1975-07-07", "MRN-JWT"))["id"].(string)
	path := "/fhir/Patient/" + pid

	good := signed(t, jwt.SigningMethodHS256, secret, claims(nil), nil)
	must(t, s.do("GET", path, good, nil), http.StatusOK)

	now := time.Now()
	hs := func(changes map[string]any) string {
		return signed(t, jwt.SigningMethodHS256, secret, claims(changes), nil)
	}
	parts := strings.Split(good, ".")
	escalated, _ := json.Marshal(claims(map[string]any{"scope": "user/*.cruds user/AuditEvent.rs"}))
	other := hs(map[string]any{"sub": "someone-else"})
	noneClaims, _ := json.Marshal(claims(nil))
	cases := []refusal{
		{"alg none", craft(`{"alg":"none","typ":"JWT"}`, string(noneClaims), "")},
		{"alg None", craft(`{"alg":"None","typ":"JWT"}`, string(noneClaims), "")},
		{"alg NONE with a signature", craft(`{"alg":"NONE","typ":"JWT"}`, string(noneClaims), parts[2])},
		{"alg missing", craft(`{"typ":"JWT"}`, string(noneClaims), parts[2])},
		{"RS256 header on an HS256-only server", craft(`{"alg":"RS256","typ":"JWT"}`, string(noneClaims), parts[2])},
		{"wrong key", signed(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-another-secret"), claims(nil), nil)},
		{"HS384 with the right secret", signed(t, jwt.SigningMethodHS384, secret, claims(nil), nil)},
		{"expired", hs(map[string]any{"exp": now.Add(-5 * time.Minute).Unix(), "iat": now.Add(-time.Hour).Unix()})},
		{"not yet valid", hs(map[string]any{"nbf": now.Add(10 * time.Minute).Unix()})},
		{"issued in the future", hs(map[string]any{"iat": now.Add(30 * time.Minute).Unix(), "exp": now.Add(40 * time.Minute).Unix()})},
		{"no exp", hs(map[string]any{"exp": nil})},
		{"lifetime beyond the maximum", hs(map[string]any{"exp": now.Add(72 * time.Hour).Unix()})},
		{"exp not a number", hs(map[string]any{"exp": "tomorrow"})},
		{"wrong issuer", hs(map[string]any{"iss": "https://evil.example.com/realms/clinic"})},
		{"no issuer", hs(map[string]any{"iss": nil})},
		{"wrong audience", hs(map[string]any{"aud": "https://other.example.org/fhir"})},
		{"no audience", hs(map[string]any{"aud": nil})},
		{"audience list without ours", hs(map[string]any{"aud": []string{"a", "b"}})},
		{"payload tampered (scope escalation)", parts[0] + "." + b64(escalated) + "." + parts[2]},
		{"signature of another token", parts[0] + "." + parts[1] + "." + strings.Split(other, ".")[2]},
		{"signature stripped", parts[0] + "." + parts[1] + "."},
		{"two segments", parts[0] + "." + parts[1]},
		{"four segments", good + "." + parts[2]},
		{"header not JSON", b64([]byte(`{"alg":"HS256"`)) + "." + parts[1] + "." + parts[2]},
		{"header not base64url", "ab+/~." + parts[1] + "." + parts[2]},
		{"payload not JSON", parts[0] + "." + b64([]byte("not json")) + "." + parts[2]},
		{"scope claim is an array", hs(map[string]any{"scope": []string{"user/Patient.rs"}})},
		{"crit header", signed(t, jwt.SigningMethodHS256, secret, claims(nil), map[string]any{"crit": []string{"b64"}, "b64": false})},
		{"patient/ scope without patient claim", hs(map[string]any{"scope": "patient/Patient.rs"})},
		{"patient claim not a FHIR id", hs(map[string]any{"scope": "patient/Patient.rs", "patient": "../Patient/" + pid})},
		{"garbage", "abc.def.ghi"},
		{"16 KiB token", strings.Repeat("A", 8<<10) + "." + strings.Repeat("B", 8<<10) + "." + parts[2]},
	}
	checkRefusals(t, s, path, cases)

	t.Run("no token", func(t *testing.T) {
		for name, h := range map[string]string{"none": "", "basic": "Basic dXNlcjpwYXNz"} {
			req, _ := http.NewRequest("GET", s.URL+path, nil)
			if h != "" {
				req.Header.Set("Authorization", h)
			}
			r := doRaw(t, req)
			if r.Status != http.StatusUnauthorized {
				t.Errorf("%s: status %d, want 401", name, r.Status)
			}
			if wa := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(wa, "Bearer") || strings.Contains(wa, "error=") {
				t.Errorf("%s: WWW-Authenticate = %q (RFC 6750 §3.1: no error code without a token)", name, wa)
			}
		}
	})

	t.Run("malformed requests are invalid_request", func(t *testing.T) {
		cases := map[string]func(req *http.Request){
			"header and query": func(req *http.Request) {
				req.Header.Set("Authorization", "Bearer "+good)
				req.URL.RawQuery = "access_token=" + url.QueryEscape(good)
			},
			"query twice": func(req *http.Request) {
				req.URL.RawQuery = "access_token=" + url.QueryEscape(good) + "&access_token=" + url.QueryEscape(good)
			},
			"two Authorization headers": func(req *http.Request) {
				req.Header.Add("Authorization", "Bearer "+good)
				req.Header.Add("Authorization", "Bearer "+good)
			},
			"empty bearer": func(req *http.Request) { req.Header.Set("Authorization", "Bearer ") },
			"space in token": func(req *http.Request) {
				req.Header.Set("Authorization", "Bearer "+parts[0]+" "+parts[1])
			},
		}
		for name, set := range cases {
			t.Run(name, func(t *testing.T) {
				req, _ := http.NewRequest("GET", s.URL+path, nil)
				set(req)
				r := doRaw(t, req)
				if r.Status != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", r.Status, r.Body)
				}
				if wa := r.Header.Get("WWW-Authenticate"); !strings.Contains(wa, `error="invalid_request"`) {
					t.Errorf("WWW-Authenticate = %q", wa)
				}
				checkOutcome(t, name, r)
			})
		}
	})

	t.Run("1 MB token", func(t *testing.T) {
		// ehrd's http.Server refuses headers beyond EHR_MAX_HEADER_BYTES
		// (64 KiB by default) with 431 before any handler runs: the token
		// is never parsed, and nothing reaches the audit trail.
		huge := strings.Repeat("A", 1<<20) + "." + parts[1] + "." + parts[2]
		r, err := rawRequest(s.URL+path, "Bearer "+huge, nil)
		if err != nil {
			t.Fatalf("1 MB token: %v", err)
		}
		if r.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("status %d, want 431", r.Status)
		}
	})

	t.Run("token in the query string stays out of records", func(t *testing.T) {
		// RFC 6750 §2.3 allows it, and §5.3 warns that URLs get logged.
		tok := signed(t, jwt.SigningMethodHS256, secret, claims(nil), nil)
		r := must(t, s.do("GET", "/fhir/Patient?_id="+pid+"&access_token="+url.QueryEscape(tok), "", nil), http.StatusOK)
		sig := strings.Split(tok, ".")[2]
		if strings.Contains(string(r.Body), sig) {
			t.Errorf("the search Bundle echoes the access token (self link): %s", r.Body)
		}
		// And in a form body (RFC 6750 §2.2) of a POST search.
		tok2 := signed(t, jwt.SigningMethodHS256, secret, claims(nil), nil)
		sig2 := strings.Split(tok2, ".")[2]
		r = must(t, formPost(s, "/fhir/Patient/_search", "", url.Values{"_id": {pid}, "access_token": {tok2}}), http.StatusOK)
		if got := ids(t, r); len(got) != 1 || got[0] != pid {
			t.Errorf("form search found %v, want %s", got, pid)
		}
		if strings.Contains(string(r.Body), sig2) {
			t.Errorf("the search Bundle echoes the form's access token: %s", r.Body)
		}
		officer := mint(auth.MintClaims{Subject: "officer", Scope: "user/AuditEvent.rs", Issuer: testIssuer, Audience: testAudience})
		a := must(t, s.do("GET", "/fhir/AuditEvent?subtype=search-type&_count=200", officer, nil), http.StatusOK)
		queries := decodedQueries(t, a)
		if !strings.Contains(queries, "_id="+pid) {
			t.Fatalf("the searches are not in the audit trail: %s", queries)
		}
		if strings.Contains(queries, sig) || strings.Contains(queries, sig2) {
			t.Errorf("an AuditEvent stores the access token in entity.query: %s", queries)
		}
	})

	t.Run("refusals are audited without the token", func(t *testing.T) {
		officer := mint(auth.MintClaims{Subject: "officer", Scope: "user/AuditEvent.rs", Issuer: testIssuer, Audience: testAudience})
		a := must(t, s.do("GET", "/fhir/AuditEvent?outcome=4&subtype=read&_count=200", officer, nil), http.StatusOK)
		if n := len(ids(t, a)); n < len(cases) {
			t.Errorf("%d refused reads audited, want at least %d", n, len(cases))
		}
		body := string(a.Body) + decodedQueries(t, a)
		for _, c := range cases {
			if segs := strings.Split(c.tok, "."); len(segs) == 3 && len(segs[2]) > 8 && strings.Contains(body, segs[2]) {
				t.Errorf("%s: the audit trail holds the token's signature", c.name)
			}
		}
		if strings.Contains(body, parts[1]) {
			t.Errorf("the audit trail holds a token payload")
		}
	})
}

// decodedQueries returns the base64 entity.query values of the AuditEvents
// in a searchset, decoded, joined.
func decodedQueries(t *testing.T, r *reply) string {
	t.Helper()
	var out []string
	for _, e := range entries(t, r) {
		ev, _ := e["resource"].(map[string]any)
		list, _ := ev["entity"].([]any)
		for _, en := range list {
			q, _ := en.(map[string]any)["query"].(string)
			if b, err := base64.StdEncoding.DecodeString(q); err == nil {
				out = append(out, string(b))
			}
		}
	}
	return strings.Join(out, "\n")
}

func doRaw(t *testing.T, req *http.Request) *reply {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func TestJWTAlgorithmConfusion(t *testing.T) {
	k := attackKeys()
	idp := k["idp"].(*rsa.PrivateKey)
	pemBytes := publicPEM(t, idp.Public())
	der, _ := x509.MarshalPKIXPublicKey(idp.Public())
	keyFile := writeTemp(t, "idp.pem", pemBytes)
	jwkOf := func(pub *rsa.PublicKey) map[string]any {
		return map[string]any{"kty": "RSA", "n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())}
	}

	t.Run("public key file only", func(t *testing.T) {
		s := newServerWith(t, sqliteURL(t), map[string]string{
			"EHR_AUTH_HS256_SECRET":    "",
			"EHR_AUTH_PUBLIC_KEY_FILE": keyFile,
			"EHR_RATE_LIMIT":           "0",
		})
		admin := signed(t, jwt.SigningMethodRS256, idp, claims(map[string]any{"scope": adminScope}), nil)
		pid := create(t, s, admin, "Patient", patientJSON("Alg", "Alma", "female", "1950-05-05", "MRN-ALG"))["id"].(string)
		path := "/fhir/Patient/" + pid
		for name, tok := range map[string]string{
			"RS256":              signed(t, jwt.SigningMethodRS256, idp, claims(nil), nil),
			"PS256":              signed(t, jwt.SigningMethodPS256, idp, claims(nil), nil),
			"RS256 with any kid": signed(t, jwt.SigningMethodRS256, idp, claims(nil), map[string]any{"kid": "whatever"}),
		} {
			if r := s.do("GET", path, tok, nil); r.Status != http.StatusOK {
				t.Errorf("%s: status %d, want 200", name, r.Status)
			}
		}
		checkRefusals(t, s, path, []refusal{
			{"HS256 signed with the PEM bytes", signed(t, jwt.SigningMethodHS256, pemBytes, claims(nil), nil)},
			{"HS256 signed with the DER bytes", signed(t, jwt.SigningMethodHS256, der, claims(nil), nil)},
			{"HS256 signed with the test secret", signed(t, jwt.SigningMethodHS256, []byte(testSecret), claims(nil), nil)},
			{"RS256 by another key", signed(t, jwt.SigningMethodRS256, k["attacker"], claims(nil), nil)},
			{"RS256 by another key, unknown kid", signed(t, jwt.SigningMethodRS256, k["attacker"], claims(nil), map[string]any{"kid": "attacker-1"})},
			{"kid is a number", signed(t, jwt.SigningMethodRS256, idp, claims(nil), map[string]any{"kid": 7})},
			{"ES256 with no EC key trusted", signed(t, jwt.SigningMethodES256, k["ec"], claims(nil), nil)},
			{"embedded jwk of the signer", signed(t, jwt.SigningMethodRS256, k["attacker"], claims(nil), map[string]any{"jwk": jwkOf(k["attacker"].Public().(*rsa.PublicKey))})},
			{"alg none", craft(`{"alg":"none"}`, `{"sub":"x","scope":"user/*.cruds","exp":9999999999}`, "")},
		})
	})
	t.Run("public key file and secret", func(t *testing.T) {
		s := newServerWith(t, sqliteURL(t), map[string]string{"EHR_AUTH_PUBLIC_KEY_FILE": keyFile, "EHR_RATE_LIMIT": "0"})
		admin := token(t, adminScope, "")
		pid := create(t, s, admin, "Patient", patientJSON("Alg", "Aldo", "male", "1951-05-05", "MRN-ALG2"))["id"].(string)
		path := "/fhir/Patient/" + pid
		must(t, s.do("GET", path, signed(t, jwt.SigningMethodHS256, []byte(testSecret), claims(nil), nil), nil), http.StatusOK)
		must(t, s.do("GET", path, signed(t, jwt.SigningMethodRS256, idp, claims(nil), nil), nil), http.StatusOK)
		checkRefusals(t, s, path, []refusal{
			{"HS256 signed with the PEM bytes", signed(t, jwt.SigningMethodHS256, pemBytes, claims(nil), nil)},
			{"HS256 signed with the PEM bytes, kid of nothing", signed(t, jwt.SigningMethodHS256, pemBytes, claims(nil), map[string]any{"kid": "idp"})},
		})
	})
}

// jwksServer publishes RSA public keys as a JWKS, swappable, and counts
// its requests.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	keys     map[string]*rsa.PublicKey
	extra    []map[string]any
	requests atomic.Int64
}

func newJWKS(t *testing.T, keys map[string]*rsa.PublicKey, extra ...map[string]any) *jwksServer {
	j := &jwksServer{keys: keys, extra: extra}
	j.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		j.requests.Add(1)
		j.mu.Lock()
		set := []map[string]any{}
		for kid, pub := range j.keys {
			set = append(set, map[string]any{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
				"n": b64(pub.N.Bytes()), "e": b64(big.NewInt(int64(pub.E)).Bytes())})
		}
		set = append(set, j.extra...)
		j.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": set})
	}))
	t.Cleanup(j.Close)
	return j
}

func (j *jwksServer) set(keys map[string]*rsa.PublicKey) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.keys = keys
}

func TestJWKSOverHTTP(t *testing.T) {
	k := attackKeys()
	idp, next, attacker := k["idp"].(*rsa.PrivateKey), k["idp-next"].(*rsa.PrivateKey), k["attacker"].(*rsa.PrivateKey)
	octSecret := []byte("a-symmetric-key-published-in-the-jwks-0123")
	jwks := newJWKS(t, map[string]*rsa.PublicKey{"k1": &idp.PublicKey},
		map[string]any{"kty": "oct", "kid": "oct", "k": b64(octSecret), "alg": "HS256"})
	evil := newJWKS(t, map[string]*rsa.PublicKey{"evil": &attacker.PublicKey})

	s := newServerWith(t, sqliteURL(t), map[string]string{
		"EHR_AUTH_HS256_SECRET": "",
		"EHR_AUTH_JWKS_URL":     jwks.URL,
		"EHR_AUTH_ISSUER":       testIssuer,
		"EHR_AUTH_AUDIENCE":     testAudience,
		"EHR_RATE_LIMIT":        "0",
	})
	rs := func(key *rsa.PrivateKey, kid string, c jwt.MapClaims, extra map[string]any) string {
		h := map[string]any{"kid": kid}
		for k, v := range extra {
			h[k] = v
		}
		return signed(t, jwt.SigningMethodRS256, key, c, h)
	}
	admin := rs(idp, "k1", claims(map[string]any{"scope": adminScope}), nil)
	pid := create(t, s, admin, "Patient", patientJSON("Jwks", "Jonas", "male", "1966-06-06", "MRN-JWKS"))["id"].(string)
	path := "/fhir/Patient/" + pid

	must(t, s.do("GET", path, rs(idp, "k1", claims(nil), nil), nil), http.StatusOK)

	// The identity provider rotates its signing key: tokens with the new
	// kid are accepted at once (one refresh), the retired key no more.
	jwks.set(map[string]*rsa.PublicKey{"k2": &next.PublicKey})
	must(t, s.do("GET", path, rs(next, "k2", claims(nil), nil), nil), http.StatusOK)
	fetches := jwks.requests.Load()

	checkRefusals(t, s, path, []refusal{
		{"retired key", rs(idp, "k1", claims(nil), nil)},
		{"unknown kid", rs(attacker, "nope", claims(nil), nil)},
		{"kid of the current key, signed by another", rs(attacker, "k2", claims(nil), nil)},
		{"jku to an attacker's set", rs(attacker, "evil", claims(nil), map[string]any{"jku": evil.URL})},
		{"x5u to an attacker's set", rs(attacker, "evil", claims(nil), map[string]any{"x5u": evil.URL})},
		{"HS256 with the JWKS oct key", signed(t, jwt.SigningMethodHS256, octSecret, claims(nil), map[string]any{"kid": "oct"})},
		{"wrong issuer", rs(next, "k2", claims(map[string]any{"iss": "https://kc.example.org/realms/other"}), nil)},
		{"wrong audience", rs(next, "k2", claims(map[string]any{"aud": "account"}), nil)},
		{"expired", rs(next, "k2", claims(map[string]any{"exp": time.Now().Add(-2 * time.Minute).Unix(), "iat": time.Now().Add(-time.Hour).Unix()}), nil)},
	})
	if n := evil.requests.Load(); n != 0 {
		t.Errorf("the attacker's key set was fetched %d times", n)
	}
	if n := jwks.requests.Load() - fetches; n > 1 {
		t.Errorf("unknown kids caused %d JWKS fetches, want at most one a minute", n)
	}
}
