package load

import (
	"context"
	"math/rand/v2"
	"net/url"
	"time"
)

// searchKind is one query of the search mix. build returns the query and
// what its reply must show; miss asks for a query that matches nothing.
type searchKind struct {
	name  string
	build func(d *Dataset, rng *rand.Rand, miss bool) (path string, want SearchExpect)
}

// searchMix are the queries a clinic front desk and its clinicians run.
var searchMix = []searchKind{
	{"patient-name-birthdate", patientByName},
	{"obs-patient-code", obsByPatientCode},
	{"obs-patient-date-sorted", obsByPatientDate},
	{"obs-category-date", obsByCategoryDate},
	{"appt-practitioner-date", apptByPractitionerDate},
}

// missRate is the share of queries built to find nothing.
const missRate = 0.20

func searchKindNames() []string {
	var out []string
	for _, k := range searchMix {
		out = append(out, "search/"+k.name)
	}
	return out
}

func searchKindByName(name string) (searchKind, bool) {
	for _, k := range searchMix {
		if "search/"+k.name == name {
			return k, true
		}
	}
	return searchKind{}, false
}

// search runs one query of the mix, a fifth of them built to miss.
func (t *Target) search(ctx context.Context, rng *rand.Rand) Result {
	k := searchMix[rng.IntN(len(searchMix))]
	return t.searchOnce(ctx, rng, k, rng.Float64() < missRate)
}

func (t *Target) searchOnce(ctx context.Context, rng *rand.Rand, k searchKind, miss bool) Result {
	path, want := k.build(t.Data, rng, miss)
	want.Count = pageSize
	resp, d, err := t.send(ctx, "GET", path, nil)
	n := 0
	if err == nil {
		n, err = CheckSearch(resp, want)
	}
	return result("search/"+k.name, resp, d, n, err)
}

func query(typ string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	v.Set("_count", "20")
	return "/fhir/" + typ + "?" + v.Encode()
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// seededObs picks a random seeded measurement: patient i, index j; ok is
// false when the dataset has none.
func seededObs(d *Dataset, rng *rand.Rand) (i, j int, ok bool) {
	i = rng.IntN(d.Patients)
	n := d.ObsPerPatient(i)
	if n == 0 {
		return i, 0, false
	}
	return i, rng.IntN(n), true
}

// patientByName is the front desk finding a patient: family name and
// birth date.
func patientByName(d *Dataset, rng *rand.Rand, miss bool) (string, SearchExpect) {
	p := d.Person(rng.IntN(d.Patients))
	family := p.Family
	if miss {
		family = missFamily
	}
	return query("Patient", "name", family, "birthdate", day(p.BirthDate)),
		SearchExpect{Type: "Patient", Hit: !miss, Miss: miss}
}

// obsByPatientCode is one kind of measurement of one patient (a trend).
func obsByPatientCode(d *Dataset, rng *rand.Rand, miss bool) (string, SearchExpect) {
	i, j, ok := seededObs(d, rng)
	patient := d.PatientID(i)
	if miss {
		patient = missPatient
	}
	return query("Observation", "patient", "Patient/"+patient, "code", loinc+"|"+d.ObsSign(i, j).Code),
		SearchExpect{Type: "Observation", Hit: ok && !miss, Miss: miss, Subject: "Patient/" + patient}
}

// obsByPatientDate is a patient's chart over a fortnight, by date.
func obsByPatientDate(d *Dataset, rng *rand.Rand, miss bool) (string, SearchExpect) {
	i, j, ok := seededObs(d, rng)
	at := d.ObsTime(i, j)
	if miss {
		at = missDay
	}
	patient := "Patient/" + d.PatientID(i)
	return query("Observation", "patient", patient,
			"date", "ge"+day(at.AddDate(0, 0, -7)), "date", "lt"+day(at.AddDate(0, 0, 8)), "_sort", "date"),
		SearchExpect{Type: "Observation", Hit: ok && !miss, Miss: miss, Subject: patient}
}

// obsByCategoryDate is a day's vital signs across the clinic.
func obsByCategoryDate(d *Dataset, rng *rand.Rand, miss bool) (string, SearchExpect) {
	i, j, ok := seededObs(d, rng)
	at := d.ObsTime(i, j)
	if miss {
		at = missDay
	}
	return query("Observation", "category", obsCatSys+"|vital-signs",
			"date", "ge"+day(at), "date", "lt"+day(at.AddDate(0, 0, 1))),
		SearchExpect{Type: "Observation", Hit: ok && !miss, Miss: miss}
}

// apptByPractitionerDate is a practitioner's schedule for a day.
func apptByPractitionerDate(d *Dataset, rng *rand.Rand, miss bool) (string, SearchExpect) {
	i := rng.IntN(d.Patients)
	ok := d.Appointments > 0
	at := d.Start
	if ok {
		at = d.ApptTime(i, rng.IntN(d.Appointments))
	}
	if miss {
		at = missDay
	}
	return query("Appointment", "practitioner", "Practitioner/"+d.PractitionerID(d.ApptPractitioner(i)),
			"date", "ge"+day(at), "date", "lt"+day(at.AddDate(0, 0, 1))),
		SearchExpect{Type: "Appointment", Hit: ok && !miss, Miss: miss}
}
