package seed

// Code systems and the codes the generator uses (DOMAIN.md "Units and codes").
const (
	sysLOINC     = "http://loinc.org"
	sysSNOMED    = "http://snomed.info/sct"
	sysRxNorm    = "http://www.nlm.nih.gov/research/umls/rxnorm"
	sysCVX       = "http://hl7.org/fhir/sid/cvx"
	sysUCUM      = "http://unitsofmeasure.org"
	sysObsCat    = "http://terminology.hl7.org/CodeSystem/observation-category"
	sysInterp    = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
	sysIDType    = "http://terminology.hl7.org/CodeSystem/v2-0203"
	sysApptType  = "http://terminology.hl7.org/CodeSystem/v2-0276"
	sysSvcCat    = "http://terminology.hl7.org/CodeSystem/service-category"
	sysPartType  = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	sysLanguage  = "urn:ietf:bcp:47"
	sysContainer = "http://terminology.hl7.org/CodeSystem/v2-0487"

	// SystemMRN and SystemSSN are the patient identifier systems.
	SystemMRN = "http://clinic.example.org/mrn"
	SystemSSN = "http://hl7.org/fhir/sid/us-ssn"
	// SystemAccession numbers the clinic's specimens.
	SystemAccession = "http://clinic.example.org/accession"

	profileBase = "http://hl7.org/fhir/StructureDefinition/"
)

// vital is one vital-sign measurement of the FHIR vital-signs profile.
type vital struct {
	loinc, display, profile string
	unit, ucum              string // display unit and UCUM code
	min, max                float64
}

// The vital signs, with the physiological limits the generator stays well
// inside (fhir/data/vitals.json has the server's limits).
var (
	vitalHeartRate = vital{"8867-4", "Heart rate", "heartrate", "beats/minute", "/min", 45, 130}
	vitalTemp      = vital{"8310-5", "Body temperature", "bodytemp", "C", "Cel", 35.5, 39.5}
	vitalSpO2      = vital{"2708-6", "Oxygen saturation in Arterial blood", "oxygensat", "%", "%", 90, 100}
	vitalWeight    = vital{"29463-7", "Body weight", "bodyweight", "kg", "kg", 38, 220}
	vitalHeight    = vital{"8302-2", "Body height", "bodyheight", "cm", "cm", 140, 210}
	vitalBMI       = vital{"39156-5", "Body mass index (BMI) [Ratio]", "bmi", "kg/m2", "kg/m2", 14, 60}
	vitalSystolic  = vital{"8480-6", "Systolic blood pressure", "", "mmHg", "mm[Hg]", 88, 178}
	vitalDiastolic = vital{"8462-4", "Diastolic blood pressure", "", "mmHg", "mm[Hg]", 48, 115}
)

const (
	loincBPPanel   = "85354-9"
	displayBPPanel = "Blood pressure panel with all children optional"
)

// labTest is one result of a lab panel, with its reference range.
type labTest struct {
	loinc, display string
	ucum           string
	low, high      float64 // reference range
	decimals       int
}

var (
	labGlucose    = labTest{"2339-0", "Glucose [Mass/volume] in Blood", "mg/dL", 70, 140, 0}
	labHemoglobin = labTest{"718-7", "Hemoglobin [Mass/volume] in Blood", "g/dL", 12, 17.5, 1}
	labCreatinine = labTest{"2160-0", "Creatinine [Mass/volume] in Serum or Plasma", "mg/dL", 0.6, 1.3, 2}
	labWBC        = labTest{"6690-2", "Leukocytes [#/volume] in Blood by Automated count", "10*3/uL", 4.5, 11, 1}
	labPlatelets  = labTest{"777-3", "Platelets [#/volume] in Blood by Automated count", "10*3/uL", 150, 400, 0}
	labPotassium  = labTest{"2823-3", "Potassium [Moles/volume] in Serum or Plasma", "mmol/L", 3.5, 5.1, 1}
	labSodium     = labTest{"2951-2", "Sodium [Moles/volume] in Serum or Plasma", "mmol/L", 135, 145, 0}
)

// drug is a medication the clinic gives, by RxNorm or CVX code.
type drug struct {
	system, code, display string
	dose                  float64
	doseUnit              string // UCUM
	route                 Coding
	site                  *Coding
	text                  string
}

var (
	routeOral = Coding{sysSNOMED, "26643006", "Oral route"}
	routeIM   = Coding{sysSNOMED, "78421000", "Intramuscular route"}
	leftArm   = &Coding{sysSNOMED, "368208006", "Left upper arm structure"}

	drugAmlodipine    = drug{sysRxNorm, "197361", "amlodipine 5 MG Oral Tablet", 5, "mg", routeOral, nil, "5 mg by mouth, first dose observed in clinic"}
	drugIbuprofen     = drug{sysRxNorm, "310965", "ibuprofen 200 MG Oral Tablet", 400, "mg", routeOral, nil, "400 mg (2 tablets) by mouth once"}
	drugAcetaminophen = drug{sysRxNorm, "313782", "acetaminophen 325 MG Oral Tablet", 650, "mg", routeOral, nil, "650 mg (2 tablets) by mouth once"}
	vaccineFlu        = drug{sysCVX, "140", "Influenza, seasonal, injectable, preservative free", 0.5, "mL", routeIM, leftArm, "0.5 mL IM, left deltoid"}
	vaccineCOVID      = drug{sysCVX, "208", "COVID-19, mRNA, LNP-S, PF, 30 mcg/0.3 mL dose", 0.3, "mL", routeIM, leftArm, "0.3 mL IM, left deltoid"}
	vaccineTdap       = drug{sysCVX, "115", "Tdap", 0.5, "mL", routeIM, leftArm, "0.5 mL IM, left deltoid"}
)

func coded(system, code, display string) CodeableConcept {
	return CodeableConcept{Coding: []Coding{{System: system, Code: code, Display: display}}}
}

func ref(typ, id string) Reference { return Reference{Reference: typ + "/" + id} }

func quantity(v float64, unit, ucum string) *Quantity {
	return &Quantity{Value: v, Unit: unit, System: sysUCUM, Code: ucum}
}

var (
	categoryVitals = []CodeableConcept{coded(sysObsCat, "vital-signs", "Vital Signs")}
	categoryLab    = []CodeableConcept{coded(sysObsCat, "laboratory", "Laboratory")}
)

// interpretation flags a value against its reference range.
func interpretation(v, low, high float64) []CodeableConcept {
	switch {
	case v < low:
		return []CodeableConcept{coded(sysInterp, "L", "Low")}
	case v > high:
		return []CodeableConcept{coded(sysInterp, "H", "High")}
	}
	return []CodeableConcept{coded(sysInterp, "N", "Normal")}
}
