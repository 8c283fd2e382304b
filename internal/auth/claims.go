package auth

import (
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims is the JSON shape of an access token's payload. A claim of the
// wrong JSON type makes the token malformed, and so refused.
type tokenClaims struct {
	jwt.RegisteredClaims
	Scope        string           `json:"scope,omitempty"`
	Patient      string           `json:"patient,omitempty"`
	FHIRUser     string           `json:"fhirUser,omitempty"`
	ClientID     string           `json:"client_id,omitempty"`
	AZP          string           `json:"azp,omitempty"`
	PurposeOfUse jwt.ClaimStrings `json:"purpose_of_use,omitempty"` // string or array
}

// principal converts verified claims. client_id wins over azp when both exist.
func (c *tokenClaims) principal() *Principal {
	p := &Principal{
		Subject:      c.Subject,
		ClientID:     c.ClientID,
		FHIRUser:     c.FHIRUser,
		Patient:      c.Patient,
		JTI:          c.ID,
		Issuer:       c.Issuer,
		PurposeOfUse: []string(c.PurposeOfUse),
		Scopes:       ParseScopes(c.Scope),
	}
	if p.ClientID == "" {
		p.ClientID = c.AZP
	}
	if c.IssuedAt != nil {
		p.IssuedAt = c.IssuedAt.Time
	}
	if c.ExpiresAt != nil {
		p.ExpiresAt = c.ExpiresAt.Time
	}
	return p
}

// hasPatientScope reports whether any resource scope needs a patient in context.
func hasPatientScope(scopes []Scope) bool {
	for _, s := range scopes {
		if s.Context == ContextPatient {
			return true
		}
	}
	return false
}

// validFHIRID reports whether s is a FHIR id: [A-Za-z0-9-.]{1,64}. The patient
// claim feeds compartment queries, so nothing else is let through.
func validFHIRID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.')
	}) < 0
}
