package seed

import (
	"fmt"
	"slices"
	"time"
)

var (
	specimenBlood = coded(sysSNOMED, "119297000", "Blood specimen")
	rightArm      = &CodeableConcept{Coding: []Coding{{System: sysSNOMED, Code: "368209003", Display: "Right upper arm structure"}}}
)

// Lab panels: a complete blood count from the EDTA tube, chemistry from the
// serum tube.
var (
	bloodCount = []labTest{labHemoglobin, labWBC, labPlatelets}
	chemistry  = []labTest{labGlucose, labCreatinine, labPotassium, labSodium}
)

// bloodDraw collects a blood specimen during the visit and records the
// lab's results on it a few hours later.
func (rd *renderer) bloodDraw(v *visit) {
	n, k := rd.p.n, len(rd.rec.specimens)+1
	collected := rd.minutesLater(v.start, 15, 30)
	received := rd.minutesLater(collected, 45, 90)
	issued := rd.minutesLater(received, 60, 240)
	count, chem := rd.panels(v)

	s := &Specimen{
		ResourceType:        "Specimen",
		ID:                  specimenID(n, k),
		AccessionIdentifier: Identifier{System: SystemAccession, Value: fmt.Sprintf("ACC-%06d-%02d", n, k)},
		Status:              "available",
		Type:                specimenBlood,
		Subject:             rd.patientRef,
		ReceivedTime:        dateTime(received),
		Collection: Collection{
			Collector:         ref("Practitioner", rd.c.nurseID(rd.c.nurse(v.doctor, v.day))),
			CollectedDateTime: dateTime(collected),
			BodySite:          rightArm,
		},
	}
	drawn := 0.0
	tube := func(desc string, mL float64) {
		s.Container = append(s.Container, Container{
			Identifier:       []Identifier{{Value: fmt.Sprintf("TUBE-%06d-%02d-%d", n, k, len(s.Container)+1)}},
			Description:      desc,
			SpecimenQuantity: quantity(mL, "mL", "mL"),
		})
		drawn += mL
	}
	if len(count) > 0 {
		tube("Lavender-top EDTA tube", 3)
	}
	if len(chem) > 0 {
		tube("Gold-top serum separator tube", 5)
	}
	s.Collection.Quantity = quantity(drawn, "mL", "mL")
	rd.rec.specimens = append(rd.rec.specimens, s)

	specimen := ref("Specimen", s.ID)
	for _, t := range slices.Concat(count, chem) {
		rd.labResult(t, &specimen, collected, issued)
	}
}

// panels picks the tests: everything at a physical, what the patient's
// condition needs at a follow-up.
func (rd *renderer) panels(v *visit) (count, chem []labTest) {
	p := &rd.p.person
	switch {
	case v.kind == checkup:
		return bloodCount, chemistry
	case p.hypertensive && p.diabetic:
		return nil, chemistry
	case p.hypertensive:
		return nil, []labTest{labCreatinine, labPotassium, labSodium}
	case p.diabetic:
		return nil, []labTest{labGlucose, labCreatinine}
	}
	return bloodCount, []labTest{labGlucose}
}

// labResult is one result of the panel, flagged against its range.
func (rd *renderer) labResult(t labTest, specimen *Reference, collected, issued time.Time) {
	value := rd.labValue(t)
	low, high := rd.referenceRange(t)
	o := &Observation{
		ResourceType:      "Observation",
		ID:                observationID(rd.p.n, len(rd.rec.observations)+1),
		Status:            "final",
		Category:          categoryLab,
		Code:              coded(sysLOINC, t.loinc, t.display),
		Subject:           rd.patientRef,
		EffectiveDateTime: dateTime(collected),
		Issued:            dateTime(issued),
		ValueQuantity:     quantity(value, t.ucum, t.ucum),
		Interpretation:    interpretation(value, low, high),
		Specimen:          specimen,
		ReferenceRange:    []ReferenceRange{{Low: quantity(low, t.ucum, t.ucum), High: quantity(high, t.ucum, t.ucum)}},
	}
	rd.rec.observations = append(rd.rec.observations, o)
}

// labValue is the patient's baseline for the test with analytical noise.
func (rd *renderer) labValue(t labTest) float64 {
	h, noise := &rd.h, rd.r.NormFloat64()
	var v float64
	switch t.loinc {
	case labGlucose.loinc:
		v = h.glucose + 6*noise
	case labHemoglobin.loinc:
		v = h.hemoglobin + 0.3*noise
	case labCreatinine.loinc:
		v = h.creatinine + 0.05*noise
	case labWBC.loinc:
		v = h.wbc + 0.6*noise
	case labPlatelets.loinc:
		v = h.platelets + 15*noise
	case labPotassium.loinc:
		v = h.potassium + 0.15*noise
	case labSodium.loinc:
		v = h.sodium + 1.2*noise
	}
	return round(max(v, 0.1), t.decimals)
}

// referenceRange is the test's normal range; hemoglobin and creatinine
// differ between men and women.
func (rd *renderer) referenceRange(t labTest) (low, high float64) {
	female := rd.p.gender == "female"
	switch {
	case t.loinc == labHemoglobin.loinc && female:
		return 12.0, 15.5
	case t.loinc == labHemoglobin.loinc:
		return 13.5, 17.5
	case t.loinc == labCreatinine.loinc && female:
		return 0.59, 1.04
	case t.loinc == labCreatinine.loinc:
		return 0.74, 1.35
	}
	return t.low, t.high
}
