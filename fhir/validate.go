package fhir

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Issue is one problem found in a resource, shaped for an
// OperationOutcome.issue.
type Issue struct {
	Severity    string // SeverityError or SeverityWarning
	Code        string // OperationOutcome issue code, e.g. CodeStructure
	Expression  string // FHIRPath-like location: "Patient.name[0].given[1]"
	Diagnostics string // for people; never echoes resource content
}

// Issue severities.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
)

// OperationOutcome issue codes that Validate reports.
const (
	CodeStructure    = "structure"     // wrong JSON type, unknown element
	CodeRequired     = "required"      // missing required element
	CodeValue        = "value"         // a primitive's lexical form is wrong
	CodeInvalid      = "invalid"       // other schema rule, wrong resourceType
	CodeCodeInvalid  = "code-invalid"  // code outside a required binding
	CodeNotSupported = "not-supported" // resource type not served
	CodeException    = "exception"     // the validator itself failed
)

// schemaURL is the base URL the embedded schema is registered under; its
// definitions are addressed as schemaURL#/definitions/Patient.
const schemaURL = "http://hl7.org/fhir/json-schema/4.0"

var schemas = newLazy(compileEmbeddedSchema)

// Warm parses the embedded data and compiles the validation schema now
// rather than on first use. Call it at start-up: it turns a defect in the
// embedded data into an error, and takes the compile time off the first
// request.
func Warm() error {
	_, errTypes := servedTypes.get()
	_, errParams := searchParams.get()
	_, errCompartment := patientCompartment.get()
	_, errSchema := schemas.get()
	_, errSystems := codeSystems.get()
	return errors.Join(errTypes, errParams, errCompartment, errSchema, errSystems, WarmClinical())
}

// Validate checks a resource, as decoded by encoding/json (json.Number with
// UseNumber, or float64), against the R4 JSON schema of resourceType. It
// returns nil when the resource is valid; issues are sorted by location.
//
// The schema checks structure, cardinality of required elements, primitive
// formats and the code lists it has as enums. It does not check value sets
// beyond those, invariants or profiles. Contained resources are checked for
// a resourceType only.
func Validate(resourceType string, doc map[string]any) []Issue {
	compiled, err := schemas.get()
	if err != nil {
		return []Issue{{Severity: SeverityError, Code: CodeException, Diagnostics: "the validation schema is unavailable"}}
	}
	sch, ok := compiled[resourceType]
	if !ok {
		return []Issue{{
			Severity:    SeverityError,
			Code:        CodeNotSupported,
			Diagnostics: fmt.Sprintf("resource type %q is not supported", resourceType),
		}}
	}
	err = sch.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return []Issue{{Severity: SeverityError, Code: CodeException, Diagnostics: "validation failed unexpectedly"}}
	}
	return issuesFrom(resourceType, verr)
}

func compileEmbeddedSchema() (map[string]*jsonschema.Schema, error) {
	types, err := typeNames()
	if err != nil {
		return nil, err
	}
	b, err := readData(schemaFile)
	if err != nil {
		return nil, err
	}
	return compileSchemas(b, types)
}

// compileSchemas compiles the schema of each type. They share one compiler,
// so the common definitions are compiled once.
func compileSchemas(schemaJSON []byte, types []string) (map[string]*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
	if err != nil {
		return nil, fmt.Errorf("fhir: parse %s: %w", schemaFile, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("fhir: load %s: %w", schemaFile, err)
	}
	compiled := make(map[string]*jsonschema.Schema, len(types))
	for _, t := range types {
		sch, err := c.Compile(schemaURL + "#/definitions/" + t)
		if err != nil {
			return nil, fmt.Errorf("fhir: compile schema of %s: %w", t, err)
		}
		compiled[t] = sch
	}
	return compiled, nil
}
