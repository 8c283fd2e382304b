package mongo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/256dpi/lungo"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readconcern"
	"go.mongodb.org/mongo-driver/mongo/readpref"
	"go.mongodb.org/mongo-driver/mongo/writeconcern"

	"github.com/clinic/ehr/internal/store"
)

// DefaultDatabase is the database used when neither the URL nor Options name one.
const DefaultDatabase = "ehr"

// DefaultMaxPoolSize is the connection pool size per MongoDB server when
// neither Options nor the URL (maxPoolSize) set one. Writes are funnelled
// through one group commit at a time, so the pool is sized for concurrent
// reads and searches: the driver's own default of 100 connections.
const DefaultMaxPoolSize = 100

// closeTimeout bounds the wait for in-flight operations at Close.
const closeTimeout = 10 * time.Second

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Database overrides the database named in the URL path.
	Database string
	// MaxPoolSize overrides the connection pool size (MongoDB only).
	MaxPoolSize uint64
	// SortParams lists the parameters that get sort indexes; nil means
	// DefaultSortParams (MongoDB only: lungo does not use indexes to sort).
	SortParams []string
}

// Store is the MongoDB backend. It is safe for concurrent use.
type Store struct {
	client lungo.IClient
	engine *lungo.Engine // non-nil for lungo's embedded engine
	db     lungo.IDatabase

	resources, history, auditLog, auditHash lungo.ICollection

	commitMu  sync.Mutex // serialises Commit within the process
	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open connects to the storage named by rawURL and creates the indexes:
//
//	mongodb://… or mongodb+srv://…  a MongoDB replica set (transactions need one)
//	lungo:memory                    lungo's engine in memory
//	lungo:PATH                      lungo's engine in one file
func Open(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	s, err := connect(ctx, rawURL, opts)
	if err != nil {
		return nil, err
	}
	specs := baseIndexes()
	sortParams := opts.SortParams
	if sortParams == nil {
		sortParams = DefaultSortParams
	}
	specs = append(specs, sortIndexes(sortParams)...)
	if err := ensureIndexes(ctx, s.db, specs, s.engine != nil); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// connect opens the client and the database without touching the schema.
func connect(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	switch {
	case strings.HasPrefix(rawURL, "mongodb://"), strings.HasPrefix(rawURL, "mongodb+srv://"):
		return connectMongo(ctx, rawURL, opts)
	case strings.HasPrefix(rawURL, "lungo:"):
		return openLungo(ctx, strings.TrimPrefix(rawURL, "lungo:"), opts)
	default:
		return nil, fmt.Errorf("mongo: unsupported storage URL %q (want mongodb://, mongodb+srv:// or lungo:)", redact(rawURL))
	}
}

func connectMongo(ctx context.Context, rawURL string, opts Options) (*Store, error) {
	name := opts.Database
	if name == "" {
		name = databaseFromURL(rawURL)
	}
	copts := options.Client().ApplyURI(rawURL).
		SetWriteConcern(writeconcern.Majority()).
		SetReadConcern(readconcern.Majority()).
		SetReadPreference(readpref.Primary())
	copts.WriteConcern.Journal = ptr(true)
	if opts.MaxPoolSize > 0 {
		copts.SetMaxPoolSize(opts.MaxPoolSize)
	} else if copts.MaxPoolSize == nil {
		copts.SetMaxPoolSize(DefaultMaxPoolSize)
	}
	client, err := lungo.Connect(ctx, copts)
	if err != nil {
		return nil, fmt.Errorf("mongo: connect to %s: %w: %w", redact(rawURL), store.ErrUnavailable, err)
	}
	s := newStore(client, nil, name)
	if err := checkReplicaSet(ctx, s.db); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

func openLungo(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("mongo: lungo URL without a path (want lungo:memory or lungo:PATH)")
	}
	var backing lungo.Store = lungo.NewMemoryStore()
	if path != "memory" {
		backing = lungo.NewFileStore(path, 0o600)
	}
	client, engine, err := lungo.Open(ctx, lungo.Options{Store: backing})
	if err != nil {
		return nil, fmt.Errorf("mongo: open lungo %s: %w", path, err)
	}
	name := opts.Database
	if name == "" {
		name = DefaultDatabase
	}
	return newStore(client, engine, name), nil
}

func newStore(client lungo.IClient, engine *lungo.Engine, dbName string) *Store {
	db := client.Database(dbName)
	return &Store{
		client:    client,
		engine:    engine,
		db:        db,
		resources: db.Collection(colResources),
		history:   db.Collection(colHistory),
		auditLog:  db.Collection(colAuditLog),
		auditHash: db.Collection(colAuditHash),
	}
}

// checkReplicaSet refuses a standalone server early: it would accept every
// write and fail each transaction.
func checkReplicaSet(ctx context.Context, db lungo.IDatabase) error {
	var hello struct {
		SetName string `bson:"setName"`
		Msg     string `bson:"msg"`
	}
	err := db.RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello)
	if err != nil {
		return fmt.Errorf("mongo: hello: %w: %w", store.ErrUnavailable, err)
	}
	if hello.SetName == "" && hello.Msg != "isdbgrid" {
		return errors.New("mongo: the server is a standalone mongod; transactions need a replica set (a single-node one will do)")
	}
	return nil
}

// databaseFromURL returns the path of a MongoDB URL (the default auth and
// data database), or DefaultDatabase. It parses by hand: the connection
// string's parser would resolve mongodb+srv hosts in DNS.
func databaseFromURL(rawURL string) string {
	rest := rawURL[strings.Index(rawURL, "://")+3:]
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	i := strings.IndexByte(rest, '/')
	if i < 0 || i == len(rest)-1 {
		return DefaultDatabase
	}
	name, err := url.PathUnescape(rest[i+1:])
	if err != nil || name == "" {
		return DefaultDatabase
	}
	return name
}

// redact hides the password of a URL in error messages. It works on the
// raw string because multi-host MongoDB URLs are not valid net/url URLs.
func redact(rawURL string) string {
	i := strings.Index(rawURL, "://")
	if i < 0 {
		return rawURL
	}
	authority := rawURL[i+3:]
	if j := strings.IndexAny(authority, "/?#"); j >= 0 {
		authority = authority[:j]
	}
	at := strings.LastIndexByte(authority, '@')
	if at < 0 {
		return rawURL
	}
	user, _, hasPassword := strings.Cut(authority[:at], ":")
	if !hasPassword {
		return rawURL
	}
	return rawURL[:i+3] + user + ":xxxxx" + rawURL[i+3+at:]
}

// Database returns the underlying database, for tests that tamper with
// storage directly.
func (s *Store) Database() lungo.IDatabase { return s.db }

// Close disconnects from MongoDB or shuts lungo's engine down.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		if s.engine != nil {
			s.engine.Close()
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := s.client.Disconnect(ctx); err != nil {
			s.closeErr = fmt.Errorf("mongo: disconnect: %w", err)
		}
	})
	return s.closeErr
}

func ptr[T any](v T) *T { return &v }
