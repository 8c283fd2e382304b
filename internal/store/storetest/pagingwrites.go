package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/clinic/ehr/internal/store"
)

// testPagingWhileWriting pages through 50 resources, 7 at a time in the
// default id order, while another goroutine creates resources (with ids that
// fall between the existing ones) and updates existing ones. No resource may
// show twice, and every resource that existed at the start must show.
func testPagingWhileWriting(t *testing.T, open Opener) {
	s := open(t)
	const initial = 50
	var writes []store.Write
	for i := range initial {
		writes = append(writes, Version("Paged", fmt.Sprintf("r%03d", i*2), 1, Token("tag", "", "x")))
	}
	Put(t, s, writes...)

	stop := make(chan struct{})
	wrote := make(chan struct{}, 1) // signals that at least one write landed
	var wg sync.WaitGroup
	wg.Go(func() {
		versions := map[string]int64{}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			// A new resource between two existing ones, and an update.
			created := Version("Paged", fmt.Sprintf("r%03d-%d", (n*7)%(2*initial), n), 1, Token("tag", "", "x"))
			updated := fmt.Sprintf("r%03d", (n*6)%(2*initial))
			versions[updated]++
			err := firstErr(s.Commit(t.Context(), []func(store.Tx) error{
				putUnit(created),
				putUnit(Version("Paged", updated, versions[updated]+1, Token("tag", "", "x"))),
			}, noFinish))
			if err != nil {
				t.Errorf("write %d: %v", n, err)
				close(wrote)
				return
			}
			select {
			case wrote <- struct{}{}:
			default:
			}
		}
	})

	seen := map[string]bool{}
	q := store.Query{Type: "Paged", Where: match("tag", eqCode("x")), Count: 7}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("more than 1000 pages")
		}
		res := search1(t, s, q)
		for _, r := range res.Resources {
			if seen[r.ID] {
				t.Fatalf("%s showed twice", r.ID)
			}
			seen[r.ID] = true
		}
		if res.Next == nil {
			break
		}
		q.After = roundTrip(t, res.Next)
		<-wrote // at least one write between any two pages
	}
	close(stop)
	wg.Wait()
	for i := range initial {
		if id := fmt.Sprintf("r%03d", i*2); !seen[id] {
			t.Errorf("%s existed at the start but never showed", id)
		}
	}
}

// firstErr returns the commit's error or else its first unit error.
func firstErr(results []error, err error) error {
	if err != nil {
		return err
	}
	for _, e := range results {
		if e != nil {
			return e
		}
	}
	return nil
}
