package load

import (
	"math"
	"math/rand/v2"
)

// VitalSign is a measurement of the FHIR R4 vital-signs profile (LOINC code,
// UCUM unit) with a plausible adult range, so that generated values pass
// the server's physiological limits without tripping its warnings.
type VitalSign struct {
	Code, Display string
	Unit          string  // UCUM code, used as the display unit too
	Lo, Hi        float64 // plausible adult values
	Decimals      int
	// Components of a panel (blood pressure); the panel has no value itself.
	Components []VitalSign
}

// VitalSigns are the measurements a nurse takes at a visit.
var VitalSigns = []VitalSign{
	{Code: "8867-4", Display: "Heart rate", Unit: "/min", Lo: 52, Hi: 104},
	{Code: "9279-1", Display: "Respiratory rate", Unit: "/min", Lo: 12, Hi: 20},
	{Code: "8310-5", Display: "Body temperature", Unit: "Cel", Lo: 36.1, Hi: 37.6, Decimals: 1},
	{Code: "29463-7", Display: "Body weight", Unit: "kg", Lo: 48, Hi: 118, Decimals: 1},
	{Code: "8302-2", Display: "Body height", Unit: "cm", Lo: 150, Hi: 195},
	{Code: "59408-5", Display: "Oxygen saturation in Arterial blood by Pulse oximetry", Unit: "%", Lo: 94, Hi: 100},
	{Code: "39156-5", Display: "Body mass index (BMI) [Ratio]", Unit: "kg/m2", Lo: 19, Hi: 34, Decimals: 1},
	{Code: "85354-9", Display: "Blood pressure panel with all children optional", Components: []VitalSign{
		{Code: "8480-6", Display: "Systolic blood pressure", Unit: "mm[Hg]", Lo: 105, Hi: 150},
		{Code: "8462-4", Display: "Diastolic blood pressure", Unit: "mm[Hg]", Lo: 62, Hi: 94},
	}},
}

// heartRate is the sign create-vitals posts most (the example).
var heartRate = &VitalSigns[0]

// value draws a value with the sign's precision.
func (v *VitalSign) value(r *rand.Rand) float64 {
	x := v.Lo + r.Float64()*(v.Hi-v.Lo)
	p := math.Pow(10, float64(v.Decimals))
	return math.Round(x*p) / p
}

// LabTest is a laboratory result coded in LOINC with its UCUM unit and a
// reference range.
type LabTest struct {
	Code, Display, Unit string
	Lo, Hi              float64
}

// LabPanel is the 20 results of one blood draw: a metabolic panel and a
// blood count.
var LabPanel = []LabTest{
	{"2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", 70, 99},
	{"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 136, 145},
	{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1},
	{"2075-0", "Chloride [Moles/volume] in Serum or Plasma", "mmol/L", 98, 107},
	{"2028-9", "Carbon dioxide, total [Moles/volume] in Serum or Plasma", "mmol/L", 22, 29},
	{"3094-0", "Urea nitrogen [Mass/volume] in Serum or Plasma", "mg/dL", 7, 20},
	{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3},
	{"17861-6", "Calcium [Mass/volume] in Serum or Plasma", "mg/dL", 8.6, 10.3},
	{"2885-2", "Protein [Mass/volume] in Serum or Plasma", "g/dL", 6, 8.3},
	{"1751-7", "Albumin [Mass/volume] in Serum or Plasma", "g/dL", 3.5, 5},
	{"1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", "mg/dL", 0.1, 1.2},
	{"6768-6", "Alkaline phosphatase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 44, 147},
	{"1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 7, 56},
	{"1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", "U/L", 10, 40},
	{"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12, 17.5},
	{"4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count", "%", 36, 50},
	{"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 11},
	{"789-8", "Erythrocytes [#/volume] in Blood by Automated count", "10*6/uL", 4.2, 5.9},
	{"777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 450},
	{"787-2", "MCV [Entitic volume] by Automated count", "fL", 80, 100},
}

// value draws a result, mostly inside the reference range.
func (t *LabTest) value(r *rand.Rand) float64 {
	span := t.Hi - t.Lo
	x := t.Lo - span*0.1 + r.Float64()*span*1.2
	return math.Round(x*100) / 100
}
