package auth

import (
	"errors"
	"testing"
	"time"
)

func TestMintVerifies(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret, Issuer: "https://ehr", Audience: "https://ehr/fhir"})
	before := time.Now().Truncate(time.Second)
	raw, err := Mint(testSecret, MintClaims{
		Subject: "u1", Scope: "patient/*.rs openid", Patient: "p1", FHIRUser: "Patient/p1",
		ClientID: "cli", Issuer: "https://ehr", Audience: "https://ehr/fhir", TTL: 30 * time.Minute,
	})
	if err != nil {
		t.Fatalf("Mint: %v", err)
	}
	p, err := v.Verify(raw)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if p.Subject != "u1" || p.Patient != "p1" || p.FHIRUser != "Patient/p1" || p.ClientID != "cli" || p.Issuer != "https://ehr" {
		t.Errorf("principal = %+v", p)
	}
	if p.JTI == "" || len(p.Scopes) != 1 {
		t.Errorf("jti = %q, scopes = %v", p.JTI, p.Scopes)
	}
	if lifetime := p.ExpiresAt.Sub(p.IssuedAt); lifetime != 30*time.Minute {
		t.Errorf("lifetime = %v, want 30m", lifetime)
	}
	if p.IssuedAt.Before(before) {
		t.Errorf("iat %v before mint time %v", p.IssuedAt, before)
	}
}

func TestMintDefaultsAndUniqueJTI(t *testing.T) {
	v := newTestVerifier(t, Config{HS256Secret: testSecret})
	seen := map[string]bool{}
	for range 3 {
		raw, err := Mint(testSecret, MintClaims{Subject: "u", Scope: "user/*.rs"})
		if err != nil {
			t.Fatalf("Mint: %v", err)
		}
		p, err := v.Verify(raw)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if got := p.ExpiresAt.Sub(p.IssuedAt); got != DefaultMintTTL {
			t.Errorf("default lifetime = %v, want %v", got, DefaultMintTTL)
		}
		if seen[p.JTI] {
			t.Errorf("jti repeated")
		}
		seen[p.JTI] = true
	}
}

func TestMintErrors(t *testing.T) {
	tests := []struct {
		name   string
		secret []byte
		c      MintClaims
	}{
		{"short secret", []byte("short"), MintClaims{Subject: "u"}},
		{"negative TTL", testSecret, MintClaims{TTL: -time.Minute}},
		{"patient scope without patient", testSecret, MintClaims{Scope: "patient/Observation.rs"}},
		{"patient not a FHIR id", testSecret, MintClaims{Scope: "patient/*.rs", Patient: "../x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Mint(tt.secret, tt.c); err == nil {
				t.Fatal("Mint succeeded, want error")
			}
		})
	}
}

func TestMintedTokenWrongSecret(t *testing.T) {
	raw, err := Mint(testSecret, MintClaims{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	v := newTestVerifier(t, Config{HS256Secret: []byte("a-different-secret-of-enough-length!")})
	if _, err := v.Verify(raw); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("err = %v, want ErrInvalidToken", err)
	}
}
