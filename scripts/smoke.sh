#!/usr/bin/env bash
# Fresh-clone smoke test (make smoke, run by CI): build, start ehrd on a new
# SQLite store exactly as `make run` does, run every ```sh block of README.md
# and docs/*.md against it (so the documentation cannot rot), seed a clinic
# of 200 patients and import it, stop, restart, and check that everything is
# still there and the audit log verifies.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
PID=""
cleanup() {
  if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill "$PID"; wait "$PID" || true; fi
  if [ "${KEEP_SMOKE:-}" = "" ]; then rm -rf "$WORK"; else echo "smoke: kept $WORK"; fi
}
trap cleanup EXIT

say() { printf '\n== %s\n' "$*"; }

# A copy of the working tree, as a fresh clone would have it (no data/, no bin/).
(cd "$ROOT" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$WORK" -xf -
cd "$WORK"
say "build"
make build >/dev/null

start() {
  if curl -s -o /dev/null http://localhost:8080/healthz 2>/dev/null; then
    echo "smoke: something already listens on localhost:8080; stop it first"; exit 1
  fi
  EHR_QUICKSTART=true EHR_ADDR=127.0.0.1:8080 bin/ehrd 2>>server.log &
  PID=$!
  for _ in $(seq 1 100); do
    if curl -sf http://localhost:8080/readyz >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$PID" 2>/dev/null; then echo "ehrd died:"; tail -20 server.log; exit 1; fi
    sleep 0.2
  done
  echo "ehrd did not become ready"; tail -20 server.log; exit 1
}
stop() { kill -TERM "$PID"; wait "$PID" || true; PID=""; }

say "start"
start

# Run each document's ```sh blocks, in order, as one script per document.
for doc in README.md docs/*.md; do
  script=$(awk '/^```sh$/{on=1; next} /^```/{on=0} on' "$doc")
  [ -n "$script" ] || continue
  say "run $doc"
  out="smoke-$(basename "$doc").out"
  printf 'set -eu\n%s\n' "$script" > "smoke-$(basename "$doc").sh"
  if ! bash "smoke-$(basename "$doc").sh" > "$out" 2>&1; then
    echo "smoke: $doc failed; its output:"; tail -30 "$out"; exit 1
  fi
  # A documented request must never be refused for a bad token.
  if grep -q '"diagnostics":"invalid token"' "$out"; then
    echo "smoke: $doc sent a request with a bad token"; tail -30 "$out"; exit 1
  fi
done

# No request may have failed on the server's side.
if grep -q '"status":5[0-9][0-9]' server.log; then
  echo "smoke: the server answered 5xx:"; grep '"status":5' server.log | head; exit 1
fi

SECRET=$(cat data/quickstart.secret)
TOKEN=$(bin/ehrctl token --secret "$SECRET" --sub smoke --scope "user/*.cruds user/AuditEvent.rs")
count() { curl -s "http://localhost:8080/fhir/$1?_summary=count" -H "Authorization: Bearer $TOKEN" | sed -E 's/.*"total":([0-9]+).*/\1/'; }

if [ ! -d seed ]; then # docs/import-and-seed.md seeds and imports 200 patients already
  say "seed 200 patients and import them"
  bin/ehrctl seed --patients 200 --seed 7 --out seed >/dev/null
  bin/ehrctl import --secret "$SECRET" --quiet seed/*
fi

before_patients=$(count Patient)
before_obs=$(count Observation)
say "restart ($before_patients patients, $before_obs observations)"
stop
bin/ehrctl audit verify
start
after_patients=$(count Patient)
after_obs=$(count Observation)
if [ "$before_patients" != "$after_patients" ] || [ "$before_obs" != "$after_obs" ]; then
  echo "smoke: data changed across restart: patients $before_patients -> $after_patients, observations $before_obs -> $after_obs"
  exit 1
fi
stop
bin/ehrctl audit verify
say "smoke passed"
