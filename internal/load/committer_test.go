package load

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
)

// fakeBacklog counts records as the audit projection would, without a
// store: finish adds a request's records, step takes up to n (at most a chunk).
type fakeBacklog struct {
	mu      sync.Mutex
	waiting int64
	steps   []time.Time
}

func (f *fakeBacklog) lag() int64 { f.mu.Lock(); defer f.mu.Unlock(); return f.waiting }

func (f *fakeBacklog) step(_ context.Context, n int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiting -= min(f.waiting, n, audit.ProjectChunk)
	f.steps = append(f.steps, time.Now())
	return nil
}

func (f *fakeBacklog) add(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.waiting += int64(n)
}

// The committer projects as the recorder's sequencer does: not while
// requests keep it busy and the lag is within its bound, down to the bound
// after every batch past it, and everything once idle.
func TestCommitterProjectionPolicy(t *testing.T) {
	tests := []struct {
		name     string
		maxLag   int64
		perDo    int // records each request adds
		requests int
		// afterEach checks the lag once each request's commit returned and
		// a second, empty request (a marker) went through after it.
		maxLagAfterEach int64
		wantSteps       bool // any step before idle
	}{
		{name: "within the bound: nothing while busy", maxLag: 10_000, perDo: 22, requests: 20, maxLagAfterEach: 10_000},
		{name: "past the bound: back to it after every batch", maxLag: 100, perDo: 3*audit.ProjectChunk + 1, requests: 5, maxLagAfterEach: 100, wantSteps: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "c.db"), sqlite.Options{Synchronous: "NORMAL"})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			bl := &fakeBacklog{}
			finish := func(_ store.Tx, batch []*pending) error {
				for _, p := range batch {
					bl.add(p.events)
				}
				return nil
			}
			g := newGroupCommitter(st, finish, bl, tt.maxLag)
			defer g.Close()
			var lastCommit time.Time
			for range tt.requests {
				if _, err := g.Do(nil, tt.perDo); err != nil {
					t.Fatal(err)
				}
				if _, err := g.Do(nil, 0); err != nil { // the projection after the batch is done before this one
					t.Fatal(err)
				}
				lastCommit = time.Now()
				if lag := bl.lag(); lag > tt.maxLagAfterEach {
					t.Fatalf("lag %d after a batch, bound %d", lag, tt.maxLagAfterEach)
				}
			}
			bl.mu.Lock()
			stepped := len(bl.steps) > 0 && bl.steps[0].Before(lastCommit)
			bl.mu.Unlock()
			if stepped != tt.wantSteps {
				t.Errorf("projected while busy: %v, want %v", stepped, tt.wantSteps)
			}
			// Idle, it catches up, not before the grace after the last commit
			// (by the test's clock, read a scheduling delay after the
			// committer's: half the grace is the margin).
			n, _, err := waitCaughtUp(context.Background(), func(context.Context) (int64, error) { return bl.lag(), nil }, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				bl.mu.Lock()
				last := bl.steps[len(bl.steps)-1]
				bl.mu.Unlock()
				if last.Sub(lastCommit) < audit.ProjectionIdleGrace/2 {
					t.Errorf("caught up %v after the last commit, before the idle grace %v", last.Sub(lastCommit), audit.ProjectionIdleGrace)
				}
			}
		})
	}
}

func TestParseAuditMetrics(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    AuditMetrics
		wantErr bool
	}{
		{name: "all three", text: "# HELP x\nehr_audit_commit_batch_size_bucket{le=\"1\"} 3\nehr_audit_commit_batch_size_sum 420\nehr_audit_commit_batch_size_count 21\nehr_audit_projection_lag 7\n",
			want: AuditMetrics{Commits: 21, Requests: 420, Lag: 7}},
		{name: "no recorder", text: "go_goroutines 12\n", wantErr: true},
		{name: "not a number", text: "ehr_audit_commit_batch_size_sum x\nehr_audit_commit_batch_size_count 1\nehr_audit_projection_lag 0\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAuditMetrics([]byte(tt.text))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}
