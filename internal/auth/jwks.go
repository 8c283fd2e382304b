package auth

import (
	"context"
	"crypto"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"golang.org/x/time/rate"
)

const (
	// jwksRefreshInterval is the background refresh period of the key set.
	jwksRefreshInterval = 15 * time.Minute
	// jwksUnknownKIDEvery rate-limits refreshes triggered by an unknown kid,
	// so random kids cannot make us hammer the identity provider.
	jwksUnknownKIDEvery = time.Minute
	// jwksWaitMax bounds how long a Verify call may wait for the rate limiter
	// and the triggered fetch together. A wait longer than this fails at
	// once rather than blocking request handlers.
	jwksWaitMax = 5 * time.Second
	// jwksHTTPTimeout bounds each fetch of the key set.
	jwksHTTPTimeout = 10 * time.Second
)

// jwksSource holds keys fetched from an identity provider's JWKS endpoint.
type jwksSource struct {
	storage jwkset.Storage
	ctx     context.Context // cancelled by Close; ends refreshes
}

// newJWKSSource starts fetching the key set. An unreachable endpoint does not
// fail start-up: the first fetch is retried by refreshes.
func newJWKSSource(ctx context.Context, rawURL string, client *http.Client) (*jwksSource, error) {
	if err := checkJWKSURL(rawURL); err != nil {
		return nil, err
	}
	kf, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{rawURL}, keyfunc.Override{
		Client:            client,
		HTTPTimeout:       jwksHTTPTimeout,
		RateLimitWaitMax:  jwksWaitMax,
		RefreshInterval:   jwksRefreshInterval,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(jwksUnknownKIDEvery), 1),
	})
	if err != nil {
		return nil, fmt.Errorf("set up JWKS %s: %w", rawURL, err)
	}
	// Only the storage is used: keyfunc's own Keyfunc would return any key
	// type for any alg, and algorithm pinning is done here instead.
	return &jwksSource{storage: kf.Storage(), ctx: ctx}, nil
}

// checkJWKSURL requires https, except on loopback where TLS adds nothing.
func checkJWKSURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("parse JWKS URL: %w", err)
	}
	switch {
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	default:
		return fmt.Errorf("JWKS URL %s: must be https (http only on loopback)", raw)
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// keyByID returns the signing key with this kid for alg, refreshing the set
// (rate-limited) when the kid is unknown. found is false when no key has the
// kid; err is set when a key has it but may not be used with alg.
func (s *jwksSource) keyByID(kid, alg string) (key publicKey, found bool, err error) {
	jwk, err := s.storage.KeyRead(s.ctx, kid)
	if err != nil {
		return publicKey{}, false, nil
	}
	k, ok := usableJWK(jwk, alg)
	if !ok {
		return publicKey{}, true, errors.New("key named by kid does not fit the token's alg")
	}
	return k, true, nil
}

// keysFor returns every cached key usable with alg, for tokens without kid.
func (s *jwksSource) keysFor(alg string) []publicKey {
	all, err := s.storage.KeyReadAll(s.ctx)
	if err != nil {
		return nil
	}
	var out []publicKey
	for _, jwk := range all {
		if k, ok := usableJWK(jwk, alg); ok {
			out = append(out, k)
		}
	}
	return out
}

// usableJWK checks that a JWK is a signature key of alg's family and, when it
// declares an alg, that it is this one.
func usableJWK(jwk jwkset.JWK, alg string) (publicKey, bool) {
	m := jwk.Marshal()
	if m.USE != "" && m.USE != jwkset.UseSig {
		return publicKey{}, false
	}
	if m.ALG != "" && m.ALG.String() != alg {
		return publicKey{}, false
	}
	key := jwk.Key()
	if pk, ok := key.(interface{ Public() crypto.PublicKey }); ok {
		key = pk.Public()
	}
	fam := publicKeyFamily(key)
	if fam == familyNone || fam != algFamily[alg] {
		return publicKey{}, false
	}
	return publicKey{key: key, family: fam}, true
}
