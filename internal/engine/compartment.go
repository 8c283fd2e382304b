package engine

import (
	"fmt"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/fhirjson"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// PatientCompartment returns the expression that confines typ to the
// compartment of patient pid (R4 Patient CompartmentDefinition). ok is false
// when resources of typ are never in a patient's compartment.
func PatientCompartment(typ, pid string) (expr search.Expr, ok bool) {
	var any search.Or
	if typ == "Patient" {
		any = append(any, search.IDIn{pid})
	}
	for _, p := range fhir.PatientCompartmentParams(typ) {
		any = append(any, refMatch(p, "Patient", pid))
	}
	switch len(any) {
	case 0:
		return nil, false
	case 1:
		return any[0], true
	}
	return any, true
}

func refMatch(param, typ, id string) search.Match {
	return search.Match{Param: param, Conds: []search.Cond{
		{Field: search.FieldSystem, Op: search.OpEq, Value: typ},
		{Field: search.FieldCode, Op: search.OpEq, Value: id},
	}}
}

// PatientsOf returns the ids of the patients whose compartment holds the
// resource: the audit trail names them (BALP patient variants).
func (e *Engine) PatientsOf(r *store.Resource) ([]string, error) {
	if r.Deleted || len(r.Body) == 0 {
		if r.Type == "Patient" {
			return []string{r.ID}, nil
		}
		return nil, nil
	}
	if r.Type == "Patient" {
		return []string{r.ID}, nil
	}
	params := fhir.PatientCompartmentParams(r.Type)
	if len(params) == 0 {
		return nil, nil
	}
	doc, err := fhirjson.Decode(r.Body, fhirjson.Options{})
	if err != nil {
		return nil, fmt.Errorf("decode stored %s: %w", r.Type, err)
	}
	return e.patientsOfDoc(r.Type, doc)
}

func (e *Engine) patientsOfDoc(typ string, doc map[string]any) ([]string, error) {
	entries, _, err := e.search.Extract(typ, doc)
	if err != nil {
		return nil, fmt.Errorf("extract %s: %w", typ, err)
	}
	id, _ := doc["id"].(string)
	return patientsOf(typ, id, entries), nil
}

// patientsOf reads the compartment's patients off a resource's index entries.
func patientsOf(typ, id string, entries []search.IndexEntry) []string {
	if typ == "Patient" {
		return []string{id}
	}
	params := fhir.PatientCompartmentParams(typ)
	var ids []string
	seen := map[string]bool{}
	for _, en := range entries {
		if en.System != "Patient" || seen[en.Code] {
			continue
		}
		for _, p := range params {
			if en.Param == p {
				seen[en.Code] = true
				ids = append(ids, en.Code)
				break
			}
		}
	}
	return ids
}
