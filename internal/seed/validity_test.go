package seed

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/fhir/ucum"
)

// shared is one clinic for the validity tests, generated once: they only read it.
var shared struct {
	once      sync.Once
	resources []resource
}

func clinicOutput(t *testing.T) []resource {
	t.Helper()
	shared.once.Do(func() {
		shared.resources = readNDJSON(t, generate(t, Config{Patients: 300, Seed: 3}, "ndjson", Options{}))
	})
	if len(shared.resources) == 0 {
		t.Fatal("the shared clinic could not be generated (see the first failing test)")
	}
	return shared.resources
}

func TestValidFHIR(t *testing.T) {
	idPattern := regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)
	seen := map[string]bool{}
	counts := map[string]int{}
	for _, r := range clinicOutput(t) {
		key := r.typ + "/" + r.id
		if !idPattern.MatchString(r.id) {
			t.Errorf("%s: invalid id", key)
		}
		if seen[key] {
			t.Errorf("%s: duplicate", key)
		}
		seen[key] = true
		counts[r.typ]++
		for _, is := range fhir.Validate(r.typ, r.doc) {
			t.Errorf("%s: %s %s: %s", key, is.Severity, is.Expression, is.Diagnostics)
		}
	}
	for _, typ := range Types {
		if counts[typ] == 0 {
			t.Errorf("no %s generated", typ)
		}
	}
}

func TestReferencesResolve(t *testing.T) {
	all := clinicOutput(t)
	have := map[string]map[string]any{}
	for _, r := range all {
		have[r.typ+"/"+r.id] = r.doc
	}
	external := []string{"Practitioner", "Location", "MedicationRequest"} // not served: references only
	for _, r := range all {
		walkRefs(r.doc, func(ref string) {
			typ, _, _ := strings.Cut(ref, "/")
			if slices.Contains(external, typ) {
				return
			}
			if have[ref] == nil {
				t.Errorf("%s/%s refers to %s, which is not in the output", r.typ, r.id, ref)
			}
		})
		// A lab result is measured on its own patient's specimen.
		if spec, _ := path(r.doc, "specimen", "reference").(string); spec != "" {
			if got, want := path(have[spec], "subject", "reference"), path(r.doc, "subject", "reference"); got != want {
				t.Errorf("%s/%s: specimen subject %v, observation subject %v", r.typ, r.id, got, want)
			}
		}
	}
}

// Every vital sign is within the usual range of the server's profile
// (fhir/data/vitals.json), so it is stored without a warning.
func TestVitalsWithinLimits(t *testing.T) {
	profile := fhir.VitalSigns()
	n := 0
	for _, r := range clinicOutput(t) {
		if r.typ != "Observation" || !strings.Contains(string(r.raw), `"code":"vital-signs"`) {
			continue
		}
		code := path(r.doc, "code").(map[string]any)["coding"].([]any)[0].(map[string]any)["code"].(string)
		sign, ok := profile.Lookup(code)
		if !ok {
			t.Fatalf("%s: LOINC %s is not a vital sign", r.id, code)
		}
		check := func(s *fhir.VitalSign, q map[string]any) {
			v, unit := num(t, q["value"]), q["code"].(string)
			if q["system"] != sysUCUM || !slices.Contains(s.Units, unit) {
				t.Errorf("%s: %s in %v %s", r.id, s.Name, q["system"], unit)
			}
			a, err := s.Limits.Assess(v, unit)
			if err != nil || a.Verdict != fhir.Usual {
				t.Errorf("%s: %s %v %s is outside the usual range (%v)", r.id, s.Name, v, unit, err)
			}
			n++
		}
		if len(sign.Components) == 0 {
			check(sign, r.doc["valueQuantity"].(map[string]any))
			continue
		}
		comps := r.doc["component"].([]any)
		if len(comps) != 2 {
			t.Fatalf("%s: blood pressure with %d components", r.id, len(comps))
		}
		var values []float64
		for i, c := range comps {
			q := c.(map[string]any)["valueQuantity"].(map[string]any)
			check(sign.Components[i], q)
			values = append(values, num(t, q["value"]))
		}
		if values[0] <= values[1] {
			t.Errorf("%s: systolic %v not above diastolic %v", r.id, values[0], values[1])
		}
	}
	if n == 0 {
		t.Fatal("no vital signs checked")
	}
}

// Every quantity carries a UCUM code the server can canonicalise (search
// indexes quantities in canonical units).
func TestQuantitiesAreUCUM(t *testing.T) {
	var walk func(id string, v any)
	walk = func(id string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if _, isQty := v["value"].(json.Number); isQty && v["system"] != nil {
				code, _ := v["code"].(string)
				if v["system"] != sysUCUM {
					t.Errorf("%s: quantity system %v", id, v["system"])
				} else if _, _, err := ucum.Canonical(1, code); err != nil {
					t.Errorf("%s: unit %q: %v", id, code, err)
				}
			}
			for _, x := range v {
				walk(id, x)
			}
		case []any:
			for _, x := range v {
				walk(id, x)
			}
		}
	}
	for _, r := range clinicOutput(t) {
		walk(r.typ+"/"+r.id, r.doc)
	}
}

// Weight moves slowly from one visit to the next.
func TestVitalTrendsPlausible(t *testing.T) {
	type point struct {
		at time.Time
		kg float64
	}
	series := map[string][]point{}
	for _, r := range clinicOutput(t) {
		if r.typ != "Observation" || !strings.Contains(string(r.raw), `"code":"29463-7"`) {
			continue
		}
		at, err := time.Parse(time.RFC3339, r.doc["effectiveDateTime"].(string))
		if err != nil {
			t.Fatal(err)
		}
		pat := path(r.doc, "subject", "reference").(string)
		series[pat] = append(series[pat], point{at, num(t, path(r.doc, "valueQuantity", "value"))})
	}
	for pat, pts := range series {
		for i := 1; i < len(pts); i++ {
			days := pts[i].at.Sub(pts[i-1].at).Hours() / 24
			if days <= 0 {
				t.Errorf("%s: weights out of time order", pat)
			}
			if d := pts[i].kg - pts[i-1].kg; d*d > (2.5+0.02*days)*(2.5+0.02*days) {
				t.Errorf("%s: weight jumps %.1f kg in %.0f days", pat, d, days)
			}
		}
	}
}

// No practitioner and no room is in two occupying appointments at once:
// the server refuses such double booking with 409.
func TestNoDoubleBooking(t *testing.T) {
	rules := fhir.Workflow().Scheduling
	type span struct {
		id         string
		start, end time.Time
	}
	busy := map[string][]span{} // actor → occupied spans
	for _, r := range clinicOutput(t) {
		if r.typ != "Appointment" {
			continue
		}
		status := r.doc["status"].(string)
		start, err1 := time.Parse(time.RFC3339, r.doc["start"].(string))
		end, err2 := time.Parse(time.RFC3339, r.doc["end"].(string))
		if err1 != nil || err2 != nil || !start.Before(end) {
			t.Fatalf("%s: bad start/end", r.id)
		}
		if got := int(num(t, r.doc["minutesDuration"])); got != int(end.Sub(start).Minutes()) {
			t.Errorf("%s: minutesDuration %d, but start to end is %v", r.id, got, end.Sub(start))
		}
		for _, p := range r.doc["participant"].([]any) {
			pm := p.(map[string]any)
			if pm["status"] == nil {
				t.Errorf("%s: participant without status", r.id)
			}
			actor := path(pm, "actor", "reference").(string)
			typ, _, _ := strings.Cut(actor, "/")
			if !slices.Contains(rules.Occupying, status) || !slices.Contains(rules.ExclusiveActors, typ) ||
				slices.Contains(rules.FreeParticipation, pm["status"].(string)) {
				continue
			}
			for _, s := range busy[actor] {
				if start.Before(s.end) && s.start.Before(end) {
					t.Errorf("%s is double-booked: %s and %s", actor, s.id, r.id)
				}
			}
			busy[actor] = append(busy[actor], span{r.id, start, end})
		}
	}
}

// A clinic of some size has appointments in every status of its day.
func TestAppointmentStatuses(t *testing.T) {
	statuses := map[string]int{}
	for _, r := range clinicOutput(t) {
		if r.typ == "Appointment" {
			statuses[r.doc["status"].(string)]++
		}
	}
	for _, s := range []string{"booked", "arrived", "fulfilled", "cancelled", "noshow"} {
		if statuses[s] == 0 {
			t.Errorf("no %s appointment in %v", s, statuses)
		}
	}
}

// Each Bundle is a transaction that updates by id what it holds.
func TestBundleLayout(t *testing.T) {
	dir := generate(t, Config{Patients: 5, Seed: 1}, "bundle", Options{})
	for n := 1; n <= 5; n++ {
		raw, err := os.ReadFile(filepath.Join(dir, PatientID(n)+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var b struct {
			ResourceType, Type string
			Entry              []struct {
				Resource map[string]any
				Request  struct{ Method, URL string }
			}
		}
		if err := json.Unmarshal(raw, &b); err != nil {
			t.Fatal(err)
		}
		if b.ResourceType != "Bundle" || b.Type != "transaction" || len(b.Entry) < 2 {
			t.Fatalf("%s: %s %s with %d entries", PatientID(n), b.ResourceType, b.Type, len(b.Entry))
		}
		if b.Entry[0].Resource["id"] != PatientID(n) {
			t.Errorf("the first entry is %v, want the patient", b.Entry[0].Resource["id"])
		}
		for _, e := range b.Entry {
			want := e.Resource["resourceType"].(string) + "/" + e.Resource["id"].(string)
			if e.Request.Method != "PUT" || e.Request.URL != want {
				t.Errorf("entry %s has request %s %s", want, e.Request.Method, e.Request.URL)
			}
		}
	}
}
