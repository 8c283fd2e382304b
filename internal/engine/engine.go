// Package engine holds the FHIR semantics above storage: versioning,
// conditional operations, reference rules, search planning and paging.
// It knows nothing of HTTP. Writes are prepared outside the storage
// transaction (validation, index extraction) and committed as a unit through
// the audit recorder's group commit, so a write never lands without its audit
// record.
package engine

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// Engine serves FHIR interactions over a store.
type Engine struct {
	store  store.Store
	search *search.Registry
	now    func() time.Time
	newID  func() string
	rules  []Rule
}

// Config wires an Engine.
type Config struct {
	Store  store.Store
	Search *search.Registry
	Now    func() time.Time // defaults to time.Now
	NewID  func() string    // defaults to NewID
	Rules  []Rule           // business rules beyond the schema (see rules.go)
}

// New builds an Engine.
func New(cfg Config) *Engine {
	e := &Engine{store: cfg.Store, search: cfg.Search, now: cfg.Now, newID: cfg.NewID, rules: cfg.Rules}
	if e.now == nil {
		e.now = time.Now
	}
	if e.newID == nil {
		e.newID = NewID
	}
	return e
}

// Store returns the underlying store.
func (e *Engine) Store() store.Store { return e.store }

// Search returns the search-parameter registry.
func (e *Engine) Search() *search.Registry { return e.search }

// idEncoding draws ids from [2-7a-z]: valid FHIR ids ([A-Za-z0-9-.]) and
// URL-safe. The alphabet is in byte order, so encoded ids sort as their bytes.
var idEncoding = base32.NewEncoding("234567abcdefghijklmnopqrstuvwxyz").WithPadding(base32.NoPadding)

// NewID returns an id of 26 characters: 48 bits of the current Unix
// millisecond, then 80 random bits. Ids made later sort later, so a store's
// id indexes grow at their right edge instead of at a random page each time
// (with SQLite, one page written per commit instead of one per resource);
// 80 random bits keep them unguessable.
func NewID() string {
	var b [16]byte
	ms := uint64(time.Now().UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	if _, err := rand.Read(b[6:]); err != nil {
		panic(fmt.Sprintf("crypto/rand failed: %v", err)) // the platform is broken; nothing safe to do
	}
	return idEncoding.EncodeToString(b[:])
}

// checkType refuses types the server does not serve, and writes to read-only ones.
func checkType(typ string, write bool) error {
	info, ok := fhir.LookupType(typ)
	if !ok {
		return fhirerr.New(fhirerr.NotFound, "resource type %q is not supported", typ)
	}
	if write && info.ReadOnly {
		return fhirerr.New(fhirerr.NotAllowed, "%s is read-only", typ)
	}
	return nil
}

// storeErr turns storage errors into client-visible ones.
func storeErr(err error, what string) error {
	if err == nil {
		return nil
	}
	var fe *fhirerr.Error
	if errors.As(err, &fe) {
		return err
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fhirerr.Wrap(fhirerr.NotFound, err, "%s not found", what)
	case errors.Is(err, store.ErrConflict):
		return fhirerr.Wrap(fhirerr.Conflict, err, "%s was changed concurrently; retry", what)
	case errors.Is(err, store.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return fhirerr.Wrap(fhirerr.Unavailable, err, "storage is unavailable")
	}
	return fhirerr.Wrap(fhirerr.Internal, err, "internal error")
}
