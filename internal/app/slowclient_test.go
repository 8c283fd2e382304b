package app_test

// Slow, stalled and vanishing clients (docs/resilience.md): they must not
// stall anyone else, the server must reclaim their connections, and a client
// that hangs up mid-write never leaves a write without its audit record.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/audit"
)

// TestSlowClients opens connections that send half a request and stall, and
// one that sends its body at 1 byte per second, and checks that ordinary
// requests meanwhile complete promptly, and that the server closes the
// abandoned connections once its read timeouts expire.
func TestSlowClients(t *testing.T) {
	const headerTimeout, readTimeout = 2 * time.Second, 4 * time.Second
	s := rzStart(t, "sqlite:"+filepath.Join(t.TempDir(), "ehr.db"), map[string]string{
		"EHR_READ_HEADER_TIMEOUT": headerTimeout.String(),
		"EHR_READ_TIMEOUT":        readTimeout.String(),
	})
	admin := token(t, adminScope, "")
	pid := rzCreateID(t, must(t, s.do("POST", "/fhir/Patient", admin, rzPatientJSON("Slow", "MRN-SLOW-0")), http.StatusCreated))
	host := strings.TrimPrefix(s.URL, "http://")
	body := rzPatientJSON("Slow", "MRN-SLOW-TRICKLE")
	start := time.Now()

	// Stalled clients: 32 that stop inside the headers, 32 that stop inside
	// the body (their handlers are already running, blocked on the read).
	const stalled = 32
	var conns []net.Conn
	for i := 0; i < 2*stalled; i++ {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		req := "POST /fhir/Patient HTTP/1.1\r\nHost: " + host + "\r\nAuthorization: Bearer " + admin + "\r\n"
		if i >= stalled {
			req += fmt.Sprintf("Content-Type: application/fhir+json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)/2])
		}
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}

	// A client that sends its body at one byte per second.
	trickle := make(chan string, 1)
	go func() {
		c, err := net.Dial("tcp", host)
		if err != nil {
			trickle <- err.Error()
			return
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /fhir/Patient HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/fhir+json\r\nContent-Length: %d\r\n\r\n", host, admin, len(body))
		answered := make(chan string, 1)
		go func() {
			b, _ := io.ReadAll(c)
			line, _, _ := strings.Cut(string(b), "\r\n")
			answered <- line
		}()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for i := 0; i < len(body); i++ {
			select {
			case line := <-answered:
				trickle <- fmt.Sprintf("cut after %d bytes, %.1fs: %q", i, time.Since(start).Seconds(), line)
				return
			case <-tick.C:
				if _, err := c.Write([]byte{body[i]}); err != nil {
					trickle <- fmt.Sprintf("cut after %d bytes, %.1fs: write: %v", i, time.Since(start).Seconds(), err)
					return
				}
			}
		}
		trickle <- "the whole body went through at 1 byte/s"
	}()

	// Meanwhile ordinary traffic: reads, searches and creates from four
	// clients for three seconds. Each must answer promptly.
	const bound = 2 * time.Second
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := rzClient(1, 10*time.Second)
			tok := token(t, adminScope, "")
			for i := 0; time.Since(start) < 3*time.Second; i++ {
				method, path, want, b := "GET", "/fhir/Patient/"+pid, http.StatusOK, []byte(nil)
				switch i % 3 {
				case 1:
					path = "/fhir/Patient?family=slow&_count=5"
				case 2:
					method, path, want = "POST", "/fhir/Patient", http.StatusCreated
					b = []byte(rzPatientJSON("Slow", fmt.Sprintf("MRN-SLOW-%d-%d", g, i)))
				}
				t0 := time.Now()
				r, err := rzCall(context.Background(), c, s.URL, method, path, tok, b)
				d := time.Since(t0)
				if err != nil {
					t.Errorf("%s %s beside stalled clients: %v", method, path, err)
					return
				}
				if r.Status != want {
					t.Errorf("%s %s beside stalled clients: %d %s", method, path, r.Status, r.Body)
				}
				if d > bound {
					t.Errorf("%s %s took %v beside stalled clients (bound %v)", method, path, d, bound)
				}
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(lat) < 10 {
		t.Errorf("only %d ordinary requests completed in 3s", len(lat))
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		t.Logf("%d ordinary requests beside %d stalled connections and a 1 byte/s client: p50 %v, max %v",
			len(lat), 2*stalled, lat[len(lat)/2], lat[len(lat)-1])
	}

	// The server reclaims the abandoned connections: those stalled in the
	// headers after ReadHeaderTimeout, those stalled in the body after
	// ReadTimeout (with some slack for -race).
	const slack = 3 * time.Second
	statuses := map[string]int{}
	for i, c := range conns {
		limit := headerTimeout
		if i >= stalled {
			limit = readTimeout
		}
		_ = c.SetReadDeadline(start.Add(limit + slack))
		b, err := io.ReadAll(c)
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Errorf("connection %d still open %v after it stalled (server timeout %v)", i, time.Since(start).Round(time.Millisecond), limit)
			continue
		}
		line, _, _ := strings.Cut(string(b), "\r\n")
		statuses[line]++
	}
	t.Logf("stalled connections closed by the server, with: %v", statuses)
	var trickled string
	select {
	case trickled = <-trickle:
		t.Logf("1 byte/s client: %s", trickled)
		if strings.HasPrefix(trickled, "the whole body") {
			t.Errorf("the server let a 1 byte/s body run past its read timeout")
		}
	case <-time.After(readTimeout + slack):
		t.Errorf("the 1 byte/s client was not cut off within %v", readTimeout+slack)
	}
	// A client too slow to send its body is the client's failure: it is
	// answered 4xx, and the server does not report its audit trail as failed
	// (the record of the refusal was stored).
	t.Run("cut off as a client error", func(t *testing.T) {
		for line, n := range statuses {
			if strings.HasPrefix(line, "HTTP/1.1 5") {
				t.Errorf("%d stalled clients were answered %q: a server failure for a client's timeout", n, line)
			}
		}
		if strings.Contains(trickled, "HTTP/1.1 5") {
			t.Errorf("the 1 byte/s client was answered as a server failure: %s", trickled)
		}
		if n := strings.Count(s.logs.String(), "audit record failed"); n > 0 {
			t.Errorf("the server logged %d false \"audit record failed\" errors for clients that timed out", n)
		}
	})
	// The server is still healthy, and its audit log verifies.
	must(t, s.do("GET", "/fhir/Patient/"+pid, admin, nil), http.StatusOK)
	if !s.waitIdle(10 * time.Second) {
		t.Errorf("handlers still running 10s after the stalled clients were cut off")
	}
	rzCheckLogVerifies(t, s)
}

// TestClientDisconnectAudit hangs up on creates at every stage (right after
// the request is sent, a little later, by closing the socket) while other
// clients create normally, and checks that every stored resource has its
// create AuditEvent and every successful create AuditEvent its resource. The
// other clients' creates, committed in the same group commits, must succeed.
func TestClientDisconnectAudit(t *testing.T) {
	s := rzStart(t, "sqlite:"+filepath.Join(t.TempDir(), "ehr.db"), nil)
	admin := token(t, adminScope, "")
	officer := token(t, "user/AuditEvent.rs", "")
	host := strings.TrimPrefix(s.URL, "http://")

	const rounds, perRound = 6, 12
	var wg sync.WaitGroup
	var mu sync.Mutex
	var normal []string // ids of the normal creates
	sent := map[string]bool{}
	client := rzClient(64, 10*time.Second)
	for round := 0; round < rounds; round++ {
		for i := 0; i < perRound; i++ {
			mrn := fmt.Sprintf("MRN-DISC-%d-%d", round, i)
			body := []byte(rzPatientJSON("Disconnect", mrn))
			sent[mrn] = true
			wg.Add(1)
			go func() {
				defer wg.Done()
				switch i % 4 {
				case 0: // cancel as soon as the request is written
					ctx, cancel := context.WithCancel(context.Background())
					ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { cancel() }})
					_, _ = rzCall(ctx, client, s.URL, "POST", "/fhir/Patient", admin, body)
					cancel()
				case 1: // cancel a little later: during validation or the commit
					ctx, cancel := context.WithTimeout(context.Background(), time.Duration(round*400+i*50)*time.Microsecond)
					_, _ = rzCall(ctx, client, s.URL, "POST", "/fhir/Patient", admin, body)
					cancel()
				case 2: // write the whole request on a raw socket and close it
					c, err := net.Dial("tcp", host)
					if err != nil {
						t.Error(err)
						return
					}
					fmt.Fprintf(c, "POST /fhir/Patient HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/fhir+json\r\nContent-Length: %d\r\n\r\n%s", host, admin, len(body), body)
					c.Close()
				default: // an ordinary client, in the same group commits
					r, err := rzCall(context.Background(), client, s.URL, "POST", "/fhir/Patient", admin, body)
					if err != nil {
						t.Errorf("ordinary create beside disconnecting clients: %v", err)
						return
					}
					if r.Status != http.StatusCreated {
						t.Errorf("ordinary create beside disconnecting clients: %d %s", r.Status, r.Body)
						return
					}
					mu.Lock()
					normal = append(normal, rzCreateID(t, r))
					mu.Unlock()
				}
			}()
		}
		time.Sleep(2 * time.Millisecond)
	}
	wg.Wait()
	// The abandoned handlers run on; wait until they are all done.
	if !s.waitIdle(10 * time.Second) {
		t.Fatal("handlers of disconnected clients still running after 10s")
	}

	// Every stored patient has its create AuditEvent ...
	stored := map[string]bool{}
	byMRN := map[string][]string{}
	for _, res := range rzSearchAll(t, s.URL, admin, "/fhir/Patient?family=disconnect&_count=200") {
		id, _ := res["id"].(string)
		stored[id] = true
		mrn := rzMRNOf(res)
		if !sent[mrn] {
			t.Errorf("Patient/%s has an MRN %q that was never sent", id, mrn)
		}
		byMRN[mrn] = append(byMRN[mrn], id)
	}
	for mrn, list := range byMRN {
		if len(list) > 1 {
			t.Errorf("MRN %s stored %d times: %v", mrn, len(list), list)
		}
	}
	for _, id := range normal {
		if !stored[id] {
			t.Errorf("acknowledged Patient/%s is missing", id)
		}
	}
	// ... and every successful create AuditEvent its patient.
	recorded := map[string]bool{}
	for _, ev := range rzSearchAll(t, s.URL, officer, "/fhir/AuditEvent?action=C&_count=200") {
		if ev["outcome"] != "0" {
			continue
		}
		for _, ref := range rzEntityRefs(ev) {
			if id, ok := strings.CutPrefix(ref, "Patient/"); ok {
				id, _, _ = strings.Cut(id, "/")
				recorded[id] = true
			}
		}
	}
	for id := range stored {
		if !recorded[id] {
			t.Errorf("Patient/%s was stored without its create AuditEvent", id)
		}
	}
	for id := range recorded {
		if !stored[id] {
			t.Errorf("a create AuditEvent says Patient/%s was created, but it is not stored", id)
		}
	}
	t.Logf("%d creates sent (%d from ordinary clients), %d stored, each with its AuditEvent", len(sent), len(normal), len(stored))
	rzCheckLogVerifies(t, s)
	// Storage was healthy throughout: a client hanging up is no server
	// failure, in the access log (and so the metrics) or in the audit trail.
	t.Run("no server failure reported", func(t *testing.T) {
		logs := s.logs.String()
		if !strings.Contains(logs, "status=201") {
			t.Fatal("no access-log line with status=201: the log format changed; adapt this check")
		}
		var bad []string
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "level=ERROR") || (strings.Contains(l, "msg=request") && strings.Contains(l, " status=5")) {
				bad = append(bad, l)
			}
		}
		if len(bad) > 0 {
			t.Errorf("%d server failures logged for clients that hung up, e.g.:\n%s", len(bad), strings.Join(bad[:min(3, len(bad))], "\n"))
		}
		for _, ev := range rzSearchAll(t, s.URL, officer, "/fhir/AuditEvent?action=C&outcome=8&_count=200") {
			t.Errorf("AuditEvent %v records a serious failure (outcome 8: %v) for a create whose client hung up", ev["id"], ev["outcomeDesc"])
			break
		}
	})
}

// rzCheckLogVerifies verifies the running server's audit log.
func rzCheckLogVerifies(t *testing.T, s *rzServer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := audit.Verify(ctx, s.App.Store, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() {
		t.Errorf("audit log does not verify: record %d of %d: %s", rep.FirstBad, rep.Size, rep.Problem)
	}
}
