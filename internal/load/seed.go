package load

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Seeding runs in two stages: the patients, then what refers to them (the
// server refuses a reference to a patient that does not exist yet).

// seedJob is one resource to seed; its document is built by whichever
// worker takes the job, so that building runs in parallel.
type seedJob struct {
	kind byte // 'p'atient, 'o'bservation, 'a'ppointment
	i, j int
}

func (d *Dataset) jobDoc(j seedJob) (typ, id string, body doc) {
	switch j.kind {
	case 'p':
		return "Patient", d.PatientID(j.i), d.PatientDoc(j.i)
	case 'o':
		return "Observation", d.ObservationID(j.i, j.j), d.SeedVitalDoc(j.i, j.j)
	default:
		return "Appointment", d.AppointmentID(j.i, j.j), d.AppointmentDoc(j.i, j.j)
	}
}

// stageSize is the number of resources of a stage.
func (d *Dataset) stageSize(stage int) int {
	if stage == 0 {
		return d.Patients
	}
	return d.Observations + d.Patients*d.Appointments
}

// emit sends a stage's jobs and closes out.
func (d *Dataset) emit(ctx context.Context, stage int, out chan<- seedJob) {
	defer close(out)
	send := func(j seedJob) bool {
		select {
		case out <- j:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for i := range d.Patients {
		if stage == 0 {
			if !send(seedJob{'p', i, 0}) {
				return
			}
			continue
		}
		for j := range d.ObsPerPatient(i) {
			if !send(seedJob{'o', i, j}) {
				return
			}
		}
		for k := range d.Appointments {
			if !send(seedJob{'a', i, k}) {
				return
			}
		}
	}
}

// progress prints a stage's advance every 10%.
type progress struct {
	w          io.Writer
	what       string
	total      int
	done, next int
	start      time.Time
}

func newProgress(w io.Writer, what string, total int) *progress {
	return &progress{w: w, what: what, total: total, next: max(total/10, 1), start: time.Now()}
}

func (p *progress) add(n int) {
	p.done += n
	if p.w != nil && (p.done >= p.next || p.done == p.total) {
		el := time.Since(p.start).Seconds()
		fmt.Fprintf(p.w, "seed %s: %d/%d (%.0f/s)\n", p.what, p.done, p.total, float64(p.done)/max(el, 1e-9))
		for p.next <= p.done {
			p.next += max(p.total/10, 1)
		}
	}
}
