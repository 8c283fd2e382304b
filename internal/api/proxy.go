package api

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/gin-gonic/gin"
)

// clientAddrKey holds, in the request context, the client address that
// realClient resolved.
type clientAddrKey struct{}

// maxForwardedHops bounds how far X-Forwarded-For is walked; a longer chain
// of trusted proxies is a misconfiguration, not a deployment.
const maxForwardedHops = 32

// realClient resolves the client's address once per request, so that the
// audit trail and the rate limiter agree on it. X-Forwarded-For counts only
// when the socket peer is a trusted proxy (Config.TrustedProxies).
func (s *Server) realClient(c *gin.Context) {
	addr := resolveClient(c.Request, s.cfg.TrustedProxies)
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), clientAddrKey{}, addr))
	c.Next()
}

// clientIP is the address of the client that sent r: the one realClient
// resolved, or the socket peer when the request did not pass through it.
// It replaces clientAddress (call.go) for the audit trail's
// agent.network.address.
func clientIP(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok && a != "" {
		return a
	}
	return peerAddress(r)
}

// peerAddress is the socket peer's address without the port.
func peerAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().WithZone("").String()
	}
	return host
}

// resolveClient walks X-Forwarded-For from the right, the end our own
// proxies wrote, while the hops are trusted proxies. The first untrusted
// hop is the client: whatever stands to its left was written by the client
// itself and is not believed. A malformed entry stops the walk at the last
// hop that could be believed.
func resolveClient(r *http.Request, trusted []netip.Prefix) string {
	peer := peerAddress(r)
	if len(trusted) == 0 {
		return peer
	}
	addr, err := netip.ParseAddr(peer)
	if err != nil || !isTrusted(addr, trusted) {
		return peer
	}
	hops := forwardedHops(r.Header.Values("X-Forwarded-For"))
	client := addr
	for i, n := len(hops)-1, 0; i >= 0 && n < maxForwardedHops; i, n = i-1, n+1 {
		hop, ok := parseHop(hops[i])
		if !ok {
			break
		}
		client = hop
		if !isTrusted(hop, trusted) {
			break
		}
	}
	return client.String()
}

// forwardedHops splits every X-Forwarded-For header, in order, into entries.
func forwardedHops(values []string) []string {
	var out []string
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			out = append(out, strings.TrimSpace(h))
		}
	}
	return out
}

// parseHop reads one X-Forwarded-For entry: an address, optionally with a
// port ("203.0.113.7:4711", "[2001:db8::1]:4711") or in brackets.
func parseHop(h string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
