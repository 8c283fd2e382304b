package seed

import "time"

// vitals records the vital signs taken at the start of a visit. Values
// follow the patient's baselines and trends, with measurement noise, and
// stay inside the vital-signs profile's usual ranges.
func (rd *renderer) vitals(v *visit, fever bool) {
	r, h := rd.r, &rd.h
	at := rd.minutesLater(v.start, 3, 12)
	days := at.Sub(rd.c.day0).Hours() / 24
	nurse := ref("Practitioner", rd.c.nurseID(rd.c.nurse(v.doctor, v.day)))

	systolic := h.systolic + 5*r.NormFloat64()
	if !rd.treatedAt.IsZero() {
		// amlodipine lowers the pressure by ~1.5 mm[Hg] a month, to a plateau
		months := at.Sub(rd.treatedAt).Hours() / 24 / 30
		systolic -= min(18, 1.5*months)
	}
	systolic = round(clamp(systolic, vitalSystolic.min, vitalSystolic.max), 0)
	diastolic := round(clamp(0.58*systolic+8+4*r.NormFloat64(), vitalDiastolic.min, systolic-25), 0)
	rd.bloodPressure(at, nurse, systolic, diastolic)

	heartRate := h.heartRate + 5*r.NormFloat64()
	temp := 36.7 + 0.2*r.NormFloat64()
	if fever {
		heartRate += 15
		temp = 38.1 + 0.8*r.Float64()
	}
	rd.vital(vitalHeartRate, at, nurse, round(clamp(heartRate, vitalHeartRate.min, vitalHeartRate.max), 0))
	rd.vital(vitalTemp, at, nurse, round(clamp(temp, vitalTemp.min, vitalTemp.max), 1))
	rd.vital(vitalSpO2, at, nurse, round(clamp(97.5+1.2*r.NormFloat64(), 93, vitalSpO2.max), 0))

	weight := round(clamp(h.weight+h.weightDrift*days+0.4*r.NormFloat64(), vitalWeight.min, vitalWeight.max), 1)
	rd.vital(vitalWeight, at, nurse, weight)
	if v.kind == checkup || !rd.seen {
		rd.vital(vitalHeight, at, nurse, round(h.height+0.3*r.NormFloat64(), 1))
	}
	bmi := weight / (h.height * h.height / 1e4)
	rd.vital(vitalBMI, at, nurse, round(clamp(bmi, vitalBMI.min, vitalBMI.max), 1))
}

// vitalObservation is the common part of every vital sign.
func (rd *renderer) vitalObservation(profile, loinc, display string, at time.Time, performer Reference) *Observation {
	o := &Observation{
		ResourceType:      "Observation",
		ID:                observationID(rd.p.n, len(rd.rec.observations)+1),
		Meta:              &Meta{Profile: []string{profileBase + profile}},
		Status:            "final",
		Category:          categoryVitals,
		Code:              coded(sysLOINC, loinc, display),
		Subject:           rd.patientRef,
		EffectiveDateTime: dateTime(at),
		Performer:         []Reference{performer},
	}
	rd.rec.observations = append(rd.rec.observations, o)
	return o
}

func (rd *renderer) vital(s vital, at time.Time, performer Reference, value float64) {
	o := rd.vitalObservation(s.profile, s.loinc, s.display, at, performer)
	o.ValueQuantity = quantity(value, s.unit, s.ucum)
}

// bloodPressure is one panel with systolic and diastolic components, as the
// profile wants, never two loose Observations.
func (rd *renderer) bloodPressure(at time.Time, performer Reference, systolic, diastolic float64) {
	o := rd.vitalObservation("bp", loincBPPanel, displayBPPanel, at, performer)
	o.Component = []Component{
		{Code: coded(sysLOINC, vitalSystolic.loinc, vitalSystolic.display), ValueQuantity: quantity(systolic, vitalSystolic.unit, vitalSystolic.ucum)},
		{Code: coded(sysLOINC, vitalDiastolic.loinc, vitalDiastolic.display), ValueQuantity: quantity(diastolic, vitalDiastolic.unit, vitalDiastolic.ucum)},
	}
}
