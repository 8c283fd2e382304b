package auth

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultMintTTL is the lifetime of minted tokens when none is given.
const DefaultMintTTL = time.Hour

// MintClaims are the claims of a token made by Mint. Empty fields are omitted.
type MintClaims struct {
	Subject, Scope, Patient, FHIRUser, ClientID, Issuer, Audience string
	TTL                                                           time.Duration // default DefaultMintTTL; verifiers refuse more than their MaxLifetime
}

// Mint signs an HS256 token with a random jti, iat=now and exp=now+TTL.
// It refuses what a Verifier would refuse anyway: a short secret, or
// patient/ scopes without a patient.
func Mint(secret []byte, c MintClaims) (string, error) {
	if len(secret) < MinSecretLen {
		return "", fmt.Errorf("mint token: secret is %d bytes, need at least %d", len(secret), MinSecretLen)
	}
	if c.TTL < 0 {
		return "", errors.New("mint token: negative TTL")
	}
	if c.TTL == 0 {
		c.TTL = DefaultMintTTL
	}
	if c.Patient == "" && hasPatientScope(ParseScopes(c.Scope)) {
		return "", errors.New("mint token: patient/ scope needs a patient")
	}
	if c.Patient != "" && !validFHIRID(c.Patient) {
		return "", errors.New("mint token: patient is not a FHIR id")
	}

	now := time.Now()
	claims := tokenClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   c.Subject,
			Issuer:    c.Issuer,
			ID:        rand.Text(),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(c.TTL)),
		},
		Scope:    c.Scope,
		Patient:  c.Patient,
		FHIRUser: c.FHIRUser,
		ClientID: c.ClientID,
	}
	if c.Audience != "" {
		claims.Audience = jwt.ClaimStrings{c.Audience}
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		return "", fmt.Errorf("mint token: sign: %w", err)
	}
	return signed, nil
}
