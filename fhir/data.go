package fhir

import (
	"embed"
	"fmt"
	"sync"
)

//go:embed data/*.json
var dataFS embed.FS

// Names of the embedded data files.
const (
	typesFile            = "data/types.json"
	searchParametersFile = "data/search-parameters.json"
	schemaFile           = "data/fhir.schema.json"
	compartmentFile      = "data/compartmentdefinition-patient.json"
)

func readData(name string) ([]byte, error) {
	b, err := dataFS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("fhir: read embedded %s: %w", name, err)
	}
	return b, nil
}

// lazy parses embedded data once. The data is compiled into the binary, so
// a failure is a build defect: Warm reports it as an error, and the
// accessors that cannot return one panic.
type lazy[T any] struct {
	get func() (T, error)
}

func newLazy[T any](load func() (T, error)) lazy[T] {
	return lazy[T]{get: sync.OnceValues(load)}
}

func (l lazy[T]) mustGet() T {
	v, err := l.get()
	if err != nil {
		panic(err)
	}
	return v
}
