package rules

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/clinic/ehr/fhir"
	"github.com/clinic/ehr/fhir/ucum"
)

// measured is a vital-sign value that passed its checks.
type measured struct {
	sign      *fhir.VitalSign
	path      string // of the Quantity's value
	value     string // as written (98.60 stays 98.60)
	unit      string
	canonical float64 // in canonical UCUM, to compare values
}

func (m measured) String() string { return m.value + " " + m.unit }

// checkMeasurement checks the value of one measurement at n, an Observation
// or one of its components: a valueQuantity in an allowed UCUM unit within
// the physiological limits, or else a dataAbsentReason (vital-signs
// profile, and obs-6: not both).
func checkMeasurement(rep *report, n node, sign *fhir.VitalSign) (measured, bool) {
	if key, ok := elementKey(n.object(), "value[x]"); ok && key != "valueQuantity" {
		rep.fail(n.path+"."+key, "a %s is a Quantity: send valueQuantity", sign.Name)
		return measured{}, false
	}
	qty, absent := n.child("valueQuantity"), n.child("dataAbsentReason")
	switch {
	case len(qty) == 0 && len(absent) == 0:
		rep.fail(n.path+".valueQuantity", "a %s (LOINC %s) needs valueQuantity or dataAbsentReason", sign.Name, sign.Code)
		return measured{}, false
	case len(qty) == 0:
		return measured{}, false // not measured, and said why
	case len(absent) > 0:
		rep.fail(absent[0].path, "dataAbsentReason is only allowed without a value (obs-6)")
		return measured{}, false
	}
	return checkQuantity(rep, qty[0], sign)
}

// checkQuantity checks the unit, then the value against the limits.
func checkQuantity(rep *report, q node, sign *fhir.VitalSign) (measured, bool) {
	raw := q.object()["value"]
	value, hasValue := number(raw)
	system, unit := q.str("system"), q.str("code")
	ok := true
	if !hasValue {
		rep.fail(q.path+".value", "the %s needs a numeric value (or a dataAbsentReason instead of the Quantity)", sign.Name)
		ok = false
	}
	if system != fhir.UCUMSystem {
		rep.fail(q.path+".system", "the unit of a %s must be coded in UCUM (system %s), not %q", sign.Name, fhir.UCUMSystem, system)
		ok = false
	}
	if !slices.Contains(sign.Units, unit) {
		rep.fail(q.path+".code", "%q is not a unit for %s (LOINC %s); use %s", unit, sign.Name, sign.Code, strings.Join(sign.Units, " or "))
		ok = false
	}
	if !ok {
		return measured{}, false
	}
	m := measured{sign: sign, path: q.path + ".value", value: fmt.Sprint(raw), unit: unit}
	a, err := sign.Limits.Assess(value, unit)
	if err == nil {
		m.canonical, _, err = ucum.Canonical(value, unit)
	}
	if err != nil { // the data file's units were checked on load: a defect
		rep.fail(m.path, "cannot compare %s with the limits of %s: %v", m, sign.Name, err)
		return measured{}, false
	}
	switch a.Verdict {
	case fhir.Impossible:
		rep.fail(m.path, "%s %s is not physiological: %s", sign.Name, describe(m, a, sign.Limits), limitText(a, sign.Limits, "the physiological"))
		return measured{}, false
	case fhir.Unusual:
		rep.warn(m.path, "%s %s is unusual: %s; stored, please double-check", sign.Name, describe(m, a, sign.Limits), limitText(a, sign.Limits, "the usual"))
	}
	return m, true
}

// describe writes a value as sent, with its conversion to the limits' unit
// when it was sent in another (120 [degF] = 48.9 Cel).
func describe(m measured, a fhir.Assessment, l *fhir.Limits) string {
	if m.unit == l.Unit {
		return m.String()
	}
	return fmt.Sprintf("%s (= %s %s)", m, strconv.FormatFloat(a.Value, 'f', 1, 64), l.Unit)
}

func limitText(a fhir.Assessment, l *fhir.Limits, which string) string {
	side := "minimum"
	if a.Above {
		side = "maximum"
	}
	return fmt.Sprintf("%s %s is %s %s", which, side, strconv.FormatFloat(a.Bound, 'f', -1, 64), l.Unit)
}
