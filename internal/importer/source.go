package importer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// source is one input file.
type source struct {
	path   string
	ndjson bool   // else a Bundle (or a single resource) in a .json file
	typ    string // NDJSON: the type of its first resource
	items  int    // NDJSON: non-blank lines; .json: an estimate until read
	digest string // SHA-256 of the content; .json: set when read
}

// dependencyRank orders types so that what a resource refers to is loaded
// before it: a server that checks references (a lab result's Specimen, a
// Specimen's Patient) then finds them.
var dependencyRank = map[string]int{
	"Patient":                  0,
	"Practitioner":             1,
	"Location":                 1,
	"Specimen":                 2,
	"Observation":              3,
	"MedicationAdministration": 4,
	"Appointment":              5,
}

func rank(typ string) int {
	if r, ok := dependencyRank[typ]; ok {
		return r
	}
	return len(dependencyRank)
}

// bytesPerEntry estimates the entries of a Bundle file from its size, for
// the progress bar, until the file is read.
const bytesPerEntry = 800

// expand turns the arguments (files and directories) into sources.
// Directories contribute their *.json and *.ndjson files, in name order.
func expand(args []string) ([]*source, error) {
	var out []*source
	for _, arg := range args {
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", arg, err)
		}
		if !fi.IsDir() {
			s, err := newSource(arg)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			continue
		}
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !importable(p) {
				return err
			}
			s, err := newSource(p)
			if err == nil {
				out = append(out, s)
			}
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", arg, err)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no .json or .ndjson input files")
	}
	return out, nil
}

func importable(p string) bool {
	return strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".ndjson")
}

func newSource(p string) (*source, error) {
	switch {
	case strings.HasSuffix(p, ".ndjson"):
		return scanNDJSON(p)
	case strings.HasSuffix(p, ".json"):
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("input %s: %w", p, err)
		}
		return &source{path: p, items: max(1, int(fi.Size()/bytesPerEntry))}, nil
	}
	return nil, fmt.Errorf("input %s: want a .json Bundle or an .ndjson file", p)
}

// scanNDJSON reads an NDJSON file once: its digest, its line count and the
// type of its first resource.
func scanNDJSON(p string) (*source, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("input %s: %w", p, err)
	}
	defer f.Close()
	s := &source{path: p, ndjson: true}
	h := sha256.New()
	r := bufio.NewReaderSize(io.TeeReader(f, h), 1<<20)
	for {
		line, err := r.ReadSlice('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			s.items++
			if s.typ == "" {
				var hd head
				if json.Unmarshal(line, &hd) == nil {
					s.typ = hd.ResourceType
				}
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			// a line longer than the buffer: count it once, skip its rest
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
	}
	s.digest = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// phases groups the sources into the steps of the import: NDJSON files by
// dependency rank, one step per rank, then the Bundle files, which are
// expected to hold what their resources need (a transaction per patient).
// Each step finishes before the next starts.
func phases(srcs []*source) [][]*source {
	var nd, bundles []*source
	for _, s := range srcs {
		if s.ndjson {
			nd = append(nd, s)
		} else {
			bundles = append(bundles, s)
		}
	}
	slices.SortStableFunc(nd, func(a, b *source) int { return rank(a.typ) - rank(b.typ) })
	var out [][]*source
	for i := 0; i < len(nd); {
		j := i + 1
		for j < len(nd) && rank(nd[j].typ) == rank(nd[i].typ) {
			j++
		}
		out = append(out, nd[i:j])
		i = j
	}
	if len(bundles) > 0 {
		out = append(out, bundles)
	}
	return out
}
