package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/clinic/ehr/internal/store"
)

const goroutines = 16

func testConcurrency(t *testing.T, open Opener) {
	t.Run("ConcurrentCommitsAllStored", func(t *testing.T) {
		s := open(t)
		const perCommit = 4
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		start := make(chan struct{})
		for g := range goroutines {
			wg.Go(func() {
				units := make([]func(store.Tx) error, perCommit)
				for u := range units {
					units[u] = putUnit(Version("Patient", fmt.Sprintf("g%02d-u%d", g, u), 1, Str("group", fmt.Sprint(g))))
				}
				<-start
				results, err := s.Commit(t.Context(), units, noFinish)
				if err == nil {
					err = errors.Join(results...)
				}
				errs <- err
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("concurrent Commit: %v", err)
			}
		}
		for g := range goroutines {
			for u := range perCommit {
				checkResource(t, read(t, s, "Patient", fmt.Sprintf("g%02d-u%d", g, u)),
					Version("Patient", fmt.Sprintf("g%02d-u%d", g, u), 1).Resource)
			}
		}
		res, err := s.Search(t.Context(), &store.Query{Type: "Patient", Total: true})
		if err != nil || res.Total != goroutines*perCommit {
			t.Fatalf("total after concurrent commits = %v, %v; want %d", res, err, goroutines*perCommit)
		}
	})

	t.Run("ConcurrentUpdatesKeepVersionsConsistent", func(t *testing.T) {
		s := open(t)
		const versions = 8
		var wg sync.WaitGroup
		errs := make(chan error, goroutines)
		for g := range goroutines {
			id := fmt.Sprintf("p%02d", g)
			wg.Go(func() {
				for vid := int64(1); vid <= versions; vid++ {
					if err := put(s, Version("Patient", id, vid)); err != nil {
						errs <- fmt.Errorf("%s v%d: %w", id, vid, err)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for g := range goroutines {
			id := fmt.Sprintf("p%02d", g)
			checkResource(t, read(t, s, "Patient", id), Version("Patient", id, versions).Resource)
			h, err := s.History(t.Context(), store.HistoryQuery{Type: "Patient", ID: id})
			if err != nil || len(h) != versions {
				t.Fatalf("history of %s: %d versions, %v; want %d", id, len(h), err, versions)
			}
		}
	})

	t.Run("RacingUpdatesOneWins", func(t *testing.T) {
		s := open(t)
		for round := range 8 {
			id := fmt.Sprintf("race%d", round)
			Put(t, s, Version("Patient", id, 1))
			start := make(chan struct{})
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Go(func() {
					<-start
					errs[i] = put(s, Version("Patient", id, 2))
				})
			}
			close(start)
			wg.Wait()
			ok, conflicts := 0, 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.Is(err, store.ErrConflict):
					conflicts++
				default:
					t.Fatalf("%s: unexpected error %v", id, err)
				}
			}
			if ok != 1 || conflicts != 1 {
				t.Fatalf("%s: %d succeeded and %d conflicted, want one of each", id, ok, conflicts)
			}
			checkResource(t, read(t, s, "Patient", id), Version("Patient", id, 2).Resource)
		}
	})

	t.Run("ReadsDuringCommitsSeeWholeVersions", func(t *testing.T) {
		s := open(t)
		Put(t, s, Version("Patient", "p", 1, Str("name", "v1")))
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			defer close(done)
			for vid := int64(2); vid <= 30; vid++ {
				if err := put(s, Version("Patient", "p", vid, Str("name", fmt.Sprintf("v%d", vid)))); err != nil {
					t.Errorf("update v%d: %v", vid, err)
					return
				}
			}
		})
		for range 4 {
			wg.Go(func() {
				for {
					select {
					case <-done:
						return
					default:
					}
					r, err := s.Read(t.Context(), "Patient", "p")
					if err != nil {
						t.Errorf("read: %v", err)
						return
					}
					if want := Body("Patient", "p", r.VersionID); string(r.Body) != string(want) {
						t.Errorf("read v%d with body %s", r.VersionID, r.Body)
						return
					}
					res, err := s.Search(t.Context(), &store.Query{Type: "Patient", Where: match("name", prefixCode("v")), Count: 10})
					if err != nil || len(res.Resources) != 1 {
						t.Errorf("search during updates: %v, %v; want exactly p", res, err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}
