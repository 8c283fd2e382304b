package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSeedCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "seed")
	cases := []struct {
		name    string
		args    []string
		code    int
		message string // in stderr (failures) or stdout (success)
	}{
		{"help", []string{"seed", "--help"}, 0, "examples:"},
		{"no patients", []string{"seed", "--out", out}, 1, "--patients is required"},
		{"bad format", []string{"seed", "--patients", "2", "--format", "xml", "--out", out}, 1, `--format "xml"`},
		{"bad start", []string{"seed", "--patients", "2", "--start", "05/01/2026", "--out", out}, 1, "--start"},
		{"bad weeks", []string{"seed", "--patients", "2", "--weeks", "0", "--out", out}, 1, "weeks"},
		{"unknown flag", []string{"seed", "--bogus"}, 2, ""},
		{"ndjson", []string{"seed", "--patients", "3", "--format", "ndjson", "--out", out, "--quiet"}, 0, "for 3 patients"},
		{"refuses to mix with an earlier run", []string{"seed", "--patients", "3", "--out", out}, 1, "already holds"},
		{"forced", []string{"seed", "--patients", "3", "--out", out, "--force"}, 0, "resources/s"},
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
	for _, name := range []string{"Patient.ndjson", "Appointment.ndjson", "p-000003.json"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
}
