package rules

import (
	"context"
	"time"

	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
)

// appointmentRule checks an appointment's own content (422): start and end
// together (FHIR invariant app-2), start before end, minutesDuration equal to
// the time between them, and a type or an actor on every participant
// (app-1).
func appointmentRule(typ string) engine.Rule {
	const name = "appointment-schedule"
	return engine.Rule{
		Name:  name,
		Types: []string{typ},
		Prepare: func(_ context.Context, c *engine.Change) error {
			appt := root(c.Type, c.Doc)
			rep := newReport(name)
			checkTimes(rep, appt)
			for _, p := range appt.child("participant") {
				if len(p.child("type")) == 0 && len(p.child("actor")) == 0 {
					rep.fail(p.path, "a participant needs a type or an actor (FHIR invariant app-1)")
				}
			}
			return rep.finish(c, fhirerr.Unprocessable)
		},
	}
}

func checkTimes(rep *report, appt node) {
	start, hasStart := instant(appt, "start")
	end, hasEnd := instant(appt, "end")
	switch {
	case hasStart != hasEnd:
		missing := appt.path + ".end"
		if !hasStart {
			missing = appt.path + ".start"
		}
		rep.fail(missing, "start and end go together (FHIR invariant app-2)")
		return
	case !hasStart:
		return
	case !start.Before(end):
		rep.fail(appt.path+".end", "end %s must be after start %s", appt.str("end"), appt.str("start"))
		return
	}
	for _, md := range appt.child("minutesDuration") {
		minutes, _ := number(md.v)
		if between := end.Sub(start); time.Duration(minutes*float64(time.Minute)) != between {
			rep.fail(md.path, "minutesDuration %v does not agree with start and end, %v minutes apart", md.v, between.Minutes())
		}
	}
}

// slot is the time an appointment takes.
type slot struct{ start, end time.Time }

func (s slot) overlaps(o slot) bool { return s.start.Before(o.end) && o.start.Before(s.end) }

// slotOf reads an appointment's start and end.
func slotOf(appt node) (slot, bool) {
	start, okStart := instant(appt, "start")
	end, okEnd := instant(appt, "end")
	return slot{start, end}, okStart && okEnd
}

// instant reads an instant element (the schema has checked its syntax).
func instant(n node, key string) (time.Time, bool) {
	s := n.str(key)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	return t, err == nil
}
