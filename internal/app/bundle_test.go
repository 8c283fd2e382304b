package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clinic/ehr/internal/api"
	"github.com/clinic/ehr/internal/app"
	"github.com/clinic/ehr/internal/auth"
	"github.com/clinic/ehr/internal/config"
)

// Systems the lab fixtures use.
const (
	accessionSystem = "http://lab.example.org/accession"
	resultSystem    = "http://lab.example.org/result"
	mrnSystem       = "http://clinic.example.org/mrn"
)

// labTest is one analyte of the lab's panel: LOINC code, UCUM unit, value.
type labTest struct {
	loinc, display, unit string
	value                float64
}

// labPanel is a realistic 20-analyte chemistry and blood count panel.
var labPanel = []labTest{
	{"2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 95},
	{"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 14.1},
	{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.9},
	{"3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 14},
	{"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 140},
	{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 4.2},
	{"2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 102},
	{"2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", 25},
	{"17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 9.5},
	{"2885-2", "Protein [Mass/volume] in Serum or Plasma", "g/dL", 7.1},
	{"1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 4.3},
	{"1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", 0.8},
	{"6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 70},
	{"1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 22},
	{"1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 24},
	{"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 6.2},
	{"789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 4.7},
	{"4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 42},
	{"777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 250},
	{"2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 92},
}

// labBundle is what a lab system posts: one Specimen and n Observations
// (n <= 20), every entry a conditional create on its identifier, the
// Observations pointing at the Specimen through its urn:uuid fullUrl.
// patientRef is "Patient/{id}" or a urn:uuid of a Patient entry.
func labBundle(patientRef, accession string, n int) map[string]any {
	specimenURN := "urn:uuid:" + uuidFor("specimen-"+accession)
	entries := []any{map[string]any{
		"fullUrl": specimenURN,
		"resource": map[string]any{
			"resourceType":        "Specimen",
			"accessionIdentifier": map[string]any{"system": accessionSystem, "value": accession},
			"status":              "available",
			"type": map[string]any{"coding": []any{map[string]any{
				"system": "http://snomed.info/sct", "code": "119297000", "display": "Blood specimen"}}},
			"subject":    map[string]any{"reference": patientRef},
			"collection": map[string]any{"collectedDateTime": "2024-05-02T08:15:00Z"},
		},
		"request": map[string]any{"method": "POST", "url": "Specimen",
			"ifNoneExist": "accession=" + accessionSystem + "|" + accession},
	}}
	for i := 0; i < n; i++ {
		entries = append(entries, labObservationEntry(patientRef, specimenURN, accession, labPanel[i]))
	}
	return map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": entries}
}

func labObservationEntry(patientRef, specimenRef, accession string, lt labTest) map[string]any {
	id := accession + "-" + lt.loinc
	return map[string]any{
		"fullUrl":  "urn:uuid:" + uuidFor("obs-"+id),
		"resource": labObservation(patientRef, specimenRef, id, lt),
		"request": map[string]any{"method": "POST", "url": "Observation",
			"ifNoneExist": "identifier=" + resultSystem + "|" + id},
	}
}

func labObservation(patientRef, specimenRef, id string, lt labTest) map[string]any {
	return map[string]any{
		"resourceType": "Observation",
		"identifier":   []any{map[string]any{"system": resultSystem, "value": id}},
		"status":       "final",
		"category": []any{map[string]any{"coding": []any{map[string]any{
			"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory", "display": "Laboratory"}}}},
		"code": map[string]any{"coding": []any{map[string]any{
			"system": "http://loinc.org", "code": lt.loinc, "display": lt.display}}},
		"subject":           map[string]any{"reference": patientRef},
		"specimen":          map[string]any{"reference": specimenRef},
		"effectiveDateTime": "2024-05-02T08:15:00Z",
		"issued":            "2024-05-02T10:00:00Z",
		"valueQuantity": map[string]any{
			"value": lt.value, "unit": lt.unit, "system": "http://unitsofmeasure.org", "code": lt.unit},
	}
}

// uuidFor makes a stable, well-formed UUID from a name, so that a retried
// Bundle is byte for byte the same.
func uuidFor(name string) string {
	var h [16]byte
	for i, c := range []byte(name) {
		h[i%16] = h[i%16]*31 + c
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
}

// labPatient stores a patient and returns its id.
func labPatient(t *testing.T, s *server, tok, mrn string) string {
	t.Helper()
	return create(t, s, tok, "Patient", patientJSON("Okafor", "Ngozi", "female", "1969-05-02", mrn))["id"].(string)
}

// labSpecimen stores the Specimen of labBundle directly and returns its id.
func labSpecimen(t *testing.T, s *server, tok, pid, accession string) string {
	t.Helper()
	doc := labBundle("Patient/"+pid, accession, 0)["entry"].([]any)[0].(map[string]any)["resource"]
	return must(t, s.do("POST", "/fhir/Specimen", tok, doc), http.StatusCreated).json(t)["id"].(string)
}

// searchTotal runs a search with _total=accurate and returns the count.
func searchTotal(t *testing.T, s *server, tok, query string) int {
	t.Helper()
	sep := "?"
	if strings.Contains(query, "?") {
		sep = "&"
	}
	r := must(t, s.do("GET", "/fhir/"+query+sep+"_total=accurate", tok, nil), http.StatusOK)
	n, ok := r.json(t)["total"].(float64)
	if !ok {
		t.Fatalf("%s: no total: %s", query, r.Body)
	}
	return int(n)
}

// bundleResponses returns the response elements of a batch or transaction response.
func bundleResponses(t *testing.T, r *reply, kind string) []map[string]any {
	t.Helper()
	if got := r.json(t)["type"]; got != kind {
		t.Fatalf("Bundle.type = %v, want %s: %s", got, kind, r.Body)
	}
	var out []map[string]any
	for _, e := range entries(t, r) {
		out = append(out, e["response"].(map[string]any))
	}
	return out
}

func bundleStatuses(t *testing.T, r *reply, kind string) []string {
	t.Helper()
	var out []string
	for _, resp := range bundleResponses(t, r, kind) {
		out = append(out, resp["status"].(string))
	}
	return out
}

func outcomeText(t *testing.T, r *reply) string {
	t.Helper()
	oo := r.json(t)
	if oo["resourceType"] != "OperationOutcome" {
		t.Fatalf("not an OperationOutcome: %s", r.Body)
	}
	var out []string
	for _, is := range oo["issue"].([]any) {
		d, _ := is.(map[string]any)["diagnostics"].(string)
		out = append(out, d)
	}
	return strings.Join(out, "; ")
}

func TestTransactionLab(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid := labPatient(t, s, tok, "MRN-LAB-1")
		b := labBundle("Patient/"+pid, "ACC-1001", 20)
		// A nested reference too: an extension pointing at the Specimen.
		obs := b["entry"].([]any)[1].(map[string]any)["resource"].(map[string]any)
		specimenURN := b["entry"].([]any)[0].(map[string]any)["fullUrl"].(string)
		obs["extension"] = []any{map[string]any{"url": "http://example.org/fhir/StructureDefinition/source-specimen",
			"valueReference": map[string]any{"reference": specimenURN}}}

		r := must(t, s.do("POST", "/fhir", tok, b), http.StatusOK)
		resps := bundleResponses(t, r, "transaction-response")
		if len(resps) != 21 {
			t.Fatalf("%d response entries, want 21", len(resps))
		}
		for i, resp := range resps {
			if resp["status"] != "201 Created" || resp["etag"] != `W/"1"` || resp["lastModified"] == nil {
				t.Errorf("entry %d: response %v", i, resp)
			}
			if loc, _ := resp["location"].(string); !strings.HasSuffix(loc, "/_history/1") {
				t.Errorf("entry %d: location %q is not versioned", i, loc)
			}
		}
		es := entries(t, r)
		specimen := es[0]["resource"].(map[string]any)
		sid := specimen["id"].(string)
		for i, e := range es[1:] {
			o := e["resource"].(map[string]any)
			if ref := o["specimen"].(map[string]any)["reference"]; ref != "Specimen/"+sid {
				t.Errorf("observation %d: specimen %v, want Specimen/%s", i, ref, sid)
			}
		}
		ext := es[1]["resource"].(map[string]any)["extension"].([]any)[0].(map[string]any)
		if ref := ext["valueReference"].(map[string]any)["reference"]; ref != "Specimen/"+sid {
			t.Errorf("nested reference not resolved: %v", ref)
		}
		if n := searchTotal(t, s, tok, "Observation?specimen=Specimen/"+sid); n != 20 {
			t.Errorf("%d Observations point at the Specimen, want 20", n)
		}

		// The identical Bundle again: every entry matches, nothing is written.
		again := must(t, s.do("POST", "/fhir", tok, labBundle("Patient/"+pid, "ACC-1001", 20)), http.StatusOK)
		for i, st := range bundleStatuses(t, again, "transaction-response") {
			if st != "200 OK" {
				t.Errorf("retry entry %d: %s, want 200 OK", i, st)
			}
		}
		if id := entries(t, again)[0]["resource"].(map[string]any)["id"]; id != sid {
			t.Errorf("retry answered Specimen %v, want %s", id, sid)
		}
		if n := searchTotal(t, s, tok, "Specimen?accession="+accessionSystem+"|ACC-1001"); n != 1 {
			t.Errorf("%d Specimens after the retry, want 1", n)
		}
		if n := searchTotal(t, s, tok, "Observation?subject=Patient/"+pid); n != 20 {
			t.Errorf("%d Observations after the retry, want 20", n)
		}
		v := must(t, s.do("GET", "/fhir/Specimen/"+sid, tok, nil), http.StatusOK)
		if v.Header.Get("ETag") != `W/"1"` {
			t.Errorf("the retry made a new version: %s", v.Header.Get("ETag"))
		}
	})
}

// TestTransactionResolvesEveryEntry: the Patient created in the same
// transaction, after the entries that point at it, and a conditional
// reference.
func TestTransactionResolvesEveryEntry(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		patientURN := "urn:uuid:" + uuidFor("patient-new")
		b := labBundle(patientURN, "ACC-2001", 2)
		b["entry"] = append(b["entry"].([]any), map[string]any{
			"fullUrl":  patientURN,
			"resource": map[string]any{"resourceType": "Patient", "identifier": []any{map[string]any{"system": mrnSystem, "value": "MRN-NEW"}}, "name": []any{map[string]any{"family": "Mensah"}}},
			"request":  map[string]any{"method": "POST", "url": "Patient"},
		})
		r := must(t, s.do("POST", "/fhir", tok, b), http.StatusOK)
		es := entries(t, r)
		pid := es[3]["resource"].(map[string]any)["id"].(string)
		for i := 0; i < 3; i++ {
			res := es[i]["resource"].(map[string]any)
			if ref := res["subject"].(map[string]any)["reference"]; ref != "Patient/"+pid {
				t.Errorf("entry %d: subject %v, want Patient/%s", i, ref, pid)
			}
		}

		// A conditional reference resolves to the one Patient with the MRN.
		cond := labBundle("Patient?identifier="+mrnSystem+"|MRN-NEW", "ACC-2002", 1)
		r = must(t, s.do("POST", "/fhir", tok, cond), http.StatusOK)
		if ref := entries(t, r)[1]["resource"].(map[string]any)["subject"].(map[string]any)["reference"]; ref != "Patient/"+pid {
			t.Errorf("conditional reference resolved to %v, want Patient/%s", ref, pid)
		}
		// No match and several matches are both 412, and nothing is stored.
		missing := must(t, s.do("POST", "/fhir", tok, labBundle("Patient?identifier="+mrnSystem+"|NOBODY", "ACC-2003", 1)), http.StatusPreconditionFailed)
		if d := outcomeText(t, missing); !strings.Contains(d, "matches no resource") {
			t.Errorf("diagnostics: %s", d)
		}
		labPatient(t, s, tok, "MRN-TWIN")
		labPatient(t, s, tok, "MRN-TWIN")
		must(t, s.do("POST", "/fhir", tok, labBundle("Patient?identifier="+mrnSystem+"|MRN-TWIN", "ACC-2004", 1)), http.StatusPreconditionFailed)
		must(t, s.do("POST", "/fhir", tok, labBundle("Patient?nonsense=1", "ACC-2005", 1)), http.StatusBadRequest)
		for _, acc := range []string{"ACC-2003", "ACC-2004", "ACC-2005"} {
			if n := searchTotal(t, s, tok, "Specimen?accession="+accessionSystem+"|"+acc); n != 0 {
				t.Errorf("%s: %d Specimens stored by a failed transaction", acc, n)
			}
		}
		// Criteria with a chain cannot be judged from a hit's own index
		// entries; they are searched one by one, with the same outcome.
		chained := labBundle("Patient/"+pid, "ACC-2007", 2)
		for _, e := range chained["entry"].([]any)[1:] {
			req := e.(map[string]any)["request"].(map[string]any)
			req["ifNoneExist"] = req["ifNoneExist"].(string) + "&subject:Patient.identifier=" + mrnSystem + "|MRN-NEW"
		}
		got := bundleStatuses(t, must(t, s.do("POST", "/fhir", tok, chained), http.StatusOK), "transaction-response")
		again := bundleStatuses(t, must(t, s.do("POST", "/fhir", tok, chained), http.StatusOK), "transaction-response")
		if strings.Join(got, ",") != "201 Created,201 Created,201 Created" || strings.Join(again, ",") != "200 OK,200 OK,200 OK" {
			t.Errorf("chained criteria: first %v, then %v", got, again)
		}

		// A urn: reference to no entry is refused.
		dangling := labBundle("urn:uuid:"+uuidFor("nobody"), "ACC-2006", 1)
		must(t, s.do("POST", "/fhir", tok, dangling), http.StatusBadRequest)
	})
}

// TestTransactionFailureInjection: the third of 21 entries is invalid, so
// nothing is stored, and the audit trail shows one failed transaction and
// no write.
func TestTransactionFailureInjection(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		auditor := token(t, "user/AuditEvent.rs", "")
		pid := labPatient(t, s, tok, "MRN-FAIL")
		b := labBundle("Patient/"+pid, "ACC-3001", 20)
		third := b["entry"].([]any)[2].(map[string]any)["resource"].(map[string]any)
		third["status"] = "finalised" // not in the required binding

		r := must(t, s.do("POST", "/fhir", tok, b), http.StatusBadRequest)
		if d := outcomeText(t, r); !strings.Contains(d, "Bundle.entry[2]") {
			t.Errorf("the OperationOutcome does not name the failing entry: %s", d)
		}
		if n := searchTotal(t, s, tok, "Specimen?accession="+accessionSystem+"|ACC-3001"); n != 0 {
			t.Errorf("%d Specimens stored", n)
		}
		if n := searchTotal(t, s, tok, "Observation?subject=Patient/"+pid); n != 0 {
			t.Errorf("%d Observations stored", n)
		}
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=transaction&outcome=4"); n != 1 {
			t.Errorf("%d failed transactions audited, want 1", n)
		}
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=create&outcome=0"); n != 1 {
			t.Errorf("%d successful creates audited, want 1 (the Patient)", n)
		}

		// A failure found inside the unit (a stale ifMatch on the last
		// entry, after 20 valid creates) leaves nothing either.
		sid := labSpecimen(t, s, tok, pid, "ACC-3002")
		stale := labBundle("Patient/"+pid, "ACC-3002", 0)["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)
		stale["id"] = sid
		b = labBundle("Patient/"+pid, "ACC-3003", 20)
		b["entry"] = append(b["entry"].([]any), map[string]any{
			"resource": stale,
			"request":  map[string]any{"method": "PUT", "url": "Specimen/" + sid, "ifMatch": `W/"7"`},
		})
		must(t, s.do("POST", "/fhir", tok, b), http.StatusPreconditionFailed)
		if n := searchTotal(t, s, tok, "Observation?subject=Patient/"+pid); n != 0 {
			t.Errorf("%d Observations stored by a transaction that failed in its unit", n)
		}
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=transaction&outcome=4"); n != 2 {
			t.Errorf("%d failed transactions audited, want 2", n)
		}
	})
}

func TestTransactionScopes(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		admin := token(t, adminScope, "")
		pid := labPatient(t, s, admin, "MRN-SCOPE")
		lab := token(t, "system/Specimen.crus system/Observation.crus", "")
		must(t, s.do("POST", "/fhir", lab, labBundle("Patient/"+pid, "ACC-4001", 3)), http.StatusOK)

		// One entry outside the scopes: 403, and nothing committed.
		b := labBundle("Patient/"+pid, "ACC-4002", 3)
		b["entry"] = append(b["entry"].([]any), map[string]any{
			"resource": map[string]any{"resourceType": "Patient", "name": []any{map[string]any{"family": "Intruder"}}},
			"request":  map[string]any{"method": "POST", "url": "Patient"},
		})
		r := must(t, s.do("POST", "/fhir", lab, b), http.StatusForbidden)
		if d := outcomeText(t, r); !strings.Contains(d, "Bundle.entry[4]") {
			t.Errorf("diagnostics: %s", d)
		}
		if n := searchTotal(t, s, admin, "Specimen?accession="+accessionSystem+"|ACC-4002"); n != 0 {
			t.Errorf("%d Specimens stored by a refused transaction", n)
		}
		// Conditional creates need the search permission as well.
		noSearch := token(t, "system/Specimen.cru system/Observation.cru", "")
		must(t, s.do("POST", "/fhir", noSearch, labBundle("Patient/"+pid, "ACC-4003", 1)), http.StatusForbidden)
		// A patient-context token cannot write into another patient's record.
		other := labPatient(t, s, admin, "MRN-OTHER")
		pt := token(t, "patient/*.cruds", pid)
		must(t, s.do("POST", "/fhir", pt, labBundle("Patient/"+other, "ACC-4004", 1)), http.StatusForbidden)
		must(t, s.do("POST", "/fhir", pt, labBundle("Patient/"+pid, "ACC-4005", 1)), http.StatusOK)
	})
}

// TestTransactionOrder: DELETE, POST, PUT, then GET, whatever the Bundle
// order; a search entry sees the transaction's own writes.
func TestTransactionOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid := labPatient(t, s, tok, "MRN-ORDER")
		first := must(t, s.do("POST", "/fhir", tok, labBundle("Patient/"+pid, "ACC-5001", 2)), http.StatusOK)
		es := entries(t, first)
		sid := es[0]["resource"].(map[string]any)["id"].(string)
		old := es[1]["resource"].(map[string]any)["id"].(string)
		kept := es[2]["resource"].(map[string]any)["id"].(string)

		corrected := labObservation("Patient/"+pid, "Specimen/"+sid, "ACC-5001-2339-0-corrected", labPanel[0])
		keptDoc := es[2]["resource"].(map[string]any)
		keptDoc["status"] = "amended"
		b := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
			map[string]any{"request": map[string]any{"method": "GET", "url": "Observation?specimen=Specimen/" + sid}},
			map[string]any{"resource": keptDoc, "request": map[string]any{"method": "PUT", "url": "Observation/" + kept, "ifMatch": `W/"1"`}},
			map[string]any{"resource": corrected, "request": map[string]any{"method": "POST", "url": "Observation"}},
			map[string]any{"request": map[string]any{"method": "DELETE", "url": "Observation/" + old}},
		}}
		r := must(t, s.do("POST", "/fhir", tok, b), http.StatusOK)
		want := []string{"200 OK", "200 OK", "201 Created", "204 No Content"}
		if got := bundleStatuses(t, r, "transaction-response"); strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("statuses %v, want %v", got, want)
		}
		set := entries(t, r)[0]["resource"].(map[string]any)
		if set["total"] != float64(2) {
			t.Errorf("the search entry saw %v Observations, want 2 (the deleted one gone, the new one there): %v", set["total"], set)
		}
		must(t, s.do("GET", "/fhir/Observation/"+old, tok, nil), http.StatusGone)

		// Two entries changing one resource: refused.
		twice := map[string]any{"resourceType": "Bundle", "type": "transaction", "entry": []any{
			map[string]any{"request": map[string]any{"method": "DELETE", "url": "Observation/" + kept}},
			map[string]any{"resource": keptDoc, "request": map[string]any{"method": "PUT", "url": "Observation/" + kept}},
		}}
		must(t, s.do("POST", "/fhir", tok, twice), http.StatusBadRequest)
		must(t, s.do("GET", "/fhir/Observation/"+kept, tok, nil), http.StatusOK)
	})
}

func TestTransactionPrefer(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid := labPatient(t, s, tok, "MRN-PREFER")
		cases := []struct {
			prefer            string
			resource, outcome bool
		}{
			{"", true, false},
			{"return=representation", true, false},
			{"return=minimal", false, false},
			{"return=OperationOutcome", false, true},
		}
		for i, c := range cases {
			r := must(t, s.do("POST", "/fhir", tok, labBundle("Patient/"+pid, fmt.Sprintf("ACC-6%03d", i), 1), "Prefer", c.prefer), http.StatusOK)
			for j, e := range entries(t, r) {
				_, hasRes := e["resource"]
				_, hasOutcome := e["response"].(map[string]any)["outcome"]
				if hasRes != c.resource || hasOutcome != c.outcome {
					t.Errorf("Prefer %q entry %d: resource %t outcome %t", c.prefer, j, hasRes, hasOutcome)
				}
			}
		}
	})
}

func TestBatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		admin := token(t, adminScope, "")
		pid := labPatient(t, s, admin, "MRN-BATCH")
		tok := token(t, "user/Observation.cruds user/Specimen.cruds user/Patient.rs", "")
		sid := labSpecimen(t, s, admin, pid, "ACC-B")
		good := labObservation("Patient/"+pid, "Specimen/"+sid, "B-1", labPanel[0])
		bad := labObservation("Patient/"+pid, "Specimen/"+sid, "B-2", labPanel[1])
		bad["status"] = "nonsense"
		b := map[string]any{"resourceType": "Bundle", "type": "batch", "entry": []any{
			map[string]any{"resource": good, "request": map[string]any{"method": "POST", "url": "Observation"}},
			map[string]any{"resource": bad, "request": map[string]any{"method": "POST", "url": "Observation"}},
			map[string]any{"resource": map[string]any{"resourceType": "Patient"}, "request": map[string]any{"method": "POST", "url": "Patient"}},
			map[string]any{"request": map[string]any{"method": "GET", "url": "Observation/does-not-exist"}},
			map[string]any{"request": map[string]any{"method": "GET", "url": "Patient/" + pid}},
			map[string]any{"request": map[string]any{"method": "PATCH", "url": "Patient/" + pid}},
			map[string]any{"request": map[string]any{"method": "GET", "url": "Observation?identifier=" + resultSystem + "|B-1"}},
		}}
		r := must(t, s.do("POST", "/fhir", tok, b), http.StatusOK)
		want := []string{"201 Created", "400 Bad Request", "403 Forbidden", "404 Not Found", "200 OK", "405 Method Not Allowed", "200 OK"}
		got := bundleStatuses(t, r, "batch-response")
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("statuses %v, want %v", got, want)
		}
		resps := bundleResponses(t, r, "batch-response")
		if resps[1]["outcome"] == nil || resps[2]["outcome"] == nil {
			t.Errorf("failed entries carry no OperationOutcome: %v", resps)
		}
		if n := searchTotal(t, s, admin, "Observation?identifier="+resultSystem+"|B-1"); n != 1 {
			t.Errorf("the valid entry stored %d Observations, want 1", n)
		}
		if n := searchTotal(t, s, admin, "Observation?identifier="+resultSystem+"|B-2"); n != 0 {
			t.Errorf("the invalid entry stored %d Observations", n)
		}
		// Each entry is audited, and the batch itself.
		auditor := token(t, "user/AuditEvent.rs", "")
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=batch"); n != 1 {
			t.Errorf("%d batch AuditEvents, want 1", n)
		}
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=create&outcome=4"); n != 2 {
			t.Errorf("%d refused creates audited, want 2 (invalid, forbidden)", n)
		}
		if n := searchTotal(t, s, auditor, "AuditEvent?subtype=read&outcome=4"); n != 1 {
			t.Errorf("%d failed reads audited, want 1", n)
		}
	})
}

func TestBundleLimits(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid := labPatient(t, s, tok, "MRN-LIMITS")
		// A server configured for at most 5 entries.
		small := api.New(api.Config{Engine: s.App.Engine, Verifier: s.App.Verifier, Recorder: s.App.Recorder, MaxBundleEntries: 5,
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		hs := httptest.NewServer(small.Handler())
		defer hs.Close()
		tiny := &server{t: t, URL: hs.URL, App: s.App}
		r := must(t, tiny.do("POST", "/fhir", tok, labBundle("Patient/"+pid, "ACC-7001", 5)), http.StatusRequestEntityTooLarge)
		if d := outcomeText(t, r); !strings.Contains(d, "at most 5") {
			t.Errorf("diagnostics: %s", d)
		}
		must(t, tiny.do("POST", "/fhir", tok, labBundle("Patient/"+pid, "ACC-7002", 4)), http.StatusOK)
		// The test servers take 64 KiB bodies.
		big := labBundle("Patient/"+pid, "ACC-7003", 1)
		big["entry"].([]any)[0].(map[string]any)["resource"].(map[string]any)["note"] = []any{map[string]any{"text": strings.Repeat("x", 70000)}}
		must(t, s.do("POST", "/fhir", tok, big), http.StatusRequestEntityTooLarge)
		// Not a transaction or batch.
		must(t, s.do("POST", "/fhir", tok, `{"resourceType":"Bundle","type":"collection"}`), http.StatusBadRequest)
		must(t, s.do("POST", "/fhir", tok, `{"resourceType":"Patient"}`), http.StatusBadRequest)
		must(t, s.do("POST", "/fhir", "", labBundle("Patient/"+pid, "ACC-7004", 1)), http.StatusUnauthorized)
	})
}

// TestConcurrentLabTransactions: 20 identical Bundles at once create one
// Specimen and one of each Observation. Five results per Bundle keep the one
// group commit that may hold all 20 (and their 140 AuditEvents) well inside
// the commit timeout under the race detector; TestTransactionLab and the
// benchmark post full 21-entry Bundles.
func TestConcurrentLabTransactions(t *testing.T) {
	const results = 5
	eachBackend(t, func(t *testing.T, s *server) {
		tok := token(t, adminScope, "")
		pid := labPatient(t, s, tok, "MRN-RACE")
		body, err := jsonMarshal(labBundle("Patient/"+pid, "ACC-8001", results))
		if err != nil {
			t.Fatal(err)
		}
		replies := make([]*reply, 20)
		concurrently(20, func(i int) int { replies[i] = s.do("POST", "/fhir", tok, body); return 0 })
		for i, r := range replies {
			if r.Status != http.StatusOK {
				t.Errorf("request %d: status %d: %s", i, r.Status, r.Body)
			}
		}
		if n := searchTotal(t, s, tok, "Specimen?accession="+accessionSystem+"|ACC-8001"); n != 1 {
			t.Errorf("%d Specimens, want 1", n)
		}
		for _, lt := range labPanel[:results] {
			if n := searchTotal(t, s, tok, "Observation?identifier="+resultSystem+"|ACC-8001-"+lt.loinc); n != 1 {
				t.Errorf("%s: %d Observations, want 1", lt.loinc, n)
			}
		}
		if n := searchTotal(t, s, tok, "Observation?subject=Patient/"+pid); n != results {
			t.Errorf("%d Observations, want %d", n, results)
		}
	})
}

// concurrently runs fn n times at once and returns the results in order.
func concurrently(n int, fn func(i int) int) []int {
	out := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// TestLabIntegrationScenario performs the steps of docs/lab-integration.md:
// post the lab's transaction, retry it unchanged, then correct one result
// with an update guarded by If-Match.
func TestLabIntegrationScenario(t *testing.T) {
	eachBackend(t, func(t *testing.T, s *server) {
		clinic := token(t, adminScope, "")
		lab := token(t, "system/*.cruds", "")
		pid := labPatient(t, s, clinic, "MRN-12345")

		// Step 1: the lab posts the Specimen and two results.
		b := labBundle("Patient?identifier="+mrnSystem+"|MRN-12345", "ACC-2024-0042", 2)
		r := must(t, s.do("POST", "/fhir", lab, b), http.StatusOK)
		if got := bundleStatuses(t, r, "transaction-response"); strings.Join(got, ",") != "201 Created,201 Created,201 Created" {
			t.Fatalf("first post: %v", got)
		}
		glucose := entries(t, r)[1]["resource"].(map[string]any)
		if glucose["subject"].(map[string]any)["reference"] != "Patient/"+pid {
			t.Errorf("subject = %v", glucose["subject"])
		}

		// Step 2: a retry of the same Bundle creates nothing.
		r = must(t, s.do("POST", "/fhir", lab, b), http.StatusOK)
		if got := bundleStatuses(t, r, "transaction-response"); strings.Join(got, ",") != "200 OK,200 OK,200 OK" {
			t.Fatalf("retry: %v", got)
		}
		if n := searchTotal(t, s, lab, "Observation?subject=Patient/"+pid); n != 2 {
			t.Errorf("%d Observations after the retry, want 2", n)
		}

		// Step 3: a corrected glucose value, guarded by the version read.
		id := glucose["id"].(string)
		glucose["valueQuantity"].(map[string]any)["value"] = 101
		glucose["status"] = "corrected"
		must(t, s.do("PUT", "/fhir/Observation/"+id, lab, glucose, "If-Match", `W/"1"`), http.StatusOK)
		// The same correction sent twice loses: the version moved on.
		must(t, s.do("PUT", "/fhir/Observation/"+id, lab, glucose, "If-Match", `W/"1"`), http.StatusPreconditionFailed)
		h := must(t, s.do("GET", "/fhir/Observation/"+id+"/_history", lab, nil), http.StatusOK)
		if n := len(entries(t, h)); n != 2 {
			t.Errorf("history has %d versions, want 2", n)
		}
	})
}

// BenchmarkLabTransaction posts lab Bundles (1 Specimen + 20 Observations,
// each a conditional create) from 1, 4 and 16 concurrent clients to a
// SQLite-backed server, and reports throughput and the 99th percentile
// latency of one Bundle. Each client count starts from an empty database.
func BenchmarkLabTransaction(b *testing.B) {
	for _, clients := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			url := benchServer(b, "sqlite:"+filepath.Join(b.TempDir(), "ehr.db"))
			tok, err := auth.Mint([]byte(testSecret), auth.MintClaims{Subject: "lab-system", Scope: "system/*.cruds", ClientID: "bench"})
			if err != nil {
				b.Fatal(err)
			}
			status, body := postRaw(url+"/fhir/Patient", tok, []byte(patientJSON("Bench", "Mark", "male", "1970-01-01", "MRN-BENCH")))
			if status != http.StatusCreated {
				b.Fatalf("create patient: %d %s", status, body)
			}
			var p struct{ ID string }
			if err := json.Unmarshal(body, &p); err != nil {
				b.Fatal(err)
			}
			benchLab(b, url, tok, "Patient/"+p.ID, clients)
		})
	}
}

func benchLab(b *testing.B, url, tok, patientRef string, clients int) {
	var next, accession atomic.Int64
	latencies := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(b.N) {
				raw, _ := json.Marshal(labBundle(patientRef, fmt.Sprintf("BENCH-%d", accession.Add(1)), 20))
				t0 := time.Now()
				if status, body := postRaw(url+"/fhir", tok, raw); status != http.StatusOK {
					b.Errorf("transaction: %d %s", status, body)
					return
				}
				latencies[c] = append(latencies[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(latencies...)
	if len(all) == 0 {
		return
	}
	slices.Sort(all)
	p99 := all[min(len(all)-1, len(all)*99/100)]
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "bundles/s")
	b.ReportMetric(float64(21*len(all))/elapsed.Seconds(), "resources/s")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
}

// benchServer starts a server for a benchmark (newServer takes a *testing.T).
func benchServer(tb testing.TB, storeURL string) string {
	env := map[string]string{"EHR_STORE": storeURL, "EHR_AUTH_HS256_SECRET": testSecret, "EHR_DATA_DIR": tb.TempDir()}
	cfg, err := config.Load(nil, func(k string) string { return env[k] })
	if err != nil {
		tb.Fatal(err)
	}
	a, err := app.New(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(a.Handler())
	tb.Cleanup(func() {
		hs.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Close(ctx)
	})
	return hs.URL
}

func postRaw(url, tok string, body []byte) (int, []byte) {
	req, err := http.NewRequest("POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, []byte(err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/fhir+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}
