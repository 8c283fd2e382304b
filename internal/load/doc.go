// Package load drives a running EHR server over HTTP with clinic-shaped
// workloads (read, create-vitals, search, transaction, mixed), measures
// them closed-loop, checks every response, and compares the figures with
// ceilings measured in the same run: the server answering without storage
// or audit (ceiling a), and the storage taking the server's exact rows
// with the same group commit but without HTTP, JSON, validation or auth
// (ceiling b). cmd/ehrload is its command line; docs/performance.md says
// how to read the results.
package load
