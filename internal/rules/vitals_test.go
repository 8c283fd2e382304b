package rules

import (
	"fmt"
	"testing"
)

// vital is a vital-sign Observation of $code whose value part is value
// (e.g. a valueQuantity member, or a component list).
func vital(code, value string) string {
	return fmt.Sprintf(`{"resourceType":"Observation","status":"final",
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":%q}]},
		"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2025-06-02T09:05:00Z",%s}`, code, value)
}

func quantity(value, unit string) string {
	return fmt.Sprintf(`"valueQuantity":{"value":%s,"system":"http://unitsofmeasure.org","code":%q}`, value, unit)
}

func components(systolic, diastolic string) string {
	part := func(code, value string) string {
		return fmt.Sprintf(`{"code":{"coding":[{"system":"http://loinc.org","code":%q}]},%s}`, code, quantity(value, "mm[Hg]"))
	}
	return `"component":[` + part("8480-6", systolic) + "," + part("8462-4", diastolic) + "]"
}

// The vital-signs table of fhir/data/vitals.json, as the rule applies it.
func TestVitalSignsRule(t *testing.T) {
	tx := newFakeTx(stored("Patient", "p1", `{"resourceType":"Patient"}`))
	const value = "Observation.valueQuantity.value"
	tests := []struct {
		name, body string
		want       outcome
	}{
		{"heart rate", vital("8867-4", quantity("72", "/min")), accepted()},
		{"heart rate too fast to be true", vital("8867-4", quantity("351", "/min")), unprocessable(value)},
		{"heart rate fast", vital("8867-4", quantity("181", "/min")), warned(value)},
		{"heart rate in Hz", vital("8867-4", quantity("1.2", "Hz")), unprocessable("Observation.valueQuantity.code")},
		{"temperature in degF", vital("8310-5", quantity("98.60", "[degF]")), accepted()},
		{"temperature 47 Cel", vital("8310-5", quantity("47", "Cel")), unprocessable(value)},
		{"temperature 34 Cel", vital("8310-5", quantity("34", "Cel")), warned(value)},
		{"saturation 100", vital("2708-6", quantity("100", "%")), accepted()},
		{"saturation 87", vital("2708-6", quantity("87", "%")), warned(value)},
		{"weight in pounds", vital("29463-7", quantity("165", "[lb_av]")), accepted()},
		{"weight 1544 lb", vital("29463-7", quantity("1544", "[lb_av]")), unprocessable(value)},
		{"height 301 cm", vital("8302-2", quantity("301", "cm")), unprocessable(value)},
		{"BMI", vital("39156-5", quantity("24.5", "kg/m2")), accepted()},
		{"no value", vital("9279-1", `"note":[{"text":"not counted"}]`), unprocessable("Observation.valueQuantity")},
		{"unknown code", vital("1234-5", quantity("1", "/min")), unprocessable("Observation.code")},
		{"blood pressure", vital("85354-9", components("120", "80")), accepted()},
		{"blood pressure high", vital("85354-9", components("181", "80")), warned("Observation.component[0].valueQuantity.value")},
		{"blood pressure inverted", vital("85354-9", components("70", "80")), unprocessable("Observation.component[1].valueQuantity.value")},
		{"blood pressure impossible", vital("85354-9", components("401", "80")), unprocessable("Observation.component[0].valueQuantity.value")},
		{"blood pressure without components", vital("85354-9", `"note":[{"text":"cuff broke"}]`), unprocessable("Observation.component")},
		{"panel without members", vital("85353-1", `"note":[{"text":"x"}]`), unprocessable("Observation.hasMember")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := run(t, tx, "Observation", tt.body, "")
			tt.want.check(t, c, err)
		})
	}
}
