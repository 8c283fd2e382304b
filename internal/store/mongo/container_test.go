package mongo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/256dpi/lungo"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo/options"
)

// mongoImage is the server the container tests run on.
const mongoImage = "mongo:7.0"

// startMongoContainer starts MongoDB as a single-node replica set
// (transactions need one) and returns its URL; the container is removed at
// cleanup. Without a Docker engine the test is skipped before testcontainers
// is asked for anything, so that it neither hangs nor panics.
func startMongoContainer(t *testing.T) string {
	t.Helper()
	if reason := noDocker(); reason != "" {
		t.Skip("no Docker engine for a MongoDB container: " + reason)
	}
	testcontainers.SkipIfProviderIsNotHealthy(t)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ctr, err := testcontainers.Run(ctx, mongoImage,
		testcontainers.WithExposedPorts("27017/tcp"),
		testcontainers.WithCmd("mongod", "--replSet", "rs0", "--bind_ip_all"),
		testcontainers.WithWaitStrategy(wait.ForListeningPort("27017/tcp")),
	)
	testcontainers.CleanupContainer(t, ctr)
	if err != nil {
		t.Fatalf("start %s: %v", mongoImage, err)
	}
	// The member announces itself as localhost:27017, which the driver never
	// dials: directConnection talks to the mapped port only.
	code, _, err := ctr.Exec(ctx, []string{"mongosh", "--quiet", "--eval",
		"rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'localhost:27017'}]})"})
	if err != nil || code != 0 {
		t.Fatalf("rs.initiate: exit %d, %v", code, err)
	}
	host, err := ctr.Host(ctx)
	if err != nil {
		t.Fatal(err)
	}
	port, err := ctr.MappedPort(ctx, "27017/tcp")
	if err != nil {
		t.Fatal(err)
	}
	uri := fmt.Sprintf("mongodb://%s:%d/?directConnection=true", host, port.Num())
	if err := awaitPrimary(ctx, uri); err != nil {
		t.Fatal(err)
	}
	return uri
}

// noDocker says why no Docker engine can be reached, or "" if one may be.
func noDocker() string {
	if os.Getenv("DOCKER_HOST") != "" {
		return ""
	}
	sockets := []string{"/var/run/docker.sock"}
	if home, err := os.UserHomeDir(); err == nil {
		sockets = append(sockets,
			filepath.Join(home, ".docker", "run", "docker.sock"),
			filepath.Join(home, ".docker", "desktop", "docker.sock"))
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		sockets = append(sockets, filepath.Join(dir, "docker.sock"))
	}
	for _, s := range sockets {
		if _, err := os.Stat(s); err == nil {
			return ""
		}
	}
	return "DOCKER_HOST is not set and there is no Docker socket"
}

// awaitPrimary waits until the new replica set has elected its primary.
func awaitPrimary(ctx context.Context, uri string) error {
	client, err := lungo.Connect(ctx, options.Client().ApplyURI(uri))
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect(context.Background()) }()
	for {
		var hello struct {
			Primary bool `bson:"isWritablePrimary"`
		}
		err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "hello", Value: 1}}).Decode(&hello)
		if err == nil && hello.Primary {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica set has no primary: %v (%w)", err, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
