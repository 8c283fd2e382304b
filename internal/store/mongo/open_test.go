package mongo

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
)

func TestDatabaseFromURL(t *testing.T) {
	tests := []struct{ url, want string }{
		{"mongodb://localhost:27017", DefaultDatabase},
		{"mongodb://localhost:27017/", DefaultDatabase},
		{"mongodb://localhost:27017/clinic", "clinic"},
		{"mongodb://u:p@a:1,b:2/clinic?replicaSet=rs0", "clinic"},
		{"mongodb://a:1,b:2/?replicaSet=rs0", DefaultDatabase},
		{"mongodb+srv://cluster.example.net/ehr_prod?retryWrites=true", "ehr_prod"},
		{"mongodb://%2Ftmp%2Fmongodb-27017.sock/clinic", "clinic"},
	}
	for _, tt := range tests {
		if got := databaseFromURL(tt.url); got != tt.want {
			t.Errorf("databaseFromURL(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ url, want string }{
		{"mongodb://localhost/ehr", "mongodb://localhost/ehr"},
		{"mongodb://user:secret@a:1,b:2/ehr?x=1", "mongodb://user:xxxxx@a:1,b:2/ehr?x=1"},
		{"mongodb+srv://user@cluster/ehr", "mongodb+srv://user@cluster/ehr"},
		{"lungo:memory", "lungo:memory"},
	}
	for _, tt := range tests {
		if got := redact(tt.url); got != tt.want {
			t.Errorf("redact(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestOpenRejects(t *testing.T) {
	for _, url := range []string{"sqlite:x.db", "lungo:", "postgres://x", ""} {
		if s, err := Open(context.Background(), url, Options{}); err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded", url)
		}
	}
}

func TestSortField(t *testing.T) {
	tests := []struct{ param, want string }{
		{"birthdate", "birthdate"},
		{"_lastUpdated", "_lastUpdated"},
		{"code-value-quantity", "code-value-quantity"},
		{"$where", "~24where"},
		{"a.b", "a~2Eb"},
		{"~2E", "~7E2E"},
		{"", "~"},
	}
	for _, tt := range tests {
		if got := sortField(tt.param); got != tt.want {
			t.Errorf("sortField(%q) = %q, want %q", tt.param, got, tt.want)
		}
	}
}

// TestOpenUnreachable checks that a MongoDB URL with no server behind it
// fails fast with ErrUnavailable rather than hanging.
func TestOpenUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close() // a port that refuses connections
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	s, err := Open(ctx, "mongodb://"+addr+"/ehr?serverSelectionTimeoutMS=300&connectTimeoutMS=300", Options{})
	if err == nil {
		_ = s.Close()
		t.Fatal("Open succeeded without a server")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Open took %v", d)
	}
}
