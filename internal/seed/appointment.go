package seed

import "time"

var (
	serviceGeneralPractice = []CodeableConcept{coded(sysSvcCat, "17", "General Practice")}
	participantAttender    = []CodeableConcept{coded(sysPartType, "ATND", "attender")}

	visitTypes = map[visitKind]*CodeableConcept{
		checkup:  {Coding: []Coding{{System: sysApptType, Code: "CHECKUP", Display: "A routine check-up, such as an annual physical"}}},
		followup: {Coding: []Coding{{System: sysApptType, Code: "FOLLOWUP", Display: "A follow up visit from a previous appointment"}}},
		acute:    {Coding: []Coding{{System: sysApptType, Code: "WALKIN", Display: "A previously unscheduled walk-in visit"}}},
	}
)

// appointment is visit v, the k-th of the patient, in the calendar.
func (rd *renderer) appointment(v *visit, k int) *Appointment {
	c, p := rd.c, &rd.p.person
	patientStatus := "accepted"
	if v.status == "cancelled" {
		patientStatus = "declined"
	}
	a := &Appointment{
		ResourceType:    "Appointment",
		ID:              appointmentID(p.n, k),
		Status:          v.status,
		ServiceCategory: serviceGeneralPractice,
		AppointmentType: visitTypes[v.kind],
		Description:     rd.reason(v),
		Start:           dateTime(v.start),
		End:             dateTime(v.end),
		MinutesDuration: int(v.end.Sub(v.start) / time.Minute),
		Created:         rd.bookedOn(v).Format(time.DateOnly),
		Participant: []Participant{
			{Actor: rd.patientRef, Required: "required", Status: patientStatus},
			{Type: participantAttender, Actor: ref("Practitioner", c.doctorID(v.doctor)), Required: "required", Status: "accepted"},
			{Actor: ref("Location", locationID(1+c.room(v.doctor, v.day))), Required: "required", Status: "accepted"},
		},
	}
	if v.status == "cancelled" {
		why := "Patient request"
		if rd.r.IntN(4) == 0 {
			why = "Provider unavailable"
		}
		a.CancelationReason = &CodeableConcept{Text: why}
	}
	return a
}

func (rd *renderer) reason(v *visit) string {
	switch {
	case v.kind == checkup:
		return "Annual physical examination"
	case v.kind == acute:
		return "Same-day visit"
	case rd.p.hypertensive:
		return "Blood pressure follow-up"
	case rd.p.diabetic:
		return "Diabetes follow-up"
	}
	return "Follow-up visit"
}

// bookedOn is when the appointment was made: weeks ahead for planned
// visits, the same day for walk-ins, never after the clinic's "now".
func (rd *renderer) bookedOn(v *visit) time.Time {
	lead := 0
	if v.kind != acute {
		lead = 3 + rd.r.IntN(50)
	}
	t := v.start.AddDate(0, 0, -lead)
	if t.After(rd.c.asOf) {
		t = rd.c.asOf
	}
	return t
}
