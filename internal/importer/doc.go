// Package importer loads FHIR data into a running server over HTTP: batch
// and transaction Bundles (.json) and NDJSON (.ndjson, one resource a line,
// grouped into batch Bundles), with several batches in flight.
//
// # Idempotence
//
// Every entry is made safe to send twice:
//   - a resource with an id is written with PUT Type/id (update as create),
//     so it keeps its id and a second write cannot make a second resource;
//   - a resource without an id but with an identifier is created with
//     POST Type and ifNoneExist identifier=system|value (conditional
//     create), which finds the first copy instead of making another;
//   - a resource with neither is created plainly; a retry may duplicate it,
//     and the result counts such entries.
//
// A PUT of an unchanged resource still makes a new version. To avoid that,
// the importer keeps a journal (the state file, see state.go) of the
// batches it began and finished. A resume skips finished batches; a batch
// that was begun but never answered, and any retry after an ambiguous
// failure (a broken connection, 502–504), is first compared with the
// server's current copies (a search on _id) and only what differs is sent.
// Options.SkipUnchanged compares every batch, for a re-import without the
// state file.
//
// # Order
//
// NDJSON files are loaded by type in dependency order (Patient before
// Specimen before Observation…), each type finished before the next
// starts, because the server checks that references resolve. Bundle files
// come last, in parallel: a transaction Bundle carries what it refers to.
package importer
