package auth

import "time"

// Principal is the verified identity and authority carried by a token.
type Principal struct {
	Subject, ClientID, FHIRUser, Patient, JTI, Issuer string
	PurposeOfUse                                      []string
	Scopes                                            []Scope // resource scopes only
	IssuedAt, ExpiresAt                               time.Time
}
