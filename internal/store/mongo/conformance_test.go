package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/store"
	"github.com/clinic/ehr/internal/store/storetest"
)

// TestConformance runs the shared suite on lungo's engine always, on the
// MongoDB named by EHR_TEST_MONGODB_URI when it is set, and on a MongoDB
// container when a Docker engine is reachable.
func TestConformance(t *testing.T) {
	t.Run("lungo", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store { return openMemory(t) })
	})
	t.Run("mongodb", func(t *testing.T) {
		uri := os.Getenv("EHR_TEST_MONGODB_URI")
		if uri == "" {
			t.Skip("EHR_TEST_MONGODB_URI is not set: no shared MongoDB replica set to test on")
		}
		storetest.Run(t, mongoOpener(uri))
	})
	t.Run("container", func(t *testing.T) {
		if testing.Short() {
			t.Skip("a MongoDB container is too slow for -short")
		}
		uri := startMongoContainer(t) // skips without Docker
		storetest.Run(t, mongoOpener(uri))
	})
}

// mongoOpener opens each test's store in a database of its own on a shared
// server, dropped at cleanup.
func mongoOpener(uri string) func(t *testing.T) store.Store {
	return func(t *testing.T) store.Store {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		s, err := Open(ctx, uri, Options{Database: uniqueDatabase(t)})
		if err != nil {
			t.Fatalf("open %s: %v", redact(uri), err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.Database().Drop(ctx); err != nil {
				t.Errorf("drop test database: %v", err)
			}
			_ = s.Close()
		})
		return s
	}
}

// uniqueDatabase is a database name no other test uses: a fixed prefix (so
// that leftovers are easy to find) and random hex, within MongoDB's 63 bytes.
func uniqueDatabase(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "ehrtest_" + hex.EncodeToString(b)
}
