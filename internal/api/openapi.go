package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	swaggerFiles "github.com/swaggo/files"
	ginSwagger "github.com/swaggo/gin-swagger"

	"github.com/clinic/ehr/openapi"
)

// The paths of the OpenAPI document and of its browsable UI (docs/openapi.md).
const (
	openAPIJSONPath = "/openapi.json"
	openAPIYAMLPath = "/openapi.yaml"
	openAPIUIPath   = "/docs"
)

// openAPIRoutes serves the OpenAPI document, embedded in the binary, and
// Swagger UI over it. No token is needed: the document describes the API,
// not its data, as /fhir/metadata does.
func (s *Server) openAPIRoutes(r *gin.Engine) {
	for _, d := range []struct {
		path  string
		serve gin.HandlerFunc
	}{
		{openAPIJSONPath, serveDocument("application/json; charset=utf-8", openapi.JSON)},
		{openAPIYAMLPath, serveDocument("application/yaml; charset=utf-8", openapi.YAML)},
	} {
		r.GET(d.path, d.serve)
		r.HEAD(d.path, d.serve)
	}
	ui := ginSwagger.WrapHandler(swaggerFiles.NewHandler(),
		ginSwagger.URL(openAPIJSONPath),
		ginSwagger.DocExpansion("none"),
		ginSwagger.DeepLinking(true))
	r.GET(openAPIUIPath+"/*any", func(c *gin.Context) {
		if p := c.Param("any"); p == "" || p == "/" {
			c.Redirect(http.StatusFound, openAPIUIPath+"/index.html")
			return
		}
		ui(c)
	})
}

// serveDocument serves a fixed document with a strong ETag, so that
// clients and caches revalidate it cheaply (304).
func serveDocument(contentType string, body []byte) gin.HandlerFunc {
	sum := sha256.Sum256(body)
	tag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Type", contentType)
		h.Set("ETag", tag)
		h.Set("Cache-Control", "no-cache")
		http.ServeContent(c.Writer, c.Request, "", time.Time{}, bytes.NewReader(body))
	}
}

// Routes lists the routes the server serves (method, path pattern and
// handler name), for the test that checks the OpenAPI document covers them.
func (s *Server) Routes() gin.RoutesInfo { return s.router.Routes() }
