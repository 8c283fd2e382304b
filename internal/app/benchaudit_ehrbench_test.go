//go:build ehrbench

package app_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestBenchAuditOff: in a benchmark build, EHR_BENCH_AUDIT=off still
// commits writes (they can be read back) but stores no audit record, and
// says so loudly; =on is the ordinary server.
//
//	go test -tags ehrbench ./internal/app -run TestBenchAudit
func TestBenchAuditOff(t *testing.T) {
	cases := []struct {
		audit   string
		audited bool
	}{
		{"off", false},
		{"on", true},
	}
	for _, c := range cases {
		t.Run(c.audit, func(t *testing.T) {
			var logs bytes.Buffer
			s, _, err := newBenchAuditServer(t, c.audit, &logs)
			if err != nil {
				t.Fatal(err)
			}
			tok := token(t, adminScope, "")
			created := must(t, s.do("POST", "/fhir/Patient", tok, map[string]any{
				"resourceType": "Patient", "name": []any{map[string]any{"family": "Bench"}},
			}), http.StatusCreated).json(t)
			id, _ := created["id"].(string)
			got := must(t, s.do("GET", "/fhir/Patient/"+id, tok, nil), http.StatusOK).json(t)
			if got["id"] != id {
				t.Fatalf("read back %v, want %s", got["id"], id)
			}
			must(t, s.do("GET", "/fhir/Patient/"+id, "", nil), http.StatusUnauthorized)

			size, err := s.App.Store.LogSize(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if (size > 0) != c.audited {
				t.Errorf("audit log size %d with EHR_BENCH_AUDIT=%s", size, c.audit)
			}
			if warned := strings.Contains(logs.String(), "NO AUDIT TRAIL"); warned == c.audited {
				t.Errorf("warning logged: %v with EHR_BENCH_AUDIT=%s", warned, c.audit)
			}
		})
	}
}
