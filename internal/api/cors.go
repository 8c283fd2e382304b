package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/clinic/ehr/internal/fhirerr"
)

// What a browser application on an allowed origin may do. Credentials mode
// is never needed: the token travels in the Authorization header, which a
// script sets itself, so Access-Control-Allow-Credentials is never sent and
// Access-Control-Allow-Origin always names one exact origin, never "*".
const (
	corsAllowMethods  = "GET, HEAD, POST, PUT, DELETE"
	corsAllowHeaders  = "Authorization, Content-Type, Accept, If-Match, If-None-Exist, If-None-Match, If-Modified-Since, Prefer, X-Request-Id"
	corsExposeHeaders = "ETag, Location, Last-Modified, X-Request-Id, WWW-Authenticate, Retry-After, Warning"
	corsMaxAge        = "600"
)

// cors answers CORS preflights (without a token: a preflight carries none)
// and marks responses to allowed origins. Origins are compared exactly
// (Config.CORSOrigins, normalised by config.ParseOrigins); a refused
// preflight gets 403 and no CORS header, so the browser never sends the
// request. Non-preflight requests from other origins are served as any
// request is, without CORS headers: the browser withholds the response from
// the page.
func (s *Server) cors() gin.HandlerFunc {
	allowed := make(map[string]bool, len(s.cfg.CORSOrigins))
	for _, o := range s.cfg.CORSOrigins {
		allowed[strings.ToLower(strings.TrimRight(o, "/"))] = true
	}
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" {
			if len(allowed) > 0 {
				c.Writer.Header().Add("Vary", "Origin")
			}
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Add("Vary", "Origin")
		ok := allowed[strings.ToLower(origin)]
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			if !ok {
				writeResponse(c, errResponse(fhirerr.New(fhirerr.Forbidden, "cross-origin requests from this origin are not allowed")))
				c.Abort()
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Methods", corsAllowMethods)
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", corsMaxAge)
			c.Status(http.StatusNoContent)
			c.Writer.WriteHeaderNow()
			c.Abort()
			return
		}
		if ok {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		c.Next()
	}
}
