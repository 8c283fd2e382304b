package importer

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/clinic/ehr/internal/auth"
)

// TokenSource gives the bearer token for each request.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	// Refresh forgets a token the server refused; it reports whether the
	// next Token can differ.
	Refresh() bool
}

// StaticToken is a token given on the command line; it cannot be renewed.
type StaticToken string

func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }
func (t StaticToken) Refresh() bool                         { return false }

// ImportScope is what an import needs: create and update every type, and
// search to compare before writing.
const ImportScope = "system/*.cruds"

// mintTTL is the life of a minted token; it is renewed a while before it
// ends, so that an import of hours keeps going.
const (
	mintTTL   = time.Hour
	mintAhead = 5 * time.Minute
)

// SecretToken mints HS256 tokens with the server's shared secret.
type SecretToken struct {
	secret []byte
	claims auth.MintClaims

	mu  sync.Mutex
	tok string
	exp time.Time
}

// NewSecretToken checks the secret by minting a first token.
func NewSecretToken(secret []byte, subject, scope string) (*SecretToken, error) {
	s := &SecretToken{secret: secret, claims: auth.MintClaims{Subject: subject, Scope: scope, ClientID: "ehrctl-import", TTL: mintTTL}}
	if _, err := s.Token(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *SecretToken) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tok != "" && time.Until(s.exp) > mintAhead {
		return s.tok, nil
	}
	tok, err := auth.Mint(s.secret, s.claims)
	if err != nil {
		return "", fmt.Errorf("mint token: %w", err)
	}
	s.tok, s.exp = tok, time.Now().Add(mintTTL)
	return tok, nil
}

func (s *SecretToken) Refresh() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tok = ""
	return true
}

var (
	_ TokenSource = StaticToken("")
	_ TokenSource = (*SecretToken)(nil)
)
