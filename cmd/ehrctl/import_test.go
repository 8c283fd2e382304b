package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/config"
)

// serve runs a server on a fresh SQLite store until the test ends.
func serve(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{"EHR_STORE": "sqlite:" + filepath.Join(dir, "ehr.db"), "EHR_AUTH_HS256_SECRET": secret, "EHR_DATA_DIR": dir}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler())
	t.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return hs.URL + "/fhir"
}

func TestImportCommandUsage(t *testing.T) {
	t.Setenv("EHR_AUTH_HS256_SECRET", "")
	file := filepath.Join(t.TempDir(), "p.ndjson")
	if err := os.WriteFile(file, []byte(`{"resourceType":"Patient","id":"a"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"help", []string{"import", "--help"}, 0, "examples:"},
		{"no file", []string{"import", "--secret", secret}, 1, "no input FILE"},
		{"no credentials", []string{"import", file}, 1, "no credentials"},
		{"short secret", []string{"import", "--secret", "short", file}, 1, "--secret"},
		{"missing file", []string{"import", "--secret", secret, file + ".gone"}, 1, "no such file"},
		{"unknown flag", []string{"import", "--bogus"}, 2, ""},
		{"server down", []string{"import", "--secret", secret, "--server", "http://127.0.0.1:1/fhir", "--retries", "1", "--no-state", file}, 1, "giving up"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, stdout, stderr := run(t, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, stdout, stderr)
			}
			if !strings.Contains(stdout+stderr, c.message) {
				t.Errorf("output lacks %q:\n%s%s", c.message, stdout, stderr)
			}
		})
	}
}

func TestSeedThenImport(t *testing.T) {
	base := serve(t)
	dir := filepath.Join(t.TempDir(), "seed")
	if code, _, stderr := run(t, "seed", "--patients", "4", "--weeks", "8", "--out", dir, "--quiet"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	t.Setenv("EHR_AUTH_HS256_SECRET", secret)
	code, stdout, stderr := run(t, "import", "--server", base, dir)
	if code != 0 || !strings.Contains(stdout, "0 failed") {
		t.Fatalf("import: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(dir + ".import-state"); err != nil {
		t.Errorf("no state file beside the input: %v", err)
	}
	code, stdout, _ = run(t, "import", "--server", base, dir)
	if code != 0 || !strings.Contains(stdout, "imported 0 resources") {
		t.Errorf("second import: exit %d: %s", code, stdout)
	}
}

func TestImportReportsRefusals(t *testing.T) {
	base := serve(t)
	file := filepath.Join(t.TempDir(), "Patient.ndjson")
	lines := `{"resourceType":"Patient","id":"ok-1","gender":"female"}` + "\n" +
		`{"resourceType":"Patient","id":"bad-1","gender":"robot"}` + "\n"
	if err := os.WriteFile(file, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := run(t, "import", "--server", base, "--secret", secret, "--no-state", file)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "Patient.ndjson:2 Patient/bad-1: 400") || !strings.Contains(stderr, "1 of 2 resources were not imported") {
		t.Errorf("stderr:\n%s", stderr)
	}
	if !strings.Contains(stdout, "1 created") {
		t.Errorf("stdout: %s", stdout)
	}
}
