package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// client talks to the FHIR server: one attempt per call; the callers
// decide what to retry, because only they know whether a retry is safe.
type client struct {
	base   string // the FHIR base, without a trailing slash
	http   *http.Client
	tokens TokenSource
}

// reply is a response read whole.
type reply struct {
	status     int
	body       []byte
	retryAfter time.Duration // from Retry-After, when given
}

const fhirJSON = "application/fhir+json"

// do sends one request. url is absolute or relative to the base.
func (c *client) do(ctx context.Context, method, url, contentType string, body []byte) (*reply, error) {
	switch {
	case url == "":
		url = c.base
	case !strings.Contains(url, "://"):
		url = c.base + "/" + strings.TrimPrefix(url, "/")
	}
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	tok, err := c.tokens.Token(ctx)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", fhirJSON)
	// Only the status of each entry matters: spare the server echoing every resource.
	req.Header.Set("Prefer", "return=minimal")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("read response: %w", err)
	}
	return &reply{status: resp.StatusCode, body: raw, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}, nil
}

// retryAfter reads Retry-After in seconds (the HTTP-date form is rare
// from FHIR servers and treated as absent).
func retryAfter(v string) time.Duration {
	s, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || s < 0 {
		return 0
	}
	return time.Duration(s) * time.Second
}

// transient reports statuses worth retrying: throttling and an
// unavailable or overloaded server.
func transient(status int) bool {
	switch status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryPolicy spaces out retries: exponential backoff with full jitter,
// or what the server asks for with Retry-After.
type retryPolicy struct {
	attempts  int
	base, max time.Duration
}

func (p retryPolicy) wait(ctx context.Context, attempt int, asked time.Duration) error {
	d := asked
	if d <= 0 {
		ceiling := min(p.max, p.base<<min(attempt, 20))
		d = ceiling/2 + rand.N(ceiling/2+1)
	}
	d = min(d, time.Minute)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// outcomeSummary condenses an OperationOutcome to one line: its issues'
// diagnostics (or codes), with their locations.
func outcomeSummary(body []byte) string {
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Severity    string   `json:"severity"`
			Code        string   `json:"code"`
			Diagnostics string   `json:"diagnostics"`
			Expression  []string `json:"expression"`
		} `json:"issue"`
	}
	if json.Unmarshal(body, &oo) != nil || oo.ResourceType != "OperationOutcome" {
		s := strings.TrimSpace(string(body))
		if len(s) > 200 {
			s = s[:200] + "…"
		}
		return s
	}
	var parts []string
	for _, is := range oo.Issue {
		if is.Severity != "error" && is.Severity != "fatal" && len(oo.Issue) > 1 {
			continue
		}
		msg := is.Diagnostics
		if msg == "" {
			msg = is.Code
		}
		if len(is.Expression) > 0 {
			msg = strings.Join(is.Expression, ", ") + ": " + msg
		}
		parts = append(parts, msg)
	}
	return strings.Join(parts, "; ")
}

// errFatal marks a failure that stops the whole import: every later
// request would fail the same way.
var errFatal = errors.New("import stopped")
