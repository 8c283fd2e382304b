package auth

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// publicKey is a trusted verification key with its family already checked.
type publicKey struct {
	key    any
	family keyFamily
}

// loadPEMKeys reads every public key from a PEM file. Accepted blocks:
// PUBLIC KEY (PKIX), RSA PUBLIC KEY (PKCS #1) and CERTIFICATE (its key is
// used; the certificate itself is not validated). Private keys are refused
// so that signing material does not end up in a trust file by mistake.
func loadPEMKeys(path string) ([]publicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read public key file: %w", err)
	}
	keys, err := parsePEMKeys(data)
	if err != nil {
		return nil, fmt.Errorf("public key file %s: %w", path, err)
	}
	return keys, nil
}

func parsePEMKeys(data []byte) ([]publicKey, error) {
	var keys []publicKey
	for n := 1; ; n++ {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		key, err := parsePEMBlock(block)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d (%s): %w", n, block.Type, err)
		}
		fam := publicKeyFamily(key)
		if fam == familyNone {
			return nil, fmt.Errorf("PEM block %d (%s): unsupported key (want RSA >= %d bits, ECDSA P-256 or Ed25519)", n, block.Type, minRSABits)
		}
		keys = append(keys, publicKey{key: key, family: fam})
	}
	if len(keys) == 0 {
		return nil, errors.New("no PEM public keys found")
	}
	return keys, nil
}

func parsePEMBlock(block *pem.Block) (any, error) {
	switch block.Type {
	case "PUBLIC KEY":
		return x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		return cert.PublicKey, nil
	default:
		return nil, errors.New("not a public key block (private keys are refused)")
	}
}
