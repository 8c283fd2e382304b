package auth

import "github.com/golang-jwt/jwt/v5"

// keyFor is the jwt.Keyfunc. It only ever returns keys of the family pinned
// to the token's alg, and reads nothing from the header but alg, kid and
// crit: jku, x5u, jwk and x5c are ignored, never fetched nor trusted.
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	if _, ok := t.Header["crit"]; ok {
		return nil, refuse("crit header names extensions this server does not support")
	}
	alg := t.Method.Alg()
	fam, ok := algFamily[alg]
	if !ok {
		return nil, refuse("algorithm not accepted")
	}
	if fam == familyHMAC {
		if v.secret == nil {
			return nil, refuse("algorithm not accepted")
		}
		return v.secret, nil
	}

	kidValue, hasKid := t.Header["kid"]
	if hasKid {
		kid, ok := kidValue.(string)
		if !ok {
			return nil, refuse("kid header is not a string")
		}
		return v.keyByID(kid, alg, fam)
	}
	keys := v.staticKeys(fam)
	if v.jwks != nil {
		keys = append(keys, v.jwks.keysFor(alg)...)
	}
	return keySet(keys, "no trusted key for the token's algorithm")
}

// keyByID looks the kid up in the JWKS. PEM keys carry no kid, so when the
// JWKS does not know it they are tried instead; with no PEM key of the
// right type the kid is unknown and the token refused.
func (v *Verifier) keyByID(kid, alg string, fam keyFamily) (any, error) {
	if v.jwks != nil {
		k, found, err := v.jwks.keyByID(kid, alg)
		if err != nil {
			return nil, refuse(err.Error())
		}
		if found {
			return k.key, nil
		}
	}
	return keySet(v.staticKeys(fam), "unknown kid")
}

func (v *Verifier) staticKeys(fam keyFamily) []publicKey {
	var out []publicKey
	for _, k := range v.static {
		if k.family == fam {
			out = append(out, k)
		}
	}
	return out
}

// keySet hands jwt every candidate; it accepts the token if any one verifies.
func keySet(keys []publicKey, emptyReason string) (any, error) {
	if len(keys) == 0 {
		return nil, refuse(emptyReason)
	}
	set := jwt.VerificationKeySet{Keys: make([]jwt.VerificationKey, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.key)
	}
	return set, nil
}
