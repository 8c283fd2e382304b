package api

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"regexp"
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

// recoverPanics turns a panic into a 500 OperationOutcome without details.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic serving request", "request_id", requestIDOf(c), "panic", v)
			if !c.Writer.Written() {
				writeResponse(c, errResponse(fhirerr.New(fhirerr.Internal, "internal error")))
			}
			c.Abort()
		}
	}()
	c.Next()
}

// securityHeaders: PHI must not be cached or sniffed.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if strings.HasPrefix(c.Request.URL.Path, "/fhir") && c.Request.URL.Path != "/fhir/metadata" {
		h.Set("Cache-Control", "no-store")
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
