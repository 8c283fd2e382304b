#!/usr/bin/env bash
# Load test of the server (docs/performance.md): build ehrd and ehrload,
# seed a fresh SQLite store, spawn the server, run every workload
# interleaved with its ceilings, and print the figures, the ratios and the
# targets. Arguments go to `ehrload bench` (e.g. --observations 1000000).
# The JSON report lands in bin/bench.json. Exits non-zero only when the run
# itself fails: missed targets are results, and are printed as MISSED.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
mkdir -p bin
$GO build -o bin/ehrd ./cmd/ehrd
# The benchmark build (never deployed): honours EHR_BENCH_AUDIT=off, for the
# audit phase, and lets `ehrload run --inprocess --audit off` host it.
$GO build -tags ehrbench -o bin/ehrd-bench ./cmd/ehrd
$GO build -tags ehrbench -o bin/ehrload ./cmd/ehrload

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $($GO version | cut -d' ' -f3-)" >&2
exec bin/ehrload bench --spawn bin/ehrd --spawn-bench bin/ehrd-bench --seed-cache bin/bench-cache --json bin/bench.json "$@"
