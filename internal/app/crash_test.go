package app_test

// Crash consistency (docs/resilience.md): ehrd is killed with SIGKILL in the
// middle of a burst of writes, restarted on the same store, and every write it
// acknowledged must be there, whole, with its AuditEvent.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestCrashKill9 runs the crash test on SQLite, and on lungo's file store
// (lungo:PATH), which rewrites its file atomically on every commit.
func TestCrashKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs ehrd; skipped with -short")
	}
	bin := rzBuildEhrd(t)
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "ehr.db")
		rzCrashScenario(t, bin, dir, "sqlite:"+db, 300, func(t *testing.T) { rzIntegrity(t, db) })
	})
	t.Run("lungo", func(t *testing.T) {
		dir := t.TempDir()
		// lungo's file store rewrites the whole file on every commit, and every
		// read of the checks commits its AuditEvent: keep the burst small.
		rzCrashScenario(t, bin, dir, "lungo:"+filepath.Join(dir, "ehr.lungo"), 60, nil)
	})
}

// rzCrashScenario: start, burst, SIGKILL, check the files, restart, check
// every acknowledged write over HTTP, stop cleanly, check the files again.
func rzCrashScenario(t *testing.T, bin, dir, storeURL string, target int64, integrity func(*testing.T)) {
	p := rzStartEhrd(t, bin, dir, storeURL)
	admin := token(t, adminScope, "")

	const workers = 8
	ws := make([]*rzWorker, workers)
	var acked atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	client := rzClient(2*workers, 10*time.Second)
	for i := range ws {
		ws[i] = &rzWorker{n: i, base: p.base, tok: admin, client: client, acked: &acked, stop: &stop,
			rng: rand.New(rand.NewPCG(uint64(i), uint64(time.Now().UnixNano())))}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ws[i].run()
		}()
	}
	// Kill once a good number of writes were acknowledged, and while the
	// workers are still sending.
	deadline := time.Now().Add(20 * time.Second)
	for acked.Load() < target && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	p.kill(t)
	stop.Store(true)
	wg.Wait()

	var patients []*rzTracked
	var obs []*rzTracked
	var lost []string
	var acks, searches, inflight int
	for _, w := range ws {
		inflight += w.inflight
		for _, e := range w.errs {
			t.Error(e)
		}
		patients = append(patients, w.patients...)
		obs = append(obs, w.obs...)
		lost = append(lost, w.lost...)
		acks += int(w.nAcks)
		searches += w.searches
	}
	t.Logf("killed after %d acknowledged writes (%d patients, %d observations, %d searches); %d requests failed at the kill (%d of them creates of patients)",
		acks, len(patients), len(obs), searches, inflight, len(lost))
	if acks < int(target)/2 {
		t.Fatalf("only %d writes acknowledged before the kill: the burst did not run", acks)
	}

	// On disk, straight after the crash (opening the file recovers the WAL).
	if integrity != nil {
		integrity(t)
	}
	sizeAfterCrash := rzVerifyAudit(t, storeURL)

	// Restart on the same store.
	p = rzStartEhrd(t, bin, dir, storeURL)
	officer := token(t, "user/AuditEvent.rs", "")
	c := rzClient(4, 30*time.Second)
	get := func(path string) *reply {
		t.Helper()
		r, err := rzCall(context.Background(), c, p.base, "GET", path, admin, nil)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return r
	}

	// Every acknowledged write has its AuditEvent. All events are read once,
	// before the reads below add more.
	phase := time.Now()
	events := map[string]bool{} // "action versioned-ref" of successful events
	for _, ev := range rzSearchAll(t, p.base, officer, "/fhir/AuditEvent?_count=200") {
		if ev["outcome"] != "0" {
			continue
		}
		for _, ref := range rzEntityRefs(ev) {
			events[fmt.Sprint(ev["action"], " ", ref)] = true
		}
	}
	for _, x := range append(append([]*rzTracked{}, patients...), obs...) {
		for _, a := range x.acks {
			if !events[fmt.Sprintf("%s %s/%s/_history/%d", a.action, x.typ, x.id, a.version)] {
				t.Errorf("acknowledged %s of %s/%s version %d has no AuditEvent", a.action, x.typ, x.id, a.version)
			}
		}
	}
	t.Logf("%d successful audit entries checked in %v", len(events), time.Since(phase).Round(time.Millisecond))
	phase = time.Now()

	// Every acknowledged write is there, whole.
	for _, x := range append(append([]*rzTracked{}, patients...), obs...) {
		path := "/fhir/" + x.typ + "/" + x.id
		r := get(path)
		switch {
		case x.deleted:
			if r.Status != http.StatusGone {
				t.Errorf("%s: acknowledged delete reads %d, want 410", path, r.Status)
			}
			continue
		case r.Status == http.StatusGone && x.pending == "delete":
			continue // the delete in flight at the kill was committed
		case r.Status != http.StatusOK:
			t.Errorf("%s: acknowledged write reads %d: %s", path, r.Status, r.Body)
			continue
		}
		v := rzVersion(t, r)
		switch {
		case v < x.version:
			t.Errorf("%s: version %d, but version %d was acknowledged", path, v, x.version)
		case v > x.version && x.pending != "update":
			t.Errorf("%s: version %d, but only %d was ever written", path, v, x.version)
		case v == x.version && !bytes.Equal(r.Body, x.body):
			t.Errorf("%s: stored body differs from the acknowledged one:\n%s\n%s", path, r.Body, x.body)
		}
		vr := get(fmt.Sprintf("%s/_history/%d", path, x.version))
		if vr.Status != http.StatusOK || !bytes.Equal(vr.Body, x.body) {
			t.Errorf("%s/_history/%d: %d, or not the acknowledged body: %s", path, x.version, vr.Status, vr.Body)
		}
	}

	// Index entries were committed with their resources: each live patient
	// is found by its MRN, each deleted one is not.
	for _, x := range patients {
		got := rzSearchIDs(t, p.base, admin, "/fhir/Patient?identifier="+url.QueryEscape(rzMRNSystem+"|"+x.mrn))
		switch {
		case x.pending == "delete" && len(got) <= 1:
		case x.deleted && len(got) != 0:
			t.Errorf("deleted Patient/%s still found by identifier: %v", x.id, got)
		case !x.deleted && (len(got) != 1 || got[0] != x.id):
			t.Errorf("Patient/%s (MRN %s) found by identifier as %v", x.id, x.mrn, got)
		}
	}

	// Nothing else was stored: every patient is one we sent, and those
	// without an answer were either stored whole or not at all.
	known := map[string]*rzTracked{}
	for _, x := range patients {
		known[x.id] = x
	}
	lostMRN := map[string]bool{}
	for _, m := range lost {
		lostMRN[m] = true
	}
	stored := rzSearchAll(t, p.base, admin, "/fhir/Patient?_count=200")
	extra := 0
	for _, res := range stored {
		id, _ := res["id"].(string)
		if known[id] != nil {
			continue
		}
		mrn := rzMRNOf(res)
		if !lostMRN[mrn] {
			t.Errorf("Patient/%s (MRN %q) is stored but was never sent", id, mrn)
			continue
		}
		extra++
		r := get("/fhir/Patient/" + id)
		if r.Status != http.StatusOK || rzVersion(t, r) != 1 {
			t.Errorf("unacknowledged Patient/%s: %d %s", id, r.Status, r.Body)
		}
		// Committed without an answer: its record is there all the same.
		if !events["C Patient/"+id+"/_history/1"] {
			t.Errorf("Patient/%s was stored (create in flight at the kill) without its AuditEvent", id)
		}
	}
	t.Logf("%d patients stored, %d of them from creates in flight at the kill; resources checked in %v",
		len(stored), extra, time.Since(phase).Round(time.Millisecond))

	// A write after the restart works and the log still verifies.
	nr, err := rzCall(context.Background(), c, p.base, "POST", "/fhir/Patient", admin, []byte(rzPatientJSON("Restarted", "MRN-AFTER")))
	if err != nil || nr.Status != http.StatusCreated {
		t.Fatalf("create after restart: %v %v", err, nr)
	}
	p.stop(t)
	if integrity != nil {
		integrity(t)
	}
	if size := rzVerifyAudit(t, storeURL); size <= sizeAfterCrash {
		t.Errorf("audit log did not grow after the restart: %d -> %d", sizeAfterCrash, size)
	}
}

func rzMRNOf(res map[string]any) string {
	list, _ := res["identifier"].([]any)
	for _, x := range list {
		m, _ := x.(map[string]any)
		if m["system"] == rzMRNSystem {
			v, _ := m["value"].(string)
			return v
		}
	}
	return ""
}

// rzTracked is a resource a worker wrote, as far as the worker knows.
type rzTracked struct {
	typ, id, mrn string
	version      int64  // last acknowledged version
	body         []byte // the body acknowledged at that version
	deleted      bool   // a delete was acknowledged
	pending      string // "update" or "delete" sent without an answer
	hasObs       bool   // an Observation refers to it: do not delete
	acks         []rzAck
}

type rzAck struct {
	action  string // C U D
	version int64
}

// rzWorker sends a mix of writes and searches about its own patients, so
// that it knows exactly which versions it made.
type rzWorker struct {
	n      int
	base   string
	tok    string
	client *http.Client
	rng    *rand.Rand
	acked  *atomic.Int64
	stop   *atomic.Bool

	patients []*rzTracked
	obs      []*rzTracked
	lost     []string // MRNs of creates without an answer
	nAcks    int64
	searches int
	inflight int // requests without an answer (the kill)
	errs     []string
}

func (w *rzWorker) run() {
	for i := 0; !w.stop.Load(); i++ {
		var ok bool
		switch op := w.rng.IntN(100); {
		case op < 40 || len(w.live()) == 0:
			ok = w.create(i)
		case op < 60:
			ok = w.update(i)
		case op < 70:
			ok = w.delete()
		case op < 85:
			ok = w.observe(i)
		default:
			ok = w.search()
		}
		if !ok {
			return // the server is gone
		}
	}
}

func (w *rzWorker) live() []*rzTracked {
	var out []*rzTracked
	for _, p := range w.patients {
		if !p.deleted && p.pending == "" {
			out = append(out, p)
		}
	}
	return out
}

func (w *rzWorker) call(method, path string, body []byte, headers ...string) (*reply, bool) {
	r, err := rzCall(context.Background(), w.client, w.base, method, path, w.tok, body, headers...)
	if err != nil {
		w.inflight++
		return nil, false
	}
	return r, true
}

func (w *rzWorker) ack(x *rzTracked, action string, version int64, body []byte) {
	x.version, x.body = version, body
	x.acks = append(x.acks, rzAck{action, version})
	w.nAcks++
	w.acked.Add(1)
}

func (w *rzWorker) unexpected(what string, r *reply) {
	w.errs = append(w.errs, fmt.Sprintf("worker %d: %s: status %d before the kill: %s", w.n, what, r.Status, r.Body))
}

func (w *rzWorker) create(i int) bool {
	mrn := fmt.Sprintf("MRN-CRASH-%d-%d", w.n, i)
	r, ok := w.call("POST", "/fhir/Patient", []byte(rzPatientJSON(fmt.Sprintf("Crash%d", w.n), mrn)))
	if !ok {
		w.lost = append(w.lost, mrn)
		return false
	}
	if r.Status != http.StatusCreated {
		w.unexpected("create", r)
		w.lost = append(w.lost, mrn)
		return true
	}
	x := &rzTracked{typ: "Patient", mrn: mrn}
	x.id, _ = rzDecode(r.Body)["id"].(string)
	w.patients = append(w.patients, x)
	w.ack(x, "C", 1, r.Body)
	return true
}

func (w *rzWorker) update(i int) bool {
	live := w.live()
	x := live[w.rng.IntN(len(live))]
	body := rzPatientJSONWithID(x.id, fmt.Sprintf("Crash%d", w.n), x.mrn, fmt.Sprintf("555-%04d", i%10000))
	x.pending = "update"
	r, ok := w.call("PUT", "/fhir/Patient/"+x.id, []byte(body), "If-Match", fmt.Sprintf(`W/"%d"`, x.version))
	if !ok {
		return false
	}
	if r.Status != http.StatusOK {
		w.unexpected("update", r)
		return true // stays pending: the checks accept either version
	}
	x.pending = ""
	w.ack(x, "U", x.version+1, r.Body)
	return true
}

func (w *rzWorker) delete() bool {
	var cands []*rzTracked
	for _, p := range w.live() {
		if !p.hasObs {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return w.search()
	}
	x := cands[w.rng.IntN(len(cands))]
	x.pending = "delete"
	r, ok := w.call("DELETE", "/fhir/Patient/"+x.id, nil)
	if !ok {
		return false
	}
	if r.Status != http.StatusNoContent {
		w.unexpected("delete", r)
		return true
	}
	x.pending = ""
	x.deleted = true
	x.acks = append(x.acks, rzAck{"D", x.version + 1})
	w.nAcks++
	w.acked.Add(1)
	return true
}

func (w *rzWorker) observe(i int) bool {
	live := w.live()
	if len(live) == 0 {
		return w.create(i)
	}
	p := live[w.rng.IntN(len(live))]
	p.hasObs = true
	r, ok := w.call("POST", "/fhir/Observation", []byte(rzHeartRateJSON(p.id, 55+w.rng.IntN(50))))
	if !ok {
		return false
	}
	if r.Status != http.StatusCreated {
		w.unexpected("create Observation", r)
		return true
	}
	x := &rzTracked{typ: "Observation"}
	x.id, _ = rzDecode(r.Body)["id"].(string)
	w.obs = append(w.obs, x)
	w.ack(x, "C", 1, r.Body)
	return true
}

func (w *rzWorker) search() bool {
	r, ok := w.call("GET", fmt.Sprintf("/fhir/Patient?family=Crash%d&_count=20", w.n), nil)
	if !ok {
		return false
	}
	if r.Status != http.StatusOK {
		w.unexpected("search", r)
	}
	w.searches++
	return true
}

// ---- the ehrd child process ----------------------------------------------

// rzBuildEhrd builds cmd/ehrd into a temporary directory.
func rzBuildEhrd(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build ehrd")
	}
	bin := filepath.Join(t.TempDir(), "ehrd")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, gobin, "build", "-o", bin, "github.com/clinic/ehr/cmd/ehrd").CombinedOutput()
	if err != nil {
		t.Fatalf("go build ./cmd/ehrd: %v\n%s", err, out)
	}
	return bin
}

type rzProc struct {
	cmd  *exec.Cmd
	base string
	log  string
	done chan struct{}
	err  error
}

// rzStartEhrd starts ehrd on a free loopback port and waits until it is
// ready.
func rzStartEhrd(t *testing.T, bin, dir, storeURL string) *rzProc {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	logPath := filepath.Join(dir, fmt.Sprintf("ehrd-%d.log", time.Now().UnixNano()))
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	// ehrd does not create EHR_DATA_DIR itself (see docs/resilience.md).
	if err := os.MkdirAll(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EHR_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env,
		"EHR_STORE="+storeURL,
		"EHR_AUTH_HS256_SECRET="+testSecret,
		"EHR_DATA_DIR="+filepath.Join(dir, "data"),
		"EHR_ADDR="+addr,
		"EHR_RATE_LIMIT=0",
		"EHR_LOG_LEVEL=error",
		"EHR_SHUTDOWN_TIMEOUT=10s",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("start ehrd: %v", err)
	}
	p := &rzProc{cmd: cmd, base: "http://" + addr, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	c := rzClient(1, time.Second)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("ehrd exited during start-up: %v\n%s", p.err, p.tail())
		default:
		}
		if r, err := rzCall(context.Background(), c, p.base, "GET", "/readyz", "", nil); err == nil && r.Status == http.StatusOK {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("ehrd not ready within 60s\n%s", p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill sends SIGKILL: no shutdown, no flush, no deferred code.
func (p *rzProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill ehrd: %v", err)
	}
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		t.Fatal("ehrd did not die within 10s of SIGKILL")
	}
}

// stop asks for a graceful shutdown (SIGTERM) and expects a clean exit.
func (p *rzProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("stop ehrd: %v", err)
	}
	select {
	case <-p.done:
		if p.err != nil {
			t.Errorf("ehrd exited with %v after SIGTERM\n%s", p.err, p.tail())
		}
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("ehrd did not stop within 30s of SIGTERM\n%s", p.tail())
	}
}

func (p *rzProc) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
