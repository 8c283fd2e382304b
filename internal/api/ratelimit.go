package api

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/clinic/ehr/internal/fhirerr"
)

// Per-client rate limiting, before authentication.
//
// The key is chosen without verifying the token a second time:
//   - a request whose bearer token was already accepted once is charged to
//     that token (the SHA-256 of its bytes: the key never holds the token);
//   - any other request (no token, a token never seen, a token that was
//     refused) is charged to the client's address, as resolved through
//     trusted proxies.
//
// A token is marked accepted after its first request went through
// authentication without a token refusal. Forged or random tokens therefore
// never get a bucket of their own: rotating them buys nothing, every one is
// charged to the sender's address. Unverified claims (sub, client_id) are
// never used as a key, since anyone could then spend someone else's budget.
// A valid token's budget is its own, so clients behind one NAT or proxy do
// not starve each other.

const (
	// maxRateClients bounds the limiter's memory. Beyond it, new tokens
	// stay charged to their address until idle entries expire.
	maxRateClients = 100_000
	// rateSweepEvery is how often idle entries are dropped.
	rateSweepEvery = time.Minute
	// rateMinIdle is the shortest idle time before an entry is dropped; an
	// entry also waits until its bucket has refilled, so that dropping it
	// forgives nothing.
	rateMinIdle = 5 * time.Minute
)

type rateLimiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration // entries unused this long are dropped

	mu        sync.Mutex
	clients   map[string]*rateEntry
	lastSweep time.Time
}

type rateEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &rateLimiter{
		limit:   rate.Limit(perSecond),
		burst:   burst,
		idle:    max(rateMinIdle, 2*refill),
		clients: map[string]*rateEntry{},
	}
}

// take charges one request to key. It returns 0 when the request may go
// on, or how long the client should wait.
func (l *rateLimiter) take(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	e := l.clients[key]
	if e == nil {
		if len(l.clients) >= maxRateClients {
			// Full: every new client shares one bucket until idle
			// entries expire, so the map cannot be grown without bound.
			key = "overflow"
			if e = l.clients[key]; e == nil {
				e = &rateEntry{lim: rate.NewLimiter(l.limit, l.burst)}
				l.clients[key] = e
			}
		} else {
			e = &rateEntry{lim: rate.NewLimiter(l.limit, l.burst)}
			l.clients[key] = e
		}
	}
	e.seen = now
	r := e.lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d
	}
	return 0
}

// known reports whether a token key has a bucket, i.e. was accepted before.
func (l *rateLimiter) known(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.clients[key]
	return ok
}

// accept gives a token that authentication let through its own bucket.
func (l *rateLimiter) accept(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.clients[key]; ok || len(l.clients) >= maxRateClients {
		return
	}
	l.clients[key] = &rateEntry{lim: rate.NewLimiter(l.limit, l.burst), seen: now}
}

// forget drops a token's bucket once the token is refused (expired,
// revoked key): its later requests are charged to the address again.
func (l *rateLimiter) forget(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.clients, key)
}

// sweep drops entries idle long enough for their bucket to be full again.
// Callers hold mu.
func (l *rateLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < rateSweepEvery {
		return
	}
	l.lastSweep = now
	for k, e := range l.clients {
		if now.Sub(e.seen) >= l.idle {
			delete(l.clients, k)
		}
	}
}

// rateLimit is the middleware. Probes and metrics are not limited; CORS
// preflights are answered before it.
func (s *Server) rateLimit() gin.HandlerFunc {
	if s.cfg.RateLimit <= 0 || s.cfg.RateBurst <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	l := newRateLimiter(s.cfg.RateLimit, s.cfg.RateBurst)
	return func(c *gin.Context) {
		path := c.Request.URL.Path
		if path == "/healthz" || path == "/readyz" || path == "/metrics" {
			c.Next()
			return
		}
		addrKey := "addr:" + clientIP(c.Request)
		tokKey := ""
		if authenticates(c) {
			if raw := presentedToken(c.Request); raw != "" {
				sum := sha256.Sum256([]byte(raw))
				tokKey = "token:" + hex.EncodeToString(sum[:16])
			}
		}
		key := addrKey
		if tokKey != "" && l.known(tokKey) {
			key = tokKey
		}
		if wait := l.take(key, time.Now()); wait > 0 {
			s.throttle(c, wait)
			return
		}
		c.Next()
		if tokKey == "" {
			return
		}
		if tokenRefused(c) {
			l.forget(tokKey)
		} else if key == addrKey && c.Writer.Status() < 500 && c.Writer.Status() != http.StatusTooManyRequests {
			l.accept(tokKey, time.Now())
		}
	}
}

// authenticates reports whether the route verifies the bearer token (every
// FHIR interaction and the audit proofs; not the CapabilityStatement).
func authenticates(c *gin.Context) bool {
	p := c.Request.URL.Path
	switch {
	case p == "/fhir/metadata":
		return false
	case p == "/fhir", strings.HasPrefix(p, "/fhir/"), strings.HasPrefix(p, "/audit/"):
		return true
	}
	return false
}

// presentedToken is the bearer token of the Authorization header, or of
// the access_token query parameter. It is only hashed into a key, never
// trusted: authentication happens later, once.
func presentedToken(r *http.Request) string {
	if v := r.Header.Get("Authorization"); v != "" {
		if scheme, rest, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(rest)
		}
	}
	return r.URL.Query().Get("access_token")
}

// tokenRefused reports whether authentication refused the request's token
// (401, or 400 invalid_request).
func tokenRefused(c *gin.Context) bool {
	if c.Writer.Status() == http.StatusUnauthorized {
		return true
	}
	wa := c.Writer.Header().Get("WWW-Authenticate")
	return strings.Contains(wa, "invalid_token") || strings.Contains(wa, "invalid_request")
}

// throttle answers 429 with Retry-After and an OperationOutcome. Under
// /fhir and /audit the refusal is audited like any other: the record names
// the address (no principal: the token was not verified).
func (s *Server) throttle(c *gin.Context, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	resp := errResponse(fhirerr.New(fhirerr.TooManyRequests, "too many requests from this client; retry after %d s", secs))
	resp.header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
	s.log.Warn("rate limited", "request_id", requestIDOf(c), "retry_after_s", secs)
	if audited(c) {
		s.finish(bareCall(s, c), resp, time.Now())
	} else {
		writeResponse(c, resp)
	}
	c.Abort()
}
