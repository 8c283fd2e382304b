package seed

import "time"

// medications gives what the doctor ordered during the visit: the first
// dose of an antihypertensive, something for pain or fever, and the
// vaccines that are due.
func (rd *renderer) medications(v *visit, fever bool) {
	r, p := rd.r, &rd.p.person
	at := rd.minutesLater(v.start, 20, 35)
	if p.hypertensive && rd.treatedAt.IsZero() && r.IntN(10) < 7 {
		rd.administer(v, drugAmlodipine, at)
		rd.treatedAt = at
	}
	switch {
	case fever:
		rd.administer(v, drugAcetaminophen, at)
	case v.kind == acute:
		rd.administer(v, drugIbuprofen, at)
	}
	if season, ok := fluSeason(v.start); ok && season != rd.fluSeason && r.IntN(100) < 45 {
		rd.administer(v, vaccineFlu, rd.minutesLater(at, 1, 5))
		rd.fluSeason = season
	}
	if !rd.covid && v.start.Month() >= time.September && r.IntN(100) < 12 {
		rd.administer(v, vaccineCOVID, rd.minutesLater(at, 1, 5))
		rd.covid = true
	}
	if !rd.tdap && r.IntN(100) < 3 {
		rd.administer(v, vaccineTdap, rd.minutesLater(at, 1, 5))
		rd.tdap = true
	}
}

// fluSeason names the influenza season (September to March) t falls in by
// the year it starts; ok is false in spring and summer.
func fluSeason(t time.Time) (int, bool) {
	switch m := t.Month(); {
	case m >= time.September:
		return t.Year(), true
	case m <= time.March:
		return t.Year() - 1, true
	}
	return 0, false
}

// administer records a completed dose given by the visit's nurse on the
// doctor's order.
func (rd *renderer) administer(v *visit, d drug, at time.Time) {
	n, k := rd.p.n, len(rd.rec.admins)+1
	ma := &MedicationAdministration{
		ResourceType:              "MedicationAdministration",
		ID:                        administrationID(n, k),
		Status:                    "completed",
		MedicationCodeableConcept: coded(d.system, d.code, d.display),
		Subject:                   rd.patientRef,
		EffectiveDateTime:         dateTime(at),
		Performer:                 []Performer{{Actor: ref("Practitioner", rd.c.nurseID(rd.c.nurse(v.doctor, v.day)))}},
		Request:                   ref("MedicationRequest", requestID(n, k)),
		Dosage: Dosage{
			Text:  d.text,
			Route: CodeableConcept{Coding: []Coding{d.route}},
			Dose:  Quantity{Value: d.dose, Unit: d.doseUnit, System: sysUCUM, Code: d.doseUnit},
		},
	}
	if d.site != nil {
		ma.Dosage.Site = &CodeableConcept{Coding: []Coding{*d.site}}
	}
	rd.rec.admins = append(rd.rec.admins, ma)
}
