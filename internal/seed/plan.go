package seed

import (
	"math/rand/v2"
	"slices"
	"time"
)

// Generation has two stages per patient. plan draws who the patient is and
// books their appointments; it touches the shared calendar, so patients are
// planned one after another, in order. render then draws the clinical
// values from a second random stream and builds the resources; it touches
// nothing shared, so patients are rendered in parallel. Each patient has
// its own two streams, seeded from the seed and the patient's number, so
// no patient's data depends on how many random numbers another one drew.

func planStream(seed uint64, n int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(n)<<1))
}

func renderStream(seed uint64, n int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(n)<<1|1))
}

// person is who a patient is, and what they come to the clinic for.
type person struct {
	n            int
	culture      *culture
	gender       string
	name         HumanName
	birth        time.Time
	city         *city
	hasSSN       bool
	doctor       int // their general practitioner
	hypertensive bool
	diabetic     bool
}

// visitKind is why a patient comes.
type visitKind int

const (
	checkup  visitKind = iota // yearly physical: 40 minutes, full vitals and labs
	followup                  // chronic-condition or routine follow-up
	acute                     // pain or fever, seen the same week
)

// visit is a booked appointment.
type visit struct {
	kind       visitKind
	doctor     int
	day, slots int
	start, end time.Time
	status     string
}

type plan struct {
	person
	visits []visit
}

// plan draws patient n and books their appointments.
func (c *clinic) plan(seed uint64, n int) *plan {
	r := planStream(seed, n)
	p := &plan{person: c.person(r, n)}
	interval := func() int {
		switch {
		case p.hypertensive:
			return 28 + r.IntN(29)
		case p.diabetic:
			return 42 + r.IntN(29)
		}
		return 70 + r.IntN(113)
	}
	lastCheckup := -r.IntN(365) // the last physical was some time before the calendar opens
	for day := r.IntN(interval()); day < c.days; day += interval() {
		kind := followup
		if day-lastCheckup >= 330 {
			kind, lastCheckup = checkup, day
		}
		p.book(c, r, kind, day)
	}
	for range acuteVisits(r) {
		p.book(c, r, acute, r.IntN(c.days))
	}
	slices.SortFunc(p.visits, func(a, b visit) int { return a.start.Compare(b.start) })
	return p
}

// acuteVisits is how many times a patient walks in sick in the period.
func acuteVisits(r *rand.Rand) int {
	switch n := r.IntN(20); {
	case n < 12:
		return 0
	case n < 18:
		return 1
	}
	return 2
}

func (c *clinic) person(r *rand.Rand, n int) person {
	p := person{n: n, culture: pickCulture(r), doctor: (n - 1) % c.doctors}
	switch g := r.IntN(200); {
	case g < 99:
		p.gender = "male"
	case g < 198:
		p.gender = "female"
	default:
		p.gender = "other"
	}
	p.name = p.culture.name(r, p.gender)
	age := adultAge(r)
	p.birth = c.asOf.AddDate(-age, 0, -r.IntN(365))
	p.city = &cities[r.IntN(len(cities))]
	p.hasSSN = r.IntN(10) < 6
	p.hypertensive = r.IntN(100) < 10+age/2 // more common with age
	p.diabetic = r.IntN(100) < 4+age/8
	return p
}

// adultAge draws an age of 18–94, flat to 70 and thinning after.
func adultAge(r *rand.Rand) int {
	if r.IntN(5) == 0 {
		return 70 + r.IntN(25)
	}
	return 18 + r.IntN(52)
}

// book finds the first free slot with the patient's doctor from day on,
// within two weeks; a visit that does not fit is dropped, as a patient
// who cannot get an appointment goes elsewhere.
func (p *plan) book(c *clinic, r *rand.Rand, kind visitKind, day int) {
	slots := 1
	if kind == checkup {
		slots = 2
	}
	pref := r.IntN(slotsPerDay)
	for d := day; d < day+14 && d < c.days; d++ {
		if !c.workday(d) {
			continue
		}
		slot, ok := c.cal.take(p.doctor, d, slots, pref)
		if !ok {
			continue
		}
		v := visit{kind: kind, doctor: p.doctor, day: d, slots: slots, start: c.slotTime(d, slot)}
		v.end = v.start.Add(time.Duration(slots*slotMinutes) * time.Minute)
		v.status = c.status(r, v)
		p.visits = append(p.visits, v)
		return
	}
}

// status is where the appointment stands at the clinic's "now".
func (c *clinic) status(r *rand.Rand, v visit) string {
	x := r.IntN(100)
	switch {
	case v.start.After(c.asOf.Add(-40*time.Minute)) && v.start.Before(c.asOf.Add(30*time.Minute)) && x < 80:
		return "arrived" // being seen, or checked in early and waiting
	case !v.start.Before(c.asOf): // still to come
		if x%10 == 0 {
			return "cancelled"
		}
		return "booked"
	case x < 6:
		return "noshow"
	case x < 14:
		return "cancelled"
	}
	return "fulfilled"
}
