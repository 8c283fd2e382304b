package auth

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
)

// keyFamily pins algorithms to key types: a key is only ever used with the
// algorithms of its family, which rules out algorithm confusion.
type keyFamily int

const (
	familyNone keyFamily = iota
	familyHMAC
	familyRSA
	familyP256
	familyEd25519
)

// minRSABits refuses RSA keys too short to be trusted.
const minRSABits = 2048

// algFamily maps every accepted JWS alg to the key family that verifies it.
var algFamily = map[string]keyFamily{
	"HS256": familyHMAC,
	"RS256": familyRSA,
	"RS384": familyRSA,
	"RS512": familyRSA,
	"PS256": familyRSA,
	"PS384": familyRSA,
	"PS512": familyRSA,
	"ES256": familyP256,
	"EdDSA": familyEd25519,
}

// asymmetricAlgs are accepted whenever a public key source is configured.
var asymmetricAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "EdDSA"}

// publicKeyFamily classifies a public key, refusing weak or unsupported ones
// (short RSA, curves other than P-256, symmetric keys).
func publicKeyFamily(key any) keyFamily {
	switch k := key.(type) {
	case *rsa.PublicKey:
		if k.N != nil && k.N.BitLen() >= minRSABits {
			return familyRSA
		}
	case *ecdsa.PublicKey:
		if k.Curve == elliptic.P256() {
			return familyP256
		}
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			return familyEd25519
		}
	}
	return familyNone
}
