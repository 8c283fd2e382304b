// Package storetest is the conformance suite that every storage backend
// passes. A backend's test calls Run with a constructor of fresh, empty
// stores:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { … })
//	}
//
// The suite uses only the store.Store interface. Search cases are rows in the
// manner of Microsoft's fhir-server tests: fixtures are seeded, and each row
// pairs an expression tree with the fixture ids it must find, written from the
// row's own data and never taken from a backend's answer.
//
// Semantics the suite pins down beyond store.go's comments:
//   - a string field that an entry leaves empty equals "" (eq s "" finds a
//     token without a system); a nil numeric field satisfies no condition;
//   - string comparisons are by UTF-8 bytes, and nothing is folded by the store;
//   - LastUpdated comes back in UTC with millisecond precision;
//   - History of a resource that never existed is ErrNotFound, and
//     LogHashes of an index never stored is ErrNotFound;
//   - within one unit, a second Put of the same resource follows the unit's
//     own first Put (version n+1 after a pending version n).
package storetest

import (
	"testing"

	"github.com/clinic/ehr/internal/store"
)

// Opener returns a fresh, empty store for one test; it registers the cleanup.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite. Each top-level group opens its own stores.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	o := Opener(open)
	t.Run("Versions", func(t *testing.T) { testVersions(t, o) })
	t.Run("History", func(t *testing.T) { testHistory(t, o) })
	t.Run("Commit", func(t *testing.T) { testCommit(t, o) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, o) })
	t.Run("AuditLog", func(t *testing.T) { testAuditLog(t, o) })
	t.Run("Search", func(t *testing.T) { testSearch(t, o) })
	t.Run("SearchFields", func(t *testing.T) { testSearchFields(t, o) })
	t.Run("Sort", func(t *testing.T) { testSort(t, o) })
	t.Run("Paging", func(t *testing.T) { testPaging(t, o) })
	t.Run("PagingWhileWriting", func(t *testing.T) { testPagingWhileWriting(t, o) })
	t.Run("Injection", func(t *testing.T) { testInjection(t, o) })
	t.Run("Unicode", func(t *testing.T) { testUnicode(t, o) })
}
