package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/config"

	_ "modernc.org/sqlite" // the driver for editing the store behind ehrctl's back
)

const secret = "ehrctl-test-secret-0123456789abcdef0123"

// populate runs a real server on storeURL, registers a patient, reads it
// twice and searches once, then shuts the server down. It returns the id.
func populate(t *testing.T, storeURL, dataDir string) string {
	t.Helper()
	env := map[string]string{"EHR_STORE": storeURL, "EHR_AUTH_HS256_SECRET": secret, "EHR_DATA_DIR": dataDir}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler())
	tok, err := auth.Mint([]byte(secret), auth.MintClaims{Subject: "nurse-1", Scope: "user/Patient.cruds", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) []byte {
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != "" {
			req.Header.Set("Content-Type", "application/fhir+json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	var p struct{ ID string }
	if err := json.Unmarshal(call("POST", "/fhir/Patient", `{"resourceType":"Patient","name":[{"family":"Lindqvist"}]}`), &p); err != nil || p.ID == "" {
		t.Fatalf("create: %v", err)
	}
	call("GET", "/fhir/Patient/"+p.ID, "")
	call("GET", "/fhir/Patient/"+p.ID, "")
	call("GET", "/fhir/Patient?family=lindqvist", "")
	hs.Close()
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := mainCode(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestAuditCommands(t *testing.T) {
	stores := map[string]func(dir string) string{
		"sqlite": func(dir string) string { return "sqlite:" + filepath.Join(dir, "ehr.db") },
		"lungo":  func(dir string) string { return "lungo:" + filepath.Join(dir, "ehr.lungo") },
	}
	for name, storeURL := range stores {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			url := storeURL(dir)
			pid := populate(t, url, dir)
			t.Setenv("EHR_STORE", url)
			t.Setenv("EHR_DATA_DIR", dir)

			code, out, errOut := run(t, "audit", "verify")
			if code != 0 || !strings.Contains(out, "ok: 4 audit records verified") {
				t.Fatalf("verify: code %d, out %q, err %q", code, out, errOut)
			}
			code, out, _ = run(t, "audit", "export", "--format", "ndjson", "--quiet")
			if code != 0 || strings.Count(out, "\n") != 4 || !strings.Contains(out, `"resourceType":"AuditEvent"`) {
				t.Fatalf("export ndjson: code %d:\n%s", code, out)
			}
			code, out, _ = run(t, "audit", "export", "--format", "csv", "--quiet", "--from", "2000-01-01", "--to", "2999-01-01")
			if code != 0 || strings.Count(out, "\n") != 5 || !strings.HasPrefix(out, "seq,id,recorded") {
				t.Fatalf("export csv: code %d:\n%s", code, out)
			}
			code, out, _ = run(t, "audit", "export", "--format", "csv", "--quiet", "--to", "2001-01-01")
			if code != 0 || strings.Count(out, "\n") != 1 {
				t.Fatalf("export of an empty period: code %d:\n%s", code, out)
			}
			code, out, _ = run(t, "audit", "accounting", "--patient", pid, "--format", "csv")
			// create, two reads and the search all touched the patient.
			if code != 0 || strings.Count(out, "\n") != 5 || !strings.Contains(out, "nurse-1") {
				t.Fatalf("accounting: code %d:\n%s", code, out)
			}
			if code, _, _ := run(t, "audit", "accounting"); code == 0 {
				t.Error("accounting without --patient succeeded")
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
	}{
		{nil, 2},
		{[]string{"--help"}, 0},
		{[]string{"nope"}, 2},
		{[]string{"token", "--help"}, 0},
		{[]string{"token", "--sub", "x"}, 1},
		{[]string{"token", "--bogus"}, 2},
		{[]string{"audit"}, 2},
		{[]string{"audit", "frobnicate"}, 2},
		{[]string{"audit", "export", "--format", "xml"}, 1},
		{[]string{"audit", "verify", "--help"}, 0},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Setenv("EHR_AUTH_HS256_SECRET", "")
			if code, _, errOut := run(t, c.args...); code != c.code {
				t.Errorf("exit %d, want %d (%s)", code, c.code, errOut)
			}
		})
	}
}

func TestTokenVerifies(t *testing.T) {
	code, out, errOut := run(t, "token", "--secret", secret, "--sub", "alice", "--scope", "user/Patient.rs", "--ttl", "5m")
	if code != 0 {
		t.Fatalf("token: %d %s", code, errOut)
	}
	v, err := auth.NewVerifier(context.Background(), auth.Config{HS256Secret: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if p.Subject != "alice" || len(p.Scopes) != 1 {
		t.Errorf("principal = %+v", p)
	}
}

func TestBackup(t *testing.T) {
	dir := t.TempDir()
	url := "sqlite:" + filepath.Join(dir, "ehr.db")
	populate(t, url, dir)
	t.Setenv("EHR_STORE", url)
	t.Setenv("EHR_DATA_DIR", dir)
	copyPath := filepath.Join(dir, "copy.db")
	if code, _, errOut := run(t, "backup", "--out", copyPath); code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	// The copy is a complete store: its audit log verifies.
	t.Setenv("EHR_STORE", "sqlite:"+copyPath)
	if code, out, errOut := run(t, "audit", "verify"); code != 0 || !strings.Contains(out, "ok: 4") {
		t.Fatalf("verify the copy: %d %s %s", code, out, errOut)
	}
	if code, _, _ := run(t, "backup", "--out", copyPath); code == 0 {
		t.Error("backup overwrote an existing file")
	}
}

// A server that stopped abruptly can leave its last audit records without
// their searchable AuditEvents (internal/audit/projection.go). The
// accounting, which searches them, must still list every access.
func TestAccountingAfterAbruptStop(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ehr.db")
	pid := populate(t, "sqlite:"+path, dir)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	// As if the server had died right after the create's record: the
	// AuditEvents of the reads and the search were never written.
	const later = `SELECT rowid FROM resource WHERE type = 'AuditEvent' AND id IN (SELECT rid FROM audit_log WHERE seq >= 1)`
	for _, q := range []string{`DELETE FROM idx WHERE res IN (` + later + `)`, `DELETE FROM resource WHERE rowid IN (` + later + `)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	t.Setenv("EHR_STORE", "sqlite:"+path)
	t.Setenv("EHR_DATA_DIR", dir)
	if code, out, errOut := run(t, "audit", "verify"); code != 0 {
		t.Fatalf("verify before: code %d, out %q, err %q", code, out, errOut)
	}
	code, out, _ := run(t, "audit", "accounting", "--patient", pid, "--format", "csv")
	if code != 0 || strings.Count(out, "\n") != 5 {
		t.Fatalf("accounting: code %d, want the create, two reads and the search:\n%s", code, out)
	}
	if code, out, errOut := run(t, "audit", "verify"); code != 0 || !strings.Contains(out, "ok: 4 audit records verified") {
		t.Fatalf("verify after: code %d, out %q, err %q", code, out, errOut)
	}
}
