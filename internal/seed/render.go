package seed

import (
	"math"
	"math/rand/v2"
	"time"
)

// record is everything of one patient, each type in the order it was made.
type record struct {
	n            int
	patient      *Patient
	specimens    []*Specimen
	observations []*Observation
	admins       []*MedicationAdministration
	appointments []*Appointment
}

// resources lists the record in dependency order: what a resource refers
// to comes before it.
func (rec *record) resources() []Resource {
	out := make([]Resource, 0, 1+len(rec.specimens)+len(rec.observations)+len(rec.admins)+len(rec.appointments))
	out = append(out, rec.patient)
	for _, x := range rec.specimens {
		out = append(out, x)
	}
	for _, x := range rec.observations {
		out = append(out, x)
	}
	for _, x := range rec.admins {
		out = append(out, x)
	}
	for _, x := range rec.appointments {
		out = append(out, x)
	}
	return out
}

// renderer builds one patient's resources.
type renderer struct {
	c   *clinic
	r   *rand.Rand
	p   *plan
	rec *record
	h   health

	patientRef Reference
	// what has happened so far, for the story to hang together
	seen        bool      // first fulfilled visit done
	treatedAt   time.Time // antihypertensive started (zero: not yet)
	fluSeason   int       // the last flu season vaccinated
	covid, tdap bool
}

func (c *clinic) render(seed uint64, p *plan) *record {
	rd := &renderer{c: c, r: renderStream(seed, p.n), p: p, rec: &record{n: p.n}}
	rd.patientRef = ref("Patient", PatientID(p.n))
	rd.h = newHealth(rd.r, &p.person, c.asOf)
	rd.rec.patient = rd.patient()
	for i := range p.visits {
		v := &p.visits[i]
		rd.rec.appointments = append(rd.rec.appointments, rd.appointment(v, i+1))
		if v.status == "fulfilled" {
			rd.encounter(v)
		}
	}
	return rd.rec
}

// encounter records what happens during a visit that took place: vitals
// always, a blood draw at physicals and some follow-ups, a dose when one
// is due.
func (rd *renderer) encounter(v *visit) {
	fever := v.kind == acute && rd.r.IntN(2) == 0
	rd.vitals(v, fever)
	if rd.labsDue(v) {
		rd.bloodDraw(v)
	}
	rd.medications(v, fever)
	rd.seen = true
}

func (rd *renderer) labsDue(v *visit) bool {
	switch v.kind {
	case checkup:
		return true
	case followup:
		if rd.p.hypertensive || rd.p.diabetic {
			return rd.r.IntN(2) == 0
		}
		return rd.r.IntN(5) == 0
	}
	return false
}

func (rd *renderer) patient() *Patient {
	p := &rd.p.person
	c := rd.c
	pt := &Patient{
		ResourceType: "Patient",
		ID:           PatientID(p.n),
		Identifier: []Identifier{{
			Use:    "usual",
			Type:   &CodeableConcept{Coding: []Coding{{System: sysIDType, Code: "MR", Display: "Medical record number"}}},
			System: SystemMRN,
			Value:  formatMRN(c.mrn.at(uint64(p.n))),
		}},
		Active:              true,
		Name:                []HumanName{p.name},
		Gender:              p.gender,
		BirthDate:           p.birth.Format(time.DateOnly),
		Address:             []Address{address(rd.r, p.city)},
		Telecom:             []ContactPoint{{System: "phone", Value: phone(rd.r, p.city), Use: "mobile"}},
		GeneralPractitioner: []Reference{ref("Practitioner", c.doctorID(p.doctor))},
	}
	if p.hasSSN {
		pt.Identifier = append(pt.Identifier, Identifier{
			Type:   &CodeableConcept{Coding: []Coding{{System: sysIDType, Code: "SS", Display: "Social Security number"}}},
			System: SystemSSN,
			Value:  formatSSN(c.ssn.at(uint64(p.n))),
		})
	}
	if rd.r.IntN(4) == 0 {
		pt.Telecom = append(pt.Telecom, ContactPoint{System: "phone", Value: phone(rd.r, p.city), Use: "home"})
	}
	if p.culture.language != "" && rd.r.IntN(2) == 0 {
		pt.Communication = []Communication{{
			Language:  coded(sysLanguage, p.culture.language, p.culture.languageName),
			Preferred: true,
		}}
	}
	return pt
}

// health is a patient's physiology: baselines and how they drift.
type health struct {
	height      float64 // cm
	weight      float64 // kg at the start of the calendar
	weightDrift float64 // kg per day
	systolic    float64 // mm[Hg] baseline
	heartRate   float64
	// lab baselines
	glucose, hemoglobin, creatinine, wbc, platelets, potassium, sodium float64
}

func newHealth(r *rand.Rand, p *person, asOf time.Time) health {
	age := asOf.Year() - p.birth.Year()
	male := p.gender == "male"
	h := health{height: 163 + 6.5*r.NormFloat64()}
	if male {
		h.height = 176 + 7*r.NormFloat64()
	}
	h.height = clamp(h.height, 148, 203)
	bmi := clamp(26.5+4.5*r.NormFloat64(), 17.5, 44)
	h.weight = bmi * h.height * h.height / 1e4
	h.weightDrift = 0.004 * r.NormFloat64() // about ±1.5 kg a year
	h.systolic = clamp(108+0.45*float64(age)+8*r.NormFloat64(), 98, 150)
	if p.hypertensive {
		h.systolic = clamp(150+10*r.NormFloat64(), 142, 172)
	}
	h.heartRate = clamp(72+8*r.NormFloat64(), 52, 100)
	h.glucose = clamp(92+8*r.NormFloat64(), 72, 125)
	if p.diabetic {
		h.glucose = clamp(165+30*r.NormFloat64(), 120, 280)
	}
	h.hemoglobin = clamp(13.6+0.9*r.NormFloat64(), 10.5, 16.5)
	h.creatinine = clamp(0.82+0.12*r.NormFloat64(), 0.5, 1.3)
	if male {
		h.hemoglobin = clamp(15.2+1.0*r.NormFloat64(), 12, 18)
		h.creatinine = clamp(1.0+0.15*r.NormFloat64(), 0.6, 1.6)
	}
	h.wbc = clamp(7+1.5*r.NormFloat64(), 3.5, 12.5)
	h.platelets = clamp(260+50*r.NormFloat64(), 140, 420)
	h.potassium = clamp(4.3+0.3*r.NormFloat64(), 3.4, 5.3)
	h.sodium = clamp(140+2*r.NormFloat64(), 133, 147)
	return h
}

func clamp(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }

// round keeps d decimals, as an instrument would display them.
func round(v float64, d int) float64 {
	p := math.Pow10(d)
	return math.Round(v*p) / p
}

// dateTime renders a FHIR dateTime (and instant) in clinic time.
func dateTime(t time.Time) string { return t.In(clinicZone).Format(time.RFC3339) }

// minutesLater is a moment during the visit.
func (rd *renderer) minutesLater(t time.Time, lo, hi int) time.Time {
	return t.Add(time.Duration(lo+rd.r.IntN(hi-lo+1)) * time.Minute)
}
