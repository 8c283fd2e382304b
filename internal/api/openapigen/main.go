// Command openapigen writes the swag annotations of the per-type FHIR routes
// from the registries in package fhir, and finishes the document swag makes
// from them. It runs in two steps around `swag init` (see the Makefile's
// openapi target and docs/openapi.md):
//
//	go run ./internal/api/openapigen            # write internal/api/zz_openapi_*.go
//	go tool swag init … --output openapi        # annotations → openapi/swagger.{json,yaml}
//	go run ./internal/api/openapigen -finish openapi
//
// Swag reads comments, so documentation that follows from data (one set of
// operations per resource type, one parameter per search parameter) is
// generated here rather than copied by hand. The finishing step adds what
// swag's annotations cannot carry: whole example resources (from examples/),
// the SMART scopes with their case kept (swag lower-cases them), and the
// descriptions of the tags.
//
// -check compares the generated Go files with the ones on disk instead of
// writing them, and exits 1 when they differ.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "internal/api", "the package directory the annotation files are written to")
	check := flag.Bool("check", false, "compare the annotation files with the ones on disk instead of writing them; exit 1 if stale")
	finishDir := flag.String("finish", "", "finish the swagger.json and swagger.yaml that swag wrote in this directory, then exit")
	flag.Parse()

	if *finishDir != "" {
		if err := finish(*finishDir); err != nil {
			fmt.Fprintln(os.Stderr, "openapigen:", err)
			os.Exit(1)
		}
		return
	}

	files, err := annotationFiles()
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
	stale := false
	for _, name := range sortedKeys(files) {
		path := filepath.Join(*dir, name)
		if *check {
			old, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(old, files[name]) {
				fmt.Fprintf(os.Stderr, "openapigen: %s is stale: run make openapi\n", path)
				stale = true
			}
			continue
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "openapigen:", err)
			os.Exit(1)
		}
	}
	if stale {
		os.Exit(1)
	}
}
