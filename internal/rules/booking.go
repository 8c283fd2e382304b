package rules

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/search"
	"github.com/clinic/ehr/internal/store"
)

// The R4 Appointment search parameters the booking check searches on.
const (
	actorParam  = "actor"  // Appointment.participant.actor
	statusParam = "status" // Appointment.status
	dateParam   = "date"   // Appointment.start
)

// bookingPage is how many candidate appointments one search reads.
const bookingPage = 20

// bookingRule refuses (409) an occupying appointment (booked, arrived, …)
// whose slot overlaps another occupying appointment of one of its
// exclusive actors (a practitioner, a room). It runs inside the
// transaction, whose writes are serialised, so two clients booking the same
// slot at once cannot both succeed.
func bookingRule(s *fhir.Scheduling) engine.Rule {
	const name = "double-booking"
	return engine.Rule{
		Name:  name,
		Types: []string{s.Type},
		Commit: func(ctx context.Context, tx store.Tx, c *engine.Change) error {
			if c.Doc == nil {
				return nil
			}
			appt := root(c.Type, c.Doc)
			own, ok := slotOf(appt)
			if !ok || !slices.Contains(s.Occupying, appt.str("status")) {
				return nil
			}
			rep := newReport(name)
			for _, a := range occupiedActors(appt, s) {
				clash, err := findClash(ctx, tx, s, a.who, own, c.ID)
				if err != nil {
					return err
				}
				if clash != nil {
					rep.fail(a.path, "%s is already taken from %s to %s by %s/%s", a.who,
						clash.slot.start.Format(time.RFC3339), clash.slot.end.Format(time.RFC3339), s.Type, clash.id)
				}
			}
			return rep.finish(c, fhirerr.Conflict)
		},
	}
}

// actor is an exclusive participant of an appointment.
type actor struct {
	path string // of the participant's actor
	who  target
}

// occupiedActors lists the practitioners and rooms whose time the
// appointment takes: participants of an exclusive type that did not
// decline.
func occupiedActors(appt node, s *fhir.Scheduling) []actor {
	var out []actor
	for _, p := range appt.child("participant") {
		if slices.Contains(s.FreeParticipation, p.str("status")) {
			continue
		}
		for _, a := range p.child("actor") {
			t, kind := parseReference(a.str("reference"))
			taken := slices.ContainsFunc(out, func(x actor) bool { return x.who == t })
			if (kind == refServed || kind == refForeign) && slices.Contains(s.ExclusiveActors, t.typ) && !taken {
				out = append(out, actor{path: a.path, who: t})
			}
		}
	}
	return out
}

type clash struct {
	id   string
	slot slot
}

// findClash finds an occupying appointment of who, other than self, whose
// slot overlaps own. It reads the candidates that start before own ends,
// latest first. The bookings of one actor never overlap one another (this
// rule keeps it so), so the first of them that holds who's time decides:
// any earlier one ends before that one starts.
func findClash(ctx context.Context, tx store.Tx, s *fhir.Scheduling, who target, own slot, self string) (*clash, error) {
	occupying := make(search.Or, 0, len(s.Occupying))
	for _, st := range s.Occupying {
		occupying = append(occupying, search.Match{Param: statusParam, Conds: []search.Cond{{Field: search.FieldCode, Op: search.OpEq, Value: st}}})
	}
	where := func(date ...search.Cond) search.And {
		return search.And{
			search.Match{Param: actorParam, Conds: []search.Cond{
				{Field: search.FieldSystem, Op: search.OpEq, Value: who.typ},
				{Field: search.FieldCode, Op: search.OpEq, Value: who.id},
			}},
			occupying,
			search.Match{Param: dateParam, Conds: date},
			search.Not{X: search.IDIn{self}},
		}
	}
	// Candidates come latest first in two stretches: those that start in
	// the clashWindow before own starts (few: one actor's day), then all
	// earlier ones (a whole calendar, sorted). The first stretch usually
	// decides, so the second is rarely read; together they are the same
	// sequence as one query.
	split := float64(own.start.Add(-clashWindow).UnixMilli())
	end := float64(own.end.UnixMilli())
	stretches := []search.And{
		where(search.Cond{Field: search.FieldLo, Op: search.OpGe, Value: split}, search.Cond{Field: search.FieldLo, Op: search.OpLt, Value: end}),
		where(search.Cond{Field: search.FieldLo, Op: search.OpLt, Value: split}),
	}
	for _, w := range stretches {
		q := &store.Query{Type: s.Type, Where: w, Sort: []store.SortKey{{Param: dateParam, Desc: true}}, Count: bookingPage}
		c, decided, err := scanClash(ctx, tx, s, q, who, own)
		if err != nil || decided {
			return c, err
		}
	}
	return nil, nil
}

// clashWindow is how far before an appointment findClash looks first.
const clashWindow = 24 * time.Hour

// scanClash pages through q; decided is false when no candidate held who's
// time, so that earlier ones must be read.
func scanClash(ctx context.Context, tx store.Tx, s *fhir.Scheduling, q *store.Query, who target, own slot) (c *clash, decided bool, err error) {
	for {
		res, err := tx.Search(ctx, q)
		if err != nil {
			return nil, false, fmt.Errorf("double-booking: search %s of %s: %w", s.Type, who, err)
		}
		for i := range res.Resources {
			doc, err := decodeStored(&res.Resources[i])
			if err != nil {
				return nil, false, err
			}
			other := root(s.Type, doc)
			theirs, ok := slotOf(other)
			holds := slices.ContainsFunc(occupiedActors(other, s), func(a actor) bool { return a.who == who })
			switch {
			case !ok || !holds:
				continue // who declined there, or it has no slot: look further back
			case theirs.overlaps(own):
				return &clash{id: res.Resources[i].ID, slot: theirs}, true, nil
			default:
				return nil, true, nil
			}
		}
		if res.Next == nil {
			return nil, false, nil
		}
		q.After = res.Next
	}
}
