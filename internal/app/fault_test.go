package app_test

// Storage outage on SQLite (docs/resilience.md), and the helpers that the
// resilience tests share (crash_test.go, slowclient_test.go,
// audit_overhead_test.go). Every helper's name starts with rz so that it
// cannot collide with the other test files of the package.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/config"
	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/sqlite"
)

const rzMRNSystem = "http://clinic.example.org/mrn"

// TestStorageFull fills the SQLite file (PRAGMA max_page_count on the writer
// connection, as a full disk or an exhausted quota would), then checks that
// PHI requests fail closed with 503 and an OperationOutcome, that /readyz
// reports the outage while /healthz stays up, and that service resumes by
// itself once space is back, with the audit log continuing without a gap.
func TestStorageFull(t *testing.T) {
	s := rzStart(t, "sqlite:"+filepath.Join(t.TempDir(), "ehr.db"), nil)
	st, ok := s.App.Store.(*sqlite.Store)
	if !ok {
		t.Fatalf("store is %T, want *sqlite.Store", s.App.Store)
	}
	ctx := context.Background()
	admin := token(t, adminScope, "")
	officer := token(t, "user/AuditEvent.rs", "")

	pid := rzCreateID(t, must(t, s.do("POST", "/fhir/Patient", admin, rzPatientJSON("Full", "MRN-FULL-0")), http.StatusCreated))
	must(t, s.do("GET", "/fhir/Patient/"+pid, admin, nil), http.StatusOK)
	must(t, s.do("GET", "/readyz", "", nil), http.StatusOK)
	sizeBefore, err := st.LogSize(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// The writer pool holds exactly one connection, so the pragma applies to
	// every later commit and to Ping.
	db := st.DB()
	var pages, free int64
	if err := db.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "PRAGMA freelist_count").Scan(&free); err != nil {
		t.Fatal(err)
	}
	rzSetMaxPages(t, db, pages)
	t.Logf("file capped at its current %d pages (%d free)", pages, free)
	restored := false
	defer func() {
		if !restored {
			rzSetMaxPages(t, db, 1<<30)
		}
	}()

	// B-tree pages keep some free space, so the first small records may still
	// fit. Reads write one AuditEvent each: send them until one is refused,
	// which happens once the slack is used up (bounded).
	var first *reply
	for i := 0; i < 200; i++ {
		r := s.do("GET", "/fhir/Patient/"+pid, admin, nil)
		if r.Status != http.StatusOK {
			first = r
			break
		}
	}
	if first == nil {
		t.Fatal("200 reads succeeded on a file that cannot grow: the audit records are not being written")
	}
	rzWantUnavailable(t, "read (audit record cannot be stored)", first)

	// From now on, every PHI request fails closed.
	rzWantUnavailable(t, "read", s.do("GET", "/fhir/Patient/"+pid, admin, nil))
	rzWantUnavailable(t, "create", s.do("POST", "/fhir/Patient", admin, rzPatientJSON("Full", "MRN-FULL-1")))
	rzWantUnavailable(t, "search", s.do("GET", "/fhir/Patient?identifier="+url.QueryEscape(rzMRNSystem+"|MRN-FULL-0"), admin, nil))
	rzWantUnavailable(t, "update", s.do("PUT", "/fhir/Patient/"+pid, admin, rzPatientJSONWithID(pid, "Full", "MRN-FULL-0", "555-0100")))
	t.Run("healthz", func(t *testing.T) {
		must(t, s.do("GET", "/healthz", "", nil), http.StatusOK)
	})
	t.Run("readyz", func(t *testing.T) {
		if r := s.do("GET", "/readyz", "", nil); r.Status != http.StatusServiceUnavailable {
			t.Errorf("/readyz = %d while the database cannot grow, want 503 (Store.Ping does not detect a full file): %s", r.Status, r.Body)
		}
	})
	t.Run("logged", func(t *testing.T) {
		// Operators learn of the outage from the server's own log.
		if !strings.Contains(s.logs.String(), "audit group commit failed") {
			t.Errorf("the failed group commits are not in the server's log (the recorder logs elsewhere)")
		}
	})

	// Space comes back: the server resumes without a restart.
	rzSetMaxPages(t, db, 1<<30)
	restored = true
	deadline := time.Now().Add(5 * time.Second)
	for {
		ready := s.do("GET", "/readyz", "", nil).Status == http.StatusOK
		read := s.do("GET", "/fhir/Patient/"+pid, admin, nil).Status == http.StatusOK
		if ready && read {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("service did not resume within 5s of space coming back (ready %v, read %v)", ready, read)
		}
		time.Sleep(50 * time.Millisecond)
	}
	nid := rzCreateID(t, must(t, s.do("POST", "/fhir/Patient", admin, rzPatientJSON("Full", "MRN-FULL-2")), http.StatusCreated))
	must(t, s.do("GET", "/fhir/Patient/"+nid, admin, nil), http.StatusOK)

	// The refused create left nothing behind; the refused update neither.
	if got := rzSearchIDs(t, s.URL, admin, "/fhir/Patient?identifier="+url.QueryEscape(rzMRNSystem+"|MRN-FULL-1")); len(got) != 0 {
		t.Errorf("the create refused with 503 was stored: %v", got)
	}
	r := must(t, s.do("GET", "/fhir/Patient/"+pid, admin, nil), http.StatusOK)
	if v := rzVersion(t, r); v != 1 {
		t.Errorf("the update refused with 503 was stored: version %d", v)
	}
	// The recovered create has its AuditEvent.
	evs := rzAuditEvents(t, s.URL, officer, "Patient/"+nid)
	if !rzHasEvent(evs, "C", "Patient/"+nid+"/_history/1") {
		t.Errorf("no create AuditEvent for Patient/%s after recovery", nid)
	}

	// The log continues where it stopped: contiguous and verifiable.
	rep, err := audit.Verify(ctx, st, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Fatalf("audit log does not verify after the outage: record %d: %s", rep.FirstBad, rep.Problem)
	}
	if rep.Size <= sizeBefore {
		t.Errorf("audit log did not grow after recovery: %d -> %d", sizeBefore, rep.Size)
	}
	if cp := s.App.Recorder.LastCheckpoint(); cp == nil {
		t.Log("no checkpoint signed yet")
	}
	stats := s.App.Recorder.Stats()
	t.Logf("audit log %d -> %d records; recorder: %d commits, %d failed", sizeBefore, rep.Size, stats.Commits, stats.Failures)
	if stats.Failures == 0 {
		t.Errorf("the recorder counted no failed commit during the outage")
	}
}

func rzSetMaxPages(t *testing.T, db *sql.DB, n int64) {
	t.Helper()
	// PRAGMA takes no bound parameters; n is an integer we computed.
	var got int64
	if err := db.QueryRow(fmt.Sprintf("PRAGMA max_page_count = %d", n)).Scan(&got); err != nil {
		t.Fatalf("set max_page_count: %v", err)
	}
}

// rzWantUnavailable asserts a 503 with an OperationOutcome whose issue code
// is transient.
func rzWantUnavailable(t *testing.T, what string, r *reply) {
	t.Helper()
	if r.Status != http.StatusServiceUnavailable {
		t.Errorf("%s: status %d, want 503: %s", what, r.Status, r.Body)
		return
	}
	oo := r.json(t)
	if oo["resourceType"] != "OperationOutcome" {
		t.Errorf("%s: 503 without an OperationOutcome: %s", what, r.Body)
		return
	}
	issues, _ := oo["issue"].([]any)
	if len(issues) == 0 {
		t.Errorf("%s: OperationOutcome without issues: %s", what, r.Body)
		return
	}
	if code := issues[0].(map[string]any)["code"]; code != "transient" {
		t.Errorf("%s: issue code %v, want transient", what, code)
	}
}

// ---- shared helpers -------------------------------------------------------

// rzServer is the server as ehrd runs it (http.Server with the configured
// timeouts and limits, on a loopback listener), with an in-flight counter
// and the server log kept for assertions.
type rzServer struct {
	*server
	Cfg      *config.Config
	logs     *rzLogs
	inflight atomic.Int64
}

// rzStart starts an in-process server on storeURL. Rate limiting is off
// unless env sets it; env overrides any variable.
func rzStart(t *testing.T, storeURL string, env map[string]string) *rzServer {
	t.Helper()
	vars := map[string]string{
		"EHR_STORE":             storeURL,
		"EHR_AUTH_HS256_SECRET": testSecret,
		"EHR_DATA_DIR":          t.TempDir(),
		"EHR_MAX_BODY_BYTES":    "65536",
		"EHR_RATE_LIMIT":        "0",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(nil, func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	logs := &rzLogs{}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	rs := &rzServer{server: &server{t: t, URL: "http://" + ln.Addr().String(), App: a}, Cfg: cfg, logs: logs}
	h := a.Handler()
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rs.inflight.Add(1)
			defer rs.inflight.Add(-1)
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       cfg.ReadTimeout,
		WriteTimeout:      cfg.WriteTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		<-served
		rs.waitIdle(10 * time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return rs
}

// waitIdle waits until no handler runs, and reports whether that happened
// within d.
func (s *rzServer) waitIdle(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for s.inflight.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// rzLogs collects the server's log lines.
type rzLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *rzLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *rzLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// rzCall sends one request and reads the whole reply; err is a transport
// failure (no reply).
func rzCall(ctx context.Context, c *http.Client, base, method, path, tok string, body []byte, headers ...string) (*reply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/fhir+json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return &reply{Status: resp.StatusCode, Header: resp.Header, Body: raw}, nil
}

// rzClient is a client that keeps up to n idle connections to one host.
func rzClient(n int, timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = n
	tr.MaxIdleConnsPerHost = n
	return &http.Client{Transport: tr, Timeout: timeout}
}

func rzPatientJSON(family, mrn string) string {
	return fmt.Sprintf(`{"resourceType":"Patient","identifier":[{"system":%q,"value":%q}],`+
		`"name":[{"family":%q,"given":["Alex"]}],"gender":"unknown","birthDate":"1980-02-29"}`, rzMRNSystem, mrn, family)
}

// rzPatientJSONWithID is an update body: the same patient with a phone.
func rzPatientJSONWithID(id, family, mrn, phone string) string {
	return fmt.Sprintf(`{"resourceType":"Patient","id":%q,"identifier":[{"system":%q,"value":%q}],`+
		`"name":[{"family":%q,"given":["Alex"]}],"telecom":[{"system":"phone","value":%q,"use":"home"}],`+
		`"gender":"unknown","birthDate":"1980-02-29"}`, id, rzMRNSystem, mrn, family, phone)
}

// rzHeartRateJSON is a valid vital-signs Observation (heart rate, LOINC
// 8867-4, in /min).
func rzHeartRateJSON(pid string, bpm int) string {
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",`+
		`"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}]}],`+
		`"code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}]},`+
		`"subject":{"reference":"Patient/%s"},"effectiveDateTime":"2025-06-02T09:05:00-05:00",`+
		`"valueQuantity":{"value":%d,"unit":"/min","system":"http://unitsofmeasure.org","code":"/min"}}`, pid, bpm)
}

func rzCreateID(t *testing.T, r *reply) string {
	t.Helper()
	id, _ := r.json(t)["id"].(string)
	if id == "" {
		t.Fatalf("no id in %s", r.Body)
	}
	return id
}

// rzVersion is meta.versionId of a resource reply.
func rzVersion(t *testing.T, r *reply) int64 {
	t.Helper()
	meta, _ := r.json(t)["meta"].(map[string]any)
	var v int64
	if s, _ := meta["versionId"].(string); s != "" {
		fmt.Sscan(s, &v)
	}
	return v
}

// rzSearchAll runs a search and follows its next links, returning the match
// resources.
func rzSearchAll(t *testing.T, base, tok, path string) []map[string]any {
	t.Helper()
	c := rzClient(2, 30*time.Second)
	var out []map[string]any
	for page := 0; path != "" && page < 1000; page++ {
		r, err := rzCall(context.Background(), c, base, "GET", path, tok, nil)
		if err != nil {
			t.Fatalf("search %s: %v", path, err)
		}
		if r.Status != http.StatusOK {
			t.Fatalf("search %s: %d %s", path, r.Status, r.Body)
		}
		for _, e := range entries(t, r) {
			if s, _ := e["search"].(map[string]any); s != nil && s["mode"] != "match" {
				continue
			}
			if res, _ := e["resource"].(map[string]any); res != nil {
				out = append(out, res)
			}
		}
		path = ""
		if next := link(t, r, "next"); next != "" {
			u, err := url.Parse(next)
			if err != nil {
				t.Fatalf("next link %q: %v", next, err)
			}
			path = u.RequestURI()
		}
	}
	return out
}

func rzSearchIDs(t *testing.T, base, tok, path string) []string {
	t.Helper()
	var ids []string
	for _, res := range rzSearchAll(t, base, tok, path) {
		id, _ := res["id"].(string)
		ids = append(ids, id)
	}
	return ids
}

// rzAuditEvents returns the AuditEvents about an entity (Type/id).
func rzAuditEvents(t *testing.T, base, officer, entity string) []map[string]any {
	t.Helper()
	return rzSearchAll(t, base, officer, "/fhir/AuditEvent?entity="+url.QueryEscape(entity)+"&_count=100")
}

// rzHasEvent reports whether evs holds a successful event with the action
// (C, R, U, D, E) about the versioned reference ref.
func rzHasEvent(evs []map[string]any, action, ref string) bool {
	for _, ev := range evs {
		if ev["action"] != action || ev["outcome"] != "0" {
			continue
		}
		for _, e := range rzEntityRefs(ev) {
			if e == ref {
				return true
			}
		}
	}
	return false
}

func rzEntityRefs(ev map[string]any) []string {
	var out []string
	list, _ := ev["entity"].([]any)
	for _, e := range list {
		what, _ := e.(map[string]any)["what"].(map[string]any)
		if ref, _ := what["reference"].(string); ref != "" {
			out = append(out, ref)
		}
	}
	return out
}

// rzVerifyAudit opens a stopped server's store and checks its audit log.
func rzVerifyAudit(t *testing.T, storeURL string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	st, err := rzOpenStore(ctx, storeURL)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	defer st.Close()
	rep, err := audit.Verify(ctx, st, nil, nil)
	if err != nil {
		t.Fatalf("verify audit log: %v", err)
	}
	if !rep.OK() {
		t.Errorf("audit log does not verify: record %d of %d: %s", rep.FirstBad, rep.Size, rep.Problem)
	}
	return rep.Size
}

func rzOpenStore(ctx context.Context, storeURL string) (store.Store, error) {
	if path, ok := strings.CutPrefix(storeURL, "sqlite:"); ok {
		return sqlite.Open(path, sqlite.Options{})
	}
	return app.OpenStore(ctx, storeURL)
}

// rzIntegrity runs PRAGMA integrity_check on a SQLite file no process has
// open, through database/sql's "sqlite" driver.
func rzIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("PRAGMA integrity_check")
	if err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var m string
		if err := rows.Scan(&m); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0] != "ok" {
		t.Errorf("integrity_check: %v", msgs)
	}
	var fk int
	if err := db.QueryRow("SELECT count(*) FROM pragma_foreign_key_check").Scan(&fk); err != nil {
		t.Fatalf("foreign_key_check: %v", err)
	}
	if fk != 0 {
		t.Errorf("foreign_key_check: %d violations", fk)
	}
}

// rzDecode reads a JSON object; nil when it is not one.
func rzDecode(b []byte) map[string]any {
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil
	}
	return m
}
