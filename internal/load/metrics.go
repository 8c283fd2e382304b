package load

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// AuditMetrics are the audit recorder's figures a server exports on
// /metrics (internal/app/metrics.go) that the bench reads.
type AuditMetrics struct {
	Commits  float64 // group commits so far (ehr_audit_commit_batch_size_count)
	Requests float64 // requests they carried (ehr_audit_commit_batch_size_sum)
	Lag      float64 // records whose AuditEvent is not written yet (ehr_audit_projection_lag)
}

// AuditMetrics scrapes /metrics. A server that exports none of them is an
// error: the bench would report nothing in their place.
func (c *Client) AuditMetrics(ctx context.Context) (AuditMetrics, error) {
	resp, err := c.Do(ctx, "GET", "/metrics", nil)
	if err != nil {
		return AuditMetrics{}, fmt.Errorf("scrape metrics: %w", err)
	}
	if resp.Status != 200 {
		return AuditMetrics{}, fmt.Errorf("scrape metrics: status %d", resp.Status)
	}
	return parseAuditMetrics(resp.Body)
}

func parseAuditMetrics(text []byte) (AuditMetrics, error) {
	var m AuditMetrics
	fields := map[string]*float64{
		"ehr_audit_commit_batch_size_count": &m.Commits,
		"ehr_audit_commit_batch_size_sum":   &m.Requests,
		"ehr_audit_projection_lag":          &m.Lag,
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		dst := fields[name] // unlabelled samples only: these three have no labels
		if !ok || dst == nil {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		if err != nil {
			return AuditMetrics{}, fmt.Errorf("metrics: %s: %w", name, err)
		}
		*dst = v
		seen++
	}
	if err := sc.Err(); err != nil {
		return AuditMetrics{}, fmt.Errorf("read metrics: %w", err)
	}
	if seen != len(fields) {
		return AuditMetrics{}, fmt.Errorf("metrics: %d of the audit recorder's %d figures exported", seen, len(fields))
	}
	return m, nil
}

// catchUpPoll is how often the bench looks whether a projection is done.
const catchUpPoll = 10 * time.Millisecond

// waitCaughtUp polls lag until no record waits for its AuditEvent, and
// returns how many waited at first and how long they took: the catch-up
// after a measured window, which the server does while idle and which
// must not overlap the next side's window.
func waitCaughtUp(ctx context.Context, lag func(context.Context) (int64, error), limit time.Duration) (records int64, took time.Duration, err error) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for first := true; ; first = false {
		n, err := lag(ctx)
		if err != nil {
			return records, time.Since(start), fmt.Errorf("audit projection catch-up: %w", err)
		}
		if first {
			records = n
		}
		if n == 0 {
			return records, time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return records, time.Since(start), fmt.Errorf("audit projection catch-up: %d of %d records still wait: %w", n, records, ctx.Err())
		case <-time.After(catchUpPoll):
		}
	}
}
