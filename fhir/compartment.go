package fhir

import (
	"encoding/json"
	"fmt"
	"slices"
)

var patientCompartment = newLazy(loadPatientCompartment)

// PatientCompartmentParams returns the codes of the search parameters that
// put a resource of the given type in a patient's compartment (R4
// CompartmentDefinition/patient): a resource is in the compartment of the
// patient that one of them refers to. Observation → [subject performer].
// For Patient it is [link]; the patient itself is in its own compartment
// too. It is empty when the type is never in the compartment.
func PatientCompartmentParams(resourceType string) []string {
	return slices.Clone(patientCompartment.mustGet()[resourceType])
}

func loadPatientCompartment() (map[string][]string, error) {
	b, err := readData(compartmentFile)
	if err != nil {
		return nil, err
	}
	var def struct {
		Code     string `json:"code"`
		Resource []struct {
			Code  string   `json:"code"`
			Param []string `json:"param"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(b, &def); err != nil {
		return nil, fmt.Errorf("fhir: parse %s: %w", compartmentFile, err)
	}
	if def.Code != "Patient" {
		return nil, fmt.Errorf("fhir: %s defines the %q compartment, want Patient", compartmentFile, def.Code)
	}
	byType := make(map[string][]string, len(def.Resource))
	for _, r := range def.Resource {
		if len(r.Param) > 0 {
			byType[r.Code] = r.Param
		}
	}
	return byType, nil
}
