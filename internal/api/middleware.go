package api

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/internal/fhirerr"
)

const requestIDKey = "request_id"

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID takes a well-formed X-Request-Id from the client or makes one,
// and echoes it.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader("X-Request-Id")
	if !validRequestID.MatchString(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
}

func requestIDOf(c *gin.Context) string { return c.GetString(requestIDKey) }

// recoverPanics turns a panic into a 500 OperationOutcome without details:
// the panic value and stack go to the server log only. Under /fhir and
// /audit the failure is audited like any other outcome.
func (s *Server) recoverPanics(c *gin.Context) {
	start := time.Now()
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("panic serving request", "request_id", requestIDOf(c), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		c.Abort()
		if !c.Writer.Written() {
			s.internalError(c, start)
		}
	}()
	c.Next()
}

// resourceHeaderNames are headers a failed handler may have left behind; an
// error response must not carry them.
var resourceHeaderNames = []string{"ETag", "Location", "Content-Location", "Last-Modified", "Warning", "Content-Type", "Content-Length", "Retry-After"}

// internalError answers 500 after a panic, recording the audit event when
// the path is audited. Should auditing itself panic, the 500 still goes out.
func (s *Server) internalError(c *gin.Context, start time.Time) {
	h := c.Writer.Header()
	for _, name := range resourceHeaderNames {
		h.Del(name)
	}
	resp := errResponse(fhirerr.New(fhirerr.Internal, "internal error"))
	if !audited(c) {
		writeResponse(c, resp)
		return
	}
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("panic recording a failed request", "request_id", requestIDOf(c), "panic", fmt.Sprint(v))
			if !c.Writer.Written() {
				writeResponse(c, resp)
			}
		}
	}()
	s.finish(bareCall(s, c), resp, start)
}

// audited reports whether requests to this path produce AuditEvents: every
// FHIR interaction but the CapabilityStatement, and the audit-log proofs.
func audited(c *gin.Context) bool {
	p := c.Request.URL.Path
	return (strings.HasPrefix(p, "/fhir") && p != "/fhir/metadata") || strings.HasPrefix(p, "/audit/")
}

// bareCall describes a request that middleware answers before its handler
// ran (throttled, panicked), for the audit record: the interaction comes
// from the matched route, and no principal is known.
func bareCall(s *Server, c *gin.Context) *call {
	interaction, action := routeInteraction(c)
	k := &call{s: s, c: c, ctx: c.Request.Context(), interaction: interaction, action: action,
		typ: c.Param("type"), id: c.Param("id")}
	if strings.HasPrefix(c.Request.URL.Path, "/audit/") {
		k.typ = "AuditEvent"
	}
	return k
}

// routeInteraction names the FHIR interaction of the matched route (the
// audit subtype and action), "operation" when there is none.
func routeInteraction(c *gin.Context) (interaction, action string) {
	switch c.Request.Method + " " + c.FullPath() {
	case "GET /fhir/:type", "POST /fhir/:type/_search":
		return "search-type", "E"
	case "POST /fhir/:type":
		return "create", "C"
	case "GET /fhir/:type/:id":
		return "read", "R"
	case "PUT /fhir/:type/:id", "PUT /fhir/:type":
		return "update", "U"
	case "DELETE /fhir/:type/:id", "DELETE /fhir/:type":
		return "delete", "D"
	case "GET /fhir/:type/:id/_history":
		return "history-instance", "R"
	case "GET /fhir/:type/:id/_history/:vid":
		return "vread", "R"
	}
	if strings.HasPrefix(c.Request.URL.Path, "/audit/") {
		return "operation", "R"
	}
	return "operation", "E"
}

// securityHeaders are set on every response, errors included, before any
// handler runs. Responses that may hold PHI (everything under /fhir but the
// CapabilityStatement, and /audit) must not be cached, sniffed, framed or
// rendered as a document.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if c.Request.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	if p := c.Request.URL.Path; (strings.HasPrefix(p, "/fhir") && p != "/fhir/metadata") || strings.HasPrefix(p, "/audit") {
		h.Set("Cache-Control", "no-store")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	}
	c.Next()
}

// accessLog writes one structured line per request: never the query string,
// the body or the token, which can hold PHI.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	s.log.Info("request",
		"request_id", requestIDOf(c),
		"method", c.Request.Method,
		"route", c.FullPath(),
		"status", c.Writer.Status(),
		"duration_ms", float64(time.Since(start).Microseconds())/1000,
		"bytes", c.Writer.Size(),
	)
}

// noRoute answers unknown paths. Under /fhir it is a FHIR interaction like
// any other: authenticated and audited.
func (s *Server) noRoute(c *gin.Context) {
	if !strings.HasPrefix(c.Request.URL.Path, "/fhir") {
		c.JSON(http.StatusNotFound, gin.H{"error": "not found"})
		return
	}
	k := &call{s: s, c: c, ctx: c.Request.Context(), interaction: "operation", action: "E"}
	start := time.Now()
	resp, ok := k.authenticate()
	if ok {
		resp = errResponse(fhirerr.New(fhirerr.NotFound, "no such FHIR endpoint: %s %s", c.Request.Method, c.Request.URL.Path))
	}
	s.finish(k, resp, start)
}

// bearerFromParams moves a lone access_token parameter (RFC 6750 §2.2,
// §2.3) out of the query string or the form body and into the
// Authorization header, before any handler sees the request. Tokens in
// URLs end up in logs (§5.3); here the query is also recorded byte for byte
// in AuditEvent.entity.query and echoed in Bundle links, which must never
// hold a credential. Authentication is unchanged: the token is checked just
// as before, once. Ambiguous requests (a header and a parameter, or the
// parameter twice) are left as they are, for authentication to refuse with
// invalid_request before anything is recorded.
func (s *Server) bearerFromParams(c *gin.Context) {
	r := c.Request
	if r.Header.Get("Authorization") != "" {
		c.Next()
		return
	}
	inQuery := paramValues(r.URL.RawQuery, "access_token")
	var form []byte
	var inForm []string
	if r.Method == http.MethodPost && r.Body != nil && isForm(r) {
		body, err := io.ReadAll(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
		if err == nil && int64(len(body)) <= s.cfg.MaxBodyBytes {
			form, inForm = body, paramValues(string(body), "access_token")
		}
	}
	if len(inQuery)+len(inForm) != 1 {
		c.Next()
		return
	}
	tok := ""
	if len(inQuery) == 1 {
		tok = inQuery[0]
	} else {
		tok = inForm[0]
	}
	if !plainToken(tok) {
		c.Next() // authentication refuses it with invalid_request
		return
	}
	r.Header.Set("Authorization", "Bearer "+tok)
	if len(inQuery) == 1 {
		r.URL.RawQuery = withoutParam(r.URL.RawQuery, "access_token")
		r.RequestURI = r.URL.RequestURI()
	} else {
		rest := []byte(withoutParam(string(form), "access_token"))
		r.Body = io.NopCloser(bytes.NewReader(rest))
		r.ContentLength = int64(len(rest))
		r.Header.Set("Content-Length", strconv.Itoa(len(rest)))
	}
	c.Next()
}

func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// paramValues returns the values of name in a raw query or form body.
func paramValues(raw, name string) []string {
	if !strings.Contains(raw, name) {
		return nil
	}
	var out []string
	for _, part := range strings.Split(raw, "&") {
		k, v, _ := strings.Cut(part, "=")
		if key, err := url.QueryUnescape(k); err == nil && key == name {
			val, err := url.QueryUnescape(v)
			if err != nil {
				val = v
			}
			out = append(out, val)
		}
	}
	return out
}

// withoutParam drops every name=… part of a raw query, keeping the others
// byte for byte and in order.
func withoutParam(raw, name string) string {
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, part := range parts {
		k, _, _ := strings.Cut(part, "=")
		if key, err := url.QueryUnescape(k); err == nil && key == name {
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&")
}

// plainToken accepts what may go into a header unchanged: printable ASCII
// without spaces. The b64token syntax itself is checked by authentication.
func plainToken(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] <= ' ' || t[i] >= 0x7f {
			return false
		}
	}
	return true
}
