package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestNewVerifierConfigErrors(t *testing.T) {
	k := testKeys()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	privDER, err := x509.MarshalPKCS8PrivateKey(k["ec"])
	if err != nil {
		t.Fatal(err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER})

	tests := []struct {
		name string
		cfg  func(t *testing.T) Config
	}{
		{"no key source", func(*testing.T) Config { return Config{Issuer: "x"} }},
		{"short secret", func(*testing.T) Config { return Config{HS256Secret: []byte("short")} }},
		{"negative skew", func(*testing.T) Config { return Config{HS256Secret: testSecret, ClockSkew: -time.Second} }},
		{"negative lifetime", func(*testing.T) Config { return Config{HS256Secret: testSecret, MaxLifetime: -time.Second} }},
		{"missing PEM file", func(t *testing.T) Config { return Config{PublicKeyFile: t.TempDir() + "/none.pem"} }},
		{"empty PEM file", func(t *testing.T) Config { return Config{PublicKeyFile: writeFile(t, []byte("nothing"))} }},
		{"private key in PEM", func(t *testing.T) Config { return Config{PublicKeyFile: writeFile(t, privPEM)} }},
		{"RSA 1024", func(t *testing.T) Config { return Config{PublicKeyFile: writeFile(t, pemPublic(t, &small.PublicKey))} }},
		{"P-384", func(t *testing.T) Config { return Config{PublicKeyFile: writeFile(t, pemPublic(t, &p384.PublicKey))} }},
		{"good then bad PEM", func(t *testing.T) Config {
			return Config{PublicKeyFile: writeFile(t, pemPublic(t, k["rsa"].Public(), &p384.PublicKey))}
		}},
		{"JWKS over plain http", func(*testing.T) Config { return Config{JWKSURL: "http://idp.example.com/jwks"} }},
		{"JWKS not a URL", func(*testing.T) Config { return Config{JWKSURL: "::"} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := NewVerifier(context.Background(), tt.cfg(t))
			if err == nil {
				v.Close()
				t.Fatal("NewVerifier succeeded, want error")
			}
		})
	}
}

func TestVerifyKeyTypesFromPEM(t *testing.T) {
	k := testKeys()
	// One file with every key type; each token must find its key.
	path := writeFile(t, pemPublic(t, k["rsa"].Public(), k["ec"].Public(), k["ed"].Public()))
	v := newTestVerifier(t, Config{PublicKeyFile: path})

	tests := []struct {
		name   string
		method jwt.SigningMethod
		key    any
	}{
		{"RS256", jwt.SigningMethodRS256, k["rsa"]},
		{"RS384", jwt.SigningMethodRS384, k["rsa"]},
		{"RS512", jwt.SigningMethodRS512, k["rsa"]},
		{"PS256", jwt.SigningMethodPS256, k["rsa"]},
		{"PS512", jwt.SigningMethodPS512, k["rsa"]},
		{"ES256", jwt.SigningMethodES256, k["ec"]},
		{"EdDSA", jwt.SigningMethodEdDSA, k["ed"]},
		{"RS256 with kid", jwt.SigningMethodRS256, k["rsa"]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr := map[string]any{}
			if strings.Contains(tt.name, "kid") {
				hdr["kid"] = "any" // PEM keys have no kid; matching keys are tried
			}
			p, err := v.Verify(sign(t, tt.method, tt.key, baseClaims(), hdr))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if p.Subject != secretMarker {
				t.Errorf("Subject = %q", p.Subject)
			}
		})
	}
}

func TestVerifyPEMFormats(t *testing.T) {
	k := testKeys()
	rsaPub := k["rsa"].Public().(*rsa.PublicKey)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(rsaPub)})
	tmpl := &x509.Certificate{SerialNumber: bigOne(), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, rsaPub, k["rsa"])
	if err != nil {
		t.Fatal(err)
	}
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certDER})

	for name, data := range map[string][]byte{"PKCS1": pkcs1, "CERTIFICATE": cert} {
		t.Run(name, func(t *testing.T) {
			v := newTestVerifier(t, Config{PublicKeyFile: writeFile(t, data)})
			if _, err := v.Verify(sign(t, jwt.SigningMethodRS256, k["rsa"], baseClaims(), nil)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyPrincipal(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret, Issuer: "https://idp", Audience: "https://ehr/fhir"})
	now := time.Now().Truncate(time.Second)
	base := jwt.MapClaims{
		"sub": "u1", "iss": "https://idp", "aud": []string{"other", "https://ehr/fhir"},
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "j1",
		"scope":    "openid fhirUser launch patient/Observation.rs user/Patient.read bogus/x.r",
		"patient":  "p-1",
		"fhirUser": "Practitioner/9",
	}

	tests := []struct {
		name   string
		claims jwt.MapClaims
		want   Principal
	}{
		{
			name:   "all claims, client_id wins over azp",
			claims: with(base, map[string]any{"client_id": "app", "azp": "other-app", "purpose_of_use": []string{"TREAT", "ETREAT"}}),
			want: Principal{
				Subject: "u1", ClientID: "app", FHIRUser: "Practitioner/9", Patient: "p-1", JTI: "j1", Issuer: "https://idp",
				PurposeOfUse: []string{"TREAT", "ETREAT"},
				IssuedAt:     now, ExpiresAt: now.Add(time.Hour),
			},
		},
		{
			name:   "azp fallback, purpose of use as string, no iat",
			claims: with(base, map[string]any{"azp": "az", "purpose_of_use": "TREAT", "iat": nil}),
			want: Principal{
				Subject: "u1", ClientID: "az", FHIRUser: "Practitioner/9", Patient: "p-1", JTI: "j1", Issuer: "https://idp",
				PurposeOfUse: []string{"TREAT"}, ExpiresAt: now.Add(time.Hour),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, tt.claims, nil))
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var raws []string
			for _, s := range p.Scopes {
				raws = append(raws, s.Raw)
			}
			if want := []string{"patient/Observation.rs", "user/Patient.read"}; !reflect.DeepEqual(raws, want) {
				t.Errorf("scopes = %v, want %v", raws, want)
			}
			got := *p
			got.Scopes = nil
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("principal =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestVerifyTimeClaimsWithinSkew(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret, ClockSkew: time.Minute})
	now := time.Now()
	tests := []struct {
		name    string
		changes map[string]any
	}{
		{"expired within skew", map[string]any{"exp": now.Add(-30 * time.Second).Unix(), "iat": now.Add(-time.Hour).Unix()}},
		{"nbf within skew", map[string]any{"nbf": now.Add(30 * time.Second).Unix()}},
		{"iat within skew", map[string]any{"iat": now.Add(30 * time.Second).Unix()}},
		{"lifetime exactly max", map[string]any{"iat": now.Unix(), "exp": now.Add(DefaultMaxLifetime).Unix()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := v.Verify(sign(t, jwt.SigningMethodHS256, testSecret, with(baseClaims(), tt.changes), nil)); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

func TestVerifyErrorsAreSafe(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	raw := sign(t, jwt.SigningMethodHS256, []byte("wrong-secret-wrong-secret-wrong-secret"), baseClaims(), map[string]any{"kid": secretMarker})
	_, err := v.Verify(raw)
	if !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
	if strings.Contains(err.Error(), secretMarker) || strings.Contains(err.Error(), raw[:20]) {
		t.Errorf("error leaks token contents: %v", err)
	}
}

func TestVerifierCloseTwice(t *testing.T) {
	v, err := NewVerifier(context.Background(), Config{HS256Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	v.Close()
	v.Close()
}
