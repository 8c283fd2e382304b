package load

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// SeedHTTP seeds a running server with update-as-create (PUT with the
// dataset's ids), conc requests at a time. It is the way to seed a server
// the tool did not start; the server must not rate-limit the tool's token
// (EHR_RATE_LIMIT=0). Each PUT is audited like any write.
func SeedHTTP(ctx context.Context, c *Client, d *Dataset, conc int, log io.Writer) error {
	if err := d.Validate(); err != nil {
		return err
	}
	for stage, what := range []string{"patients", "observations and appointments"} {
		if err := seedHTTPStage(ctx, c, d, stage, conc, newProgress(log, what, d.stageSize(stage))); err != nil {
			return err
		}
	}
	return nil
}

func seedHTTPStage(ctx context.Context, c *Client, d *Dataset, stage, conc int, p *progress) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	jobs := make(chan seedJob, 256)
	go d.emit(ctx, stage, jobs)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range max(conc, 1) {
		wg.Go(func() {
			for j := range jobs {
				typ, id, body := d.jobDoc(j)
				if err := putResource(ctx, c, typ, id, body); err != nil {
					cancel(err)
					return
				}
				mu.Lock()
				p.add(1)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return context.Cause(ctx)
}

// putResource creates (or replaces) typ/id; 200 and 201 are both fine, so
// that seeding an already seeded server is harmless.
func putResource(ctx context.Context, c *Client, typ, id string, body doc) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("seed %s/%s: encode: %w", typ, id, err)
	}
	resp, err := c.Do(ctx, "PUT", "/fhir/"+typ+"/"+id, raw)
	if err != nil {
		return fmt.Errorf("seed %s/%s: %w", typ, id, err)
	}
	want := 201
	if resp.Status == 200 {
		want = 200
	}
	if _, err := CheckResource(resp, want, typ, id); err != nil {
		return fmt.Errorf("seed %s/%s: %w", typ, id, err)
	}
	return nil
}
