//go:build !ehrbench

package app_test

import (
	"io"
	"os"
	"strings"
	"testing"
)

// TestBenchAuditRefused: a binary built without the ehrbench tag refuses
// EHR_BENCH_AUDIT, whatever its value, before it opens anything.
func TestBenchAuditRefused(t *testing.T) {
	for _, value := range []string{"off", "on"} {
		t.Run(value, func(t *testing.T) {
			_, path, err := newBenchAuditServer(t, value, io.Discard)
			if err == nil {
				t.Fatal("the server started")
			}
			for _, want := range []string{"EHR_BENCH_AUDIT", "ehrbench"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name %s", err, want)
				}
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("the store was opened before the refusal: %v", err)
			}
		})
	}
}
