package load

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Dataset describes the seeded clinic, deterministically from its sizes and
// seed, so that seeding and every workload agree on what exists without
// asking the server: which ids are there, which names and birth dates
// match, which days hold measurements. A query built to hit can then be
// checked for its hit, and one built to miss for its emptiness.
type Dataset struct {
	Patients      int       `json:"patients"`      // p-000000 … ; at least 1
	Observations  int       `json:"observations"`  // vital-sign Observations, spread evenly over patients
	Appointments  int       `json:"appointments"`  // per patient
	Practitioners int       `json:"practitioners"` // pr-000 …; appointments rotate among them
	Start         time.Time `json:"start"`         // first day of measurements and appointments (UTC midnight)
	Days          int       `json:"days"`          // the span they cover
	Seed          uint64    `json:"seed"`
}

// DefaultDataset is the bench default: 1,000 patients, 100,000 vital signs.
func DefaultDataset() Dataset {
	return Dataset{
		Patients: 1000, Observations: 100_000, Appointments: 5, Practitioners: 10,
		Start: time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC), Days: 365, Seed: 1,
	}
}

// Validate refuses a dataset the workloads cannot draw from.
func (d *Dataset) Validate() error {
	switch {
	case d.Patients < 1 || d.Patients > 999_999:
		return fmt.Errorf("dataset: %d patients: want 1 to 999,999", d.Patients)
	case d.Observations < 0:
		return fmt.Errorf("dataset: %d observations: want 0 or more", d.Observations)
	case d.Appointments < 0 || d.Practitioners < 1:
		return fmt.Errorf("dataset: want appointments ≥ 0 and at least one practitioner")
	case d.Days < 1 || d.Start.IsZero():
		return fmt.Errorf("dataset: want a start day and at least one day")
	}
	return nil
}

// PatientID is the id of patient i.
func (d *Dataset) PatientID(i int) string { return fmt.Sprintf("p-%06d", i) }

// PractitionerID is the id of practitioner k (not a served type: it is
// only referenced).
func (d *Dataset) PractitionerID(k int) string { return fmt.Sprintf("pr-%03d", k) }

// ObservationID is the id of patient i's j-th seeded measurement.
func (d *Dataset) ObservationID(i, j int) string { return fmt.Sprintf("o-%06d-%05d", i, j) }

// AppointmentID is the id of patient i's k-th appointment.
func (d *Dataset) AppointmentID(i, k int) string { return fmt.Sprintf("a-%06d-%02d", i, k) }

// Person is who patient i is.
type Person struct {
	Family, Given, Gender string
	BirthDate             time.Time
}

// Person draws patient i from its own stream, so that patient i is the
// same whatever else was drawn.
func (d *Dataset) Person(i int) Person {
	r := rand.New(rand.NewPCG(d.Seed, uint64(i)<<8|1))
	p := Person{Family: families[r.IntN(len(families))]}
	if r.IntN(2) == 0 {
		p.Gender, p.Given = "female", femaleGiven[r.IntN(len(femaleGiven))]
	} else {
		p.Gender, p.Given = "male", maleGiven[r.IntN(len(maleGiven))]
	}
	p.BirthDate = time.Date(1930+r.IntN(75), time.January, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365))
	return p
}

// ObsPerPatient is how many measurements each patient has (the remainder
// of an uneven split goes to the first patients).
func (d *Dataset) ObsPerPatient(i int) int {
	n := d.Observations / d.Patients
	if i < d.Observations%d.Patients {
		n++
	}
	return n
}

// ObsTime is when patient i's j-th measurement was taken: evenly over the
// span, during clinic hours, so any window of a few days holds some.
func (d *Dataset) ObsTime(i, j int) time.Time {
	n := max(d.ObsPerPatient(i), 1)
	span := time.Duration(d.Days) * 24 * time.Hour
	step := span / time.Duration(n)
	offset := time.Duration(i%97) * step / 97 // patients are not all seen at once
	t := d.Start.Add(time.Duration(j)*step + offset)
	return t.Truncate(time.Minute)
}

// ObsSign is which vital sign patient i's j-th measurement is: they take
// turns, so every patient with as many measurements as there are signs
// has each of them.
func (d *Dataset) ObsSign(i, j int) *VitalSign { return &VitalSigns[(i+j)%len(VitalSigns)] }

// ApptTime is when patient i's k-th appointment starts: each practitioner's
// appointments fall in distinct 20-minute slots, so none double-books.
func (d *Dataset) ApptTime(i, k int) time.Time {
	slot := i/d.Practitioners*d.Appointments + k // the practitioner's nth appointment
	day := slot / 24 % d.Days                    // 24 slots a day, 08:00–16:00
	return d.Start.AddDate(0, 0, day).Add(8*time.Hour + time.Duration(slot%24)*20*time.Minute)
}

// ApptPractitioner is who patient i sees.
func (d *Dataset) ApptPractitioner(i int) int { return i % d.Practitioners }

// Miss values are outside anything seeded: queries built to find nothing.
const (
	missFamily  = "Zzyzxqwv"
	missPatient = "p-none-0000"
)

var missDay = time.Date(1999, time.February, 3, 0, 0, 0, 0, time.UTC)

var families = []string{
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores",
	"Green", "Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
	"Müller", "Schmidt", "Dubois", "Lefèvre", "Rossi", "Russo", "Kowalski", "Nowak", "Novák", "Horváth",
	"Silva", "Santos", "Pereira", "Costa", "Yamamoto", "Tanaka", "Kim", "Park", "Chen", "Wang",
}

var femaleGiven = []string{"Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah", "Karen",
	"Nancy", "Lisa", "Betty", "Sandra", "Ashley", "Emily", "Maria", "Chloé", "Zoë", "Ana", "Yuki", "Mei", "Fatima", "Olga"}

var maleGiven = []string{"James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas", "Charles",
	"Daniel", "Matthew", "Anthony", "Mark", "Paul", "Steven", "José", "Luis", "Jürgen", "François", "Hiroshi", "Wei", "Omar", "Ivan"}
