package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// SpawnConfig starts a server binary for a run.
type SpawnConfig struct {
	Bin       string   // e.g. bin/ehrd
	Args      []string // extra arguments
	Dir       string   // data directory: audit key, server log
	StorePath string   // SQLite file the server serves
	Secret    string   // EHR_AUTH_HS256_SECRET
	Env       []string // KEY=VALUE, applied last (they win)
}

// Server is a spawned server process.
type Server struct {
	URL     string
	Pid     int
	LogPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
}

// Spawn starts the server on a free loopback port with the tool's settings
// (no rate limit: the tool is one client sending thousands of requests a
// second; GET /bench/static for ceiling a) and waits until /readyz answers.
func Spawn(ctx context.Context, cfg SpawnConfig) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	logPath := filepath.Join(cfg.Dir, "ehrd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("spawn: server log: %w", err)
	}
	defer logf.Close() // the child keeps its own descriptor

	cmd := exec.Command(cfg.Bin, cfg.Args...)
	cmd.Env = append(os.Environ(),
		"EHR_ADDR="+addr,
		"EHR_STORE=sqlite:"+cfg.StorePath,
		"EHR_AUTH_HS256_SECRET="+cfg.Secret,
		"EHR_DATA_DIR="+cfg.Dir,
		"EHR_RATE_LIMIT=0",
		"EHR_BENCH_STATIC_ROUTE=1",
	)
	cmd.Env = append(cmd.Env, cfg.Env...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("spawn %s: %w", cfg.Bin, err)
	}
	s := &Server{URL: "http://" + addr, Pid: cmd.Process.Pid, LogPath: logPath, cmd: cmd, exited: make(chan struct{})}
	go func() { s.waitErr = cmd.Wait(); close(s.exited) }()
	if err := s.waitReady(ctx, 90*time.Second); err != nil {
		_ = s.Stop(5 * time.Second)
		return nil, fmt.Errorf("spawn %s: %w; log tail:\n%s", cfg.Bin, err, tail(logPath, 1500))
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return fmt.Errorf("server exited: %v", s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := c.Get(s.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
	}
	return errors.New("not ready in time")
}

// Stop asks the server to shut down (SIGTERM: drain, flush the audit
// recorder) and kills it if it does not within grace.
func (s *Server) Stop(grace time.Duration) error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		var ee *exec.ExitError
		if s.waitErr != nil && !errors.As(s.waitErr, &ee) {
			return fmt.Errorf("stop server: %w", s.waitErr)
		}
		return nil
	case <-time.After(grace):
		_ = s.cmd.Process.Kill()
		<-s.exited
		return errors.New("stop server: killed after the grace period")
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// tail returns the end of a file, for error messages.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
