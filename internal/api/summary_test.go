package api

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/clinic/ehr/internal/search"
)

const summaryPatient = `{"resourceType":"Patient","id":"p1","meta":{"versionId":"3","lastUpdated":"2024-03-10T08:00:00.000Z","tag":[{"system":"urn:t","code":"x"}]},` +
	`"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Peter</div>"},` +
	`"extension":[{"url":"http://example.org/weight-at-birth","valueDecimal":3.50}],` +
	`"name":[{"family":"Chalmers"}],"birthDate":"1974-12-25","maritalStatus":{"text":"married"},` +
	`"contact":[{"name":{"family":"Chalmers"}}]}`

func TestSummarize(t *testing.T) {
	cases := []struct {
		req          *search.Request
		keys         []string // top-level members, sorted
		unchanged    bool
		decimalsKept bool
	}{
		{req: nil, unchanged: true},
		{req: &search.Request{}, unchanged: true},
		{req: &search.Request{Summary: "false"}, unchanged: true},
		{req: &search.Request{Summary: "count"}, unchanged: true},
		{req: &search.Request{Summary: "true", Elements: []string{"name"}}, unchanged: true}, // _elements wins
		{req: &search.Request{Summary: "true"}, keys: []string{"birthDate", "id", "meta", "name", "resourceType"}},
		{req: &search.Request{Summary: "text"}, keys: []string{"id", "meta", "resourceType", "text"}},
		{req: &search.Request{Summary: "data"}, keys: []string{"birthDate", "contact", "extension", "id", "maritalStatus", "meta", "name", "resourceType"}, decimalsKept: true},
	}
	for _, c := range cases {
		name := "nil"
		if c.req != nil {
			name = c.req.Summary + "/" + strings.Join(c.req.Elements, ",")
		}
		t.Run(name, func(t *testing.T) {
			out := summarize([]byte(summaryPatient), c.req)
			if c.unchanged {
				if string(out) != summaryPatient {
					t.Errorf("body changed: %s", out)
				}
				return
			}
			var doc map[string]any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for k := range doc {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			if !slices.Equal(keys, c.keys) {
				t.Errorf("members %v, want %v", keys, c.keys)
			}
			meta := doc["meta"].(map[string]any)
			tags := meta["tag"].([]any)
			if len(tags) != 2 || tags[1].(map[string]any)["code"] != "SUBSETTED" || meta["versionId"] != "3" {
				t.Errorf("meta = %v, want the client's tag, then SUBSETTED", meta)
			}
			if c.decimalsKept && !strings.Contains(string(out), `"valueDecimal":3.50`) {
				t.Errorf("the decimal lost its precision: %s", out)
			}
		})
	}
}

func TestMarkSubsettedOnce(t *testing.T) {
	meta := map[string]any{"tag": []any{subsetted}}
	doc := map[string]any{"meta": meta}
	markSubsetted(doc)
	markSubsetted(doc)
	if tags := doc["meta"].(map[string]any)["tag"].([]any); len(tags) != 1 {
		t.Errorf("tags = %v", tags)
	}
	bare := map[string]any{"resourceType": "Patient"}
	markSubsetted(bare)
	if tags := bare["meta"].(map[string]any)["tag"].([]any); len(tags) != 1 {
		t.Errorf("tags = %v", tags)
	}
}
