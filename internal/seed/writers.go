package seed

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// NDJSONWriter writes one file per type, TYPE.ndjson, one resource a line:
// the FHIR Bulk Data layout.
type NDJSONWriter struct {
	files map[string]*os.File
	bufs  map[string]*bufio.Writer
}

// NewNDJSONWriter creates (or truncates) DIR/TYPE.ndjson for every type.
func NewNDJSONWriter(dir string) (*NDJSONWriter, error) {
	w := &NDJSONWriter{files: map[string]*os.File{}, bufs: map[string]*bufio.Writer{}}
	for _, t := range Types {
		f, err := os.Create(filepath.Join(dir, t+".ndjson"))
		if err != nil {
			return nil, errors.Join(fmt.Errorf("create output: %w", err), w.Close())
		}
		w.files[t] = f
		w.bufs[t] = bufio.NewWriterSize(f, 1<<20)
	}
	return w, nil
}

// WritePatient appends each resource to its type's file.
func (w *NDJSONWriter) WritePatient(e *Encoded) error {
	for _, r := range e.Resources {
		b := w.bufs[r.Type]
		if b == nil {
			return fmt.Errorf("no output file for type %s", r.Type)
		}
		if _, err := b.Write(r.JSON); err != nil {
			return err
		}
		if err := b.WriteByte('\n'); err != nil {
			return err
		}
	}
	return nil
}

// Close flushes and closes every file, in type order.
func (w *NDJSONWriter) Close() error {
	var errs []error
	for _, t := range Types {
		if b := w.bufs[t]; b != nil {
			errs = append(errs, b.Flush())
		}
		if f := w.files[t]; f != nil {
			errs = append(errs, f.Close())
		}
	}
	w.files, w.bufs = nil, nil
	return errors.Join(errs...)
}

// BundleWriter writes one transaction Bundle per patient, DIR/p-000001.json,
// holding the patient and everything of theirs. Each entry is an update
// (PUT Type/id), so the server keeps the generated ids and references
// between the entries need no rewriting.
type BundleWriter struct {
	dir string
	buf bytes.Buffer
}

// NewBundleWriter writes into dir, which must exist.
func NewBundleWriter(dir string) *BundleWriter { return &BundleWriter{dir: dir} }

// WritePatient writes the patient's Bundle, one entry a line.
func (w *BundleWriter) WritePatient(e *Encoded) error {
	b := &w.buf
	b.Reset()
	b.WriteString(`{"resourceType":"Bundle","type":"transaction","entry":[`)
	for i, r := range e.Resources {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n{\"resource\":")
		b.Write(r.JSON)
		fmt.Fprintf(b, `,"request":{"method":"PUT","url":"%s/%s"}}`, r.Type, r.ID)
	}
	b.WriteString("\n]}\n")
	return os.WriteFile(filepath.Join(w.dir, PatientID(e.N)+".json"), b.Bytes(), 0o644)
}

// Close does nothing: each Bundle is closed as it is written.
func (w *BundleWriter) Close() error { return nil }

var (
	_ Writer = (*NDJSONWriter)(nil)
	_ Writer = (*BundleWriter)(nil)
)
