package load

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
)

// Workloads are the names Target.Workload accepts.
var Workloads = []string{"read", "create-vitals", "search", "transaction", "mixed", "static"}

// pageSize is the _count of every search.
const pageSize = 20

// Target is a server under load and the dataset seeded into it.
type Target struct {
	Client *Client
	Data   *Dataset
}

// Workload returns the operation maker of a named workload.
func (t *Target) Workload(name string) (func(worker int) Op, error) {
	var op Op
	switch name {
	case "read":
		op = t.read
	case "create-vitals":
		op = t.createVital
	case "search":
		op = t.search
	case "transaction":
		op = t.transaction
	case "mixed":
		op = t.mixed
	case "static":
		op = t.static
	default:
		k, ok := searchKindByName(name)
		if !ok {
			return nil, fmt.Errorf("unknown workload %q (want one of %v, or one query of the search mix: %v)", name, Workloads, searchKindNames())
		}
		op = func(ctx context.Context, rng *rand.Rand) Result {
			return t.searchOnce(ctx, rng, k, rng.Float64() < missRate)
		}
	}
	return func(int) Op { return op }, nil
}

// send performs one request and times it alone, so that the reported
// latency is the server's answer and not the tool's checking of it.
func (t *Target) send(ctx context.Context, method, path string, body []byte) (*Response, time.Duration, error) {
	start := time.Now()
	resp, err := t.Client.Do(ctx, method, path, body)
	return resp, time.Since(start), err
}

// result builds a Result from a reply and its check.
func result(kind string, resp *Response, d time.Duration, units int, err error) Result {
	r := Result{Kind: kind, Latency: d, Err: err}
	if resp != nil {
		r.Status = resp.Status
	}
	if err == nil {
		r.Units = units
	}
	return r
}

// read is GET Patient by id on a random seeded patient.
func (t *Target) read(ctx context.Context, rng *rand.Rand) Result {
	id := t.Data.PatientID(rng.IntN(t.Data.Patients))
	resp, d, err := t.send(ctx, "GET", "/fhir/Patient/"+id, nil)
	if err == nil {
		_, err = CheckResource(resp, 200, "Patient", id)
	}
	return result("read", resp, d, 1, err)
}

// createVital posts one vital sign of a random seeded patient, taken now.
func (t *Target) createVital(ctx context.Context, rng *rand.Rand) Result {
	patient := t.Data.PatientID(rng.IntN(t.Data.Patients))
	sign := heartRate
	if rng.IntN(2) == 0 { // half heart rates, half the other signs
		sign = &VitalSigns[rng.IntN(len(VitalSigns))]
	}
	body, err := json.Marshal(VitalDoc(rng, sign, patient, "", time.Now().UTC().Truncate(time.Second)))
	if err != nil {
		return Result{Kind: "create-vitals", Err: fmt.Errorf("encode: %w", err)}
	}
	resp, d, err := t.send(ctx, "POST", "/fhir/Observation", body)
	if err == nil {
		_, err = CheckCreated(resp, "Observation")
	}
	return result("create-vitals", resp, d, 1, err)
}

// transaction posts a lab Bundle: a Specimen and its 20 results.
func (t *Target) transaction(ctx context.Context, rng *rand.Rand) Result {
	patient := t.Data.PatientID(rng.IntN(t.Data.Patients))
	b, types := LabBundle(rng, patient, time.Now().UTC().Truncate(time.Second))
	body, err := json.Marshal(b)
	if err != nil {
		return Result{Kind: "transaction", Err: fmt.Errorf("encode: %w", err)}
	}
	resp, d, err := t.send(ctx, "POST", "/fhir", body)
	if err == nil {
		err = CheckTransaction(resp, types)
	}
	return result("transaction", resp, d, len(types), err)
}

// mixed is a clinic day: 70% reads and searches, 25% creates, 5% lab
// transactions.
func (t *Target) mixed(ctx context.Context, rng *rand.Rand) Result {
	switch x := rng.IntN(100); {
	case x < 35:
		return t.read(ctx, rng)
	case x < 70:
		return t.search(ctx, rng)
	case x < 95:
		return t.createVital(ctx, rng)
	default:
		return t.transaction(ctx, rng)
	}
}

// benchStaticID is the id of the Patient GET /bench/static answers
// (api.BenchStaticID; the tool talks to the server over HTTP only).
const benchStaticID = "bench-static"

// static is ceiling (a): GET /bench/static, served when the server runs
// with EHR_BENCH_STATIC_ROUTE=1 (Spawn sets it). The same router,
// middleware and token check as a read, then a fixed Patient: no storage,
// no audit. It is checked as a read is, so that the tool's own work is the
// same on both sides of the ratio.
func (t *Target) static(ctx context.Context, _ *rand.Rand) Result {
	resp, d, err := t.send(ctx, "GET", "/bench/static", nil)
	if err == nil {
		_, err = CheckResource(resp, 200, "Patient", benchStaticID)
	}
	return result("static", resp, d, 1, err)
}

// Check runs every workload once and fails on the first wrong answer: a
// quick proof, before a measured run, that the server and the tool agree.
func (t *Target) Check(ctx context.Context) error {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, name := range slices.Concat(Workloads, searchKindNames()) {
		var res Result
		if k, ok := searchKindByName(name); ok {
			res = t.searchOnce(ctx, rng, k, false)
		} else {
			mk, err := t.Workload(name)
			if err != nil {
				return err
			}
			res = mk(0)(ctx, rng)
		}
		if res.Err != nil {
			return fmt.Errorf("check %s: %w", res.Kind, res.Err)
		}
	}
	return nil
}
