package api

import (
	"encoding/json"
	"regexp"
	"strconv"
	"testing"

	"github.com/clinic/ehr/openapi"
)

// TestOpenAPIIssueCodes checks that the issue.code each documented error
// names is the one kindTable gives its status: the generator keeps its own
// copy of the table (internal/api/openapigen), as nothing may import api.
func TestOpenAPIIssueCodes(t *testing.T) {
	codeOf := map[int]string{}
	for _, e := range kindTable {
		codeOf[e.status] = e.code
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]struct {
				Description string `json:"description"`
			} `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapi.JSON, &doc); err != nil {
		t.Fatal(err)
	}
	named := regexp.MustCompile(`\(issue\.code ([a-z-]+)\)`)
	checked := 0
	for path, item := range doc.Paths {
		for method, op := range item {
			for status, resp := range op.Responses {
				m := named.FindStringSubmatch(resp.Description)
				if m == nil {
					continue
				}
				n, err := strconv.Atoi(status)
				if err != nil {
					t.Errorf("%s %s: status %q", method, path, status)
					continue
				}
				if want, ok := codeOf[n]; !ok || want != m[1] {
					t.Errorf("%s %s %d: the document says issue.code %s, kindTable says %q", method, path, n, m[1], want)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no documented error names its issue.code")
	}
}
