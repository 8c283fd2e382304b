package fhir

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

const codeSystemsFile = "data/code-systems.json"

var codeSystems = newLazy(loadCodeSystems)

// CodeSystemOf returns the code system that the values of a code element
// implicitly have, by the element's path ("Patient.gender" →
// "http://hl7.org/fhir/administrative-gender"). R4 gives a code element with
// a required binding to a value set drawn from one code system that system,
// so a token search on system|code must find it. The answer is "" for any
// other path: other types, other bindings, value sets spanning several
// systems, and elements of data types (Address.use) reached from a resource.
func CodeSystemOf(path string) string {
	return codeSystems.mustGet()[path]
}

func loadCodeSystems() (map[string]string, error) {
	b, err := readData(codeSystemsFile)
	if err != nil {
		return nil, err
	}
	var f struct {
		Elements map[string]string `json:"elements"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("fhir: parse %s: %w", codeSystemsFile, err)
	}
	names, err := typeNames()
	if err != nil {
		return nil, err
	}
	// The extractor writes elements of the served types only; anything else
	// means the file and types.json are out of step.
	for path, system := range f.Elements {
		typ, _, _ := strings.Cut(path, ".")
		if !slices.Contains(names, typ) {
			return nil, fmt.Errorf("fhir: %s: element %s is not of a served type", codeSystemsFile, path)
		}
		if system == "" {
			return nil, fmt.Errorf("fhir: %s: element %s has an empty system", codeSystemsFile, path)
		}
	}
	return f.Elements, nil
}
