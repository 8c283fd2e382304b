package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/config"
)

// FuzzBundle posts arbitrary bodies to the Bundle endpoint of a real server
// on SQLite: whatever arrives, the answer is never a server error.
func FuzzBundle(f *testing.F) {
	for _, seed := range []string{
		`{"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a","resource":{"resourceType":"Patient","name":[{"family":"Fuzz"}]},"request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=http://x.org|1"}}]}`,
		`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient?name=fuzz"}},{"request":{"method":"DELETE","url":"Patient/x"}}]}`,
		`{"resourceType":"Bundle","type":"transaction","entry":[{"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"urn:uuid:nope"}},"request":{"method":"PUT","url":"Observation?code=x"}}]}`,
		`{"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"PUT","url":"Patient/a","ifMatch":"W/\"9\""},"resource":{"resourceType":"Patient","id":"a"}}]}`,
		`{"resourceType":"Bundle","type":"collection"}`,
		`{"resourceType":"Bundle"}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	env := map[string]string{
		"EHR_STORE": "sqlite:" + filepath.Join(dir, "ehr.db"), "EHR_AUTH_HS256_SECRET": testSecret,
		"EHR_DATA_DIR": dir, "EHR_RATE_LIMIT": "0",
	}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		f.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler())
	f.Cleanup(func() {
		hs.Close()
		_ = a.Close(context.Background())
	})
	tok, err := auth.Mint([]byte(testSecret), auth.MintClaims{Subject: "fuzz", Scope: "user/*.cruds"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := http.NewRequest("POST", hs.URL+"/fhir", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/fhir+json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Fatalf("status %d for %q: %s", resp.StatusCode, body, out)
		}
	})
}
