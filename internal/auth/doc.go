// Package auth verifies SMART on FHIR access tokens and decides what they allow.
//
// It has three parts:
//   - Verifier checks a bearer JWT (signature, algorithm pinned to the key
//     type, time claims, issuer, audience, lifetime) and yields a Principal.
//   - Scope is the SMART App Launch 2 scope grammar (with the SMART 1 forms
//     .read, .write and .*).
//   - Principal.Decide turns the scopes into an access Decision for one
//     interaction on one resource type, with the grants the data layer must
//     enforce (patient compartment, granular query).
//
// Key selection: HS256 is verified with the configured secret only, never
// with a key from a file or a JWKS. Other algorithms use public keys of the
// matching type only (RSA: RS*/PS*, P-256: ES256, Ed25519: EdDSA). A token
// with a kid uses the JWKS key of that kid (refreshing the set at most once a
// minute for unknown kids); if the JWKS has none, PEM keys, which have no
// kid, are tried; if there are none either, the token is refused. A token
// without kid tries every key of the matching type. Header key hints (jku,
// x5u, jwk, x5c) are ignored, and a crit header is refused.
//
// Errors never carry token contents: callers may log them, but must show
// clients nothing beyond "invalid_token".
package auth
