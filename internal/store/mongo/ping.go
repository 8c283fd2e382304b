package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
	"go.mongodb.org/mongo-driver/mongo/readpref"

	"github.com/clinic/ehr/internal/store"
)

// pingTimeout keeps a readiness probe short when the server is gone.
const pingTimeout = 2 * time.Second

// Ping asks the primary (the only member that takes writes) to answer, then
// reads one audit log entry, which also fails once lungo's engine is closed.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := s.client.Ping(ctx, readpref.Primary()); err != nil {
		return fmt.Errorf("mongo: ping: %w: %w", store.ErrUnavailable, err)
	}
	err := s.auditLog.FindOne(ctx, bson.D{}, options.FindOne().SetProjection(bsonD("_id", 1))).Err()
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("mongo: ping: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}
