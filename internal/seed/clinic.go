package seed

import (
	"errors"
	"fmt"
	"time"
)

// Config describes the clinic to generate.
type Config struct {
	Patients int
	Seed     uint64
	// Start is the first day of the calendar; only its date counts.
	Start time.Time
	// Weeks is the length of the calendar (default 52). The clinic's "now"
	// lies three quarters of the way in: appointments before it are
	// fulfilled, missed or cancelled, those after it booked or cancelled.
	Weeks int
}

// DefaultStart is the default first day of the calendar, a Monday.
var DefaultStart = time.Date(2026, time.January, 5, 0, 0, 0, 0, time.UTC)

// clinicZone is the clinic's wall-clock offset. It is fixed, so that the
// output does not depend on the time-zone database of the machine.
var clinicZone = time.FixedZone("-05:00", -5*60*60)

func (c Config) withDefaults() Config {
	if c.Start.IsZero() {
		c.Start = DefaultStart
	}
	if c.Weeks == 0 {
		c.Weeks = 52
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Patients < 1:
		return errors.New("the number of patients must be at least 1")
	case c.Patients >= mrnSpace:
		return fmt.Errorf("at most %d patients", mrnSpace-1)
	case c.Weeks < 1 || c.Weeks > 520:
		return errors.New("the calendar must last 1 to 520 weeks")
	}
	return nil
}

// The clinic's opening hours, cut into 20-minute slots.
const (
	openHour    = 8
	slotMinutes = 20
	slotsPerDay = 27 // 08:00–17:00
)

// patientsPerDoctor sizes the staff: about 6 appointments a year each
// fill roughly 40% of a doctor's slots, so the calendar rarely turns
// anyone away.
const patientsPerDoctor = 400

// clinic is the fixed part of the world: staff, rooms, calendar, "now".
type clinic struct {
	doctors, nurses int
	day0            time.Time // midnight of the first day, clinic time
	days            int
	asOf            time.Time // the clinic's "now"
	cal             *calendar
	mrn, ssn        permutation
}

func newClinic(cfg Config) *clinic {
	doctors := max(2, (cfg.Patients+patientsPerDoctor-1)/patientsPerDoctor)
	y, m, d := cfg.Start.Date()
	c := &clinic{
		doctors: doctors,
		nurses:  max(2, (doctors+1)/2),
		day0:    time.Date(y, m, d, 0, 0, 0, 0, clinicZone),
		days:    cfg.Weeks * 7,
		mrn:     newPermutation(mrnSpace, cfg.Seed^0x6d726e),
		ssn:     newPermutation(ssnSpace, cfg.Seed^0x73736e),
	}
	now := c.days * 3 / 4
	for !c.workday(now) {
		now++
	}
	c.asOf = c.day0.AddDate(0, 0, now).Add(11 * time.Hour)
	c.cal = newCalendar(doctors, c.days)
	return c
}

func (c *clinic) workday(day int) bool {
	wd := c.day0.AddDate(0, 0, day).Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// slotTime is the start of a slot.
func (c *clinic) slotTime(day, slot int) time.Time {
	return c.day0.AddDate(0, 0, day).Add(time.Duration(openHour*60+slot*slotMinutes) * time.Minute)
}

// Staff and rooms are numbered from 0; doctors come first among the
// practitioners. Each day every doctor has a room of their own: the
// assignment rotates but stays one to one, so two appointments in one
// room at once would need one doctor twice, which the calendar forbids.
func (c *clinic) doctorID(k int) string { return practitionerID(1 + k) }
func (c *clinic) nurseID(k int) string  { return practitionerID(1 + c.doctors + k) }
func (c *clinic) room(doctor, day int) int {
	return (doctor + day) % c.doctors
}
func (c *clinic) nurse(doctor, day int) int { return (doctor + day) % c.nurses }

// calendar records which slots each doctor has given away, as one bit per
// 20-minute slot and one word per doctor and day.
type calendar struct {
	days int
	busy []uint32
}

func newCalendar(doctors, days int) *calendar {
	return &calendar{days: days, busy: make([]uint32, doctors*days)}
}

// take books n consecutive free slots of doctor on day, starting at pref
// or the first free run after it (wrapping round to the morning).
func (c *calendar) take(doctor, day, n, pref int) (slot int, ok bool) {
	if day < 0 || day >= c.days || n < 1 || n > slotsPerDay {
		return 0, false
	}
	w := &c.busy[doctor*c.days+day]
	run := uint32(1)<<n - 1
	for i := range slotsPerDay {
		s := (pref + i) % slotsPerDay
		if s+n > slotsPerDay {
			continue
		}
		if *w&(run<<s) == 0 {
			*w |= run << s
			return s, true
		}
	}
	return 0, false
}
