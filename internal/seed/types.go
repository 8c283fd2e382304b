package seed

// The FHIR R4 shapes the generator writes. They are plain structs rather
// than maps so that encoding/json writes fields in a fixed order: the output
// must be byte-identical for a given seed.

// Resource is any generated resource.
type Resource interface {
	TypeName() string
	ResourceID() string
}

// Meta carries the profiles a resource claims.
type Meta struct {
	Profile []string `json:"profile,omitempty"`
}

// Coding is a code from a code system.
type Coding struct {
	System  string `json:"system,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a set of codings with optional text.
type CodeableConcept struct {
	Coding []Coding `json:"coding,omitempty"`
	Text   string   `json:"text,omitempty"`
}

// Reference points at another resource as Type/id.
type Reference struct {
	Reference string `json:"reference"`
	Display   string `json:"display,omitempty"`
}

// Identifier is a business identifier (MRN, SSN, accession number).
type Identifier struct {
	Use    string           `json:"use,omitempty"`
	Type   *CodeableConcept `json:"type,omitempty"`
	System string           `json:"system,omitempty"`
	Value  string           `json:"value"`
}

// Quantity is a UCUM-coded measured amount. Value has no omitempty: zero
// is a value.
type Quantity struct {
	Value  float64 `json:"value"`
	Unit   string  `json:"unit,omitempty"`
	System string  `json:"system,omitempty"`
	Code   string  `json:"code,omitempty"`
}

// HumanName is a person's name.
type HumanName struct {
	Use    string   `json:"use,omitempty"`
	Family string   `json:"family,omitempty"`
	Given  []string `json:"given,omitempty"`
}

// ContactPoint is a phone number.
type ContactPoint struct {
	System string `json:"system"`
	Value  string `json:"value"`
	Use    string `json:"use,omitempty"`
}

// Address is a postal address.
type Address struct {
	Use        string   `json:"use,omitempty"`
	Line       []string `json:"line,omitempty"`
	City       string   `json:"city,omitempty"`
	State      string   `json:"state,omitempty"`
	PostalCode string   `json:"postalCode,omitempty"`
	Country    string   `json:"country,omitempty"`
}

// Communication is a language the patient speaks.
type Communication struct {
	Language  CodeableConcept `json:"language"`
	Preferred bool            `json:"preferred,omitempty"`
}

// Patient is a registered patient.
type Patient struct {
	ResourceType        string          `json:"resourceType"`
	ID                  string          `json:"id"`
	Identifier          []Identifier    `json:"identifier"`
	Active              bool            `json:"active"`
	Name                []HumanName     `json:"name"`
	Telecom             []ContactPoint  `json:"telecom,omitempty"`
	Gender              string          `json:"gender"`
	BirthDate           string          `json:"birthDate"`
	Address             []Address       `json:"address,omitempty"`
	Communication       []Communication `json:"communication,omitempty"`
	GeneralPractitioner []Reference     `json:"generalPractitioner,omitempty"`
}

// ReferenceRange is the normal range of a lab value.
type ReferenceRange struct {
	Low  *Quantity `json:"low,omitempty"`
	High *Quantity `json:"high,omitempty"`
}

// Component is one value of a panel (systolic and diastolic pressure).
type Component struct {
	Code          CodeableConcept `json:"code"`
	ValueQuantity *Quantity       `json:"valueQuantity"`
}

// Observation is a vital sign or a lab result.
type Observation struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id"`
	Meta              *Meta             `json:"meta,omitempty"`
	Status            string            `json:"status"`
	Category          []CodeableConcept `json:"category"`
	Code              CodeableConcept   `json:"code"`
	Subject           Reference         `json:"subject"`
	EffectiveDateTime string            `json:"effectiveDateTime"`
	Issued            string            `json:"issued,omitempty"`
	Performer         []Reference       `json:"performer,omitempty"`
	ValueQuantity     *Quantity         `json:"valueQuantity,omitempty"`
	Interpretation    []CodeableConcept `json:"interpretation,omitempty"`
	Specimen          *Reference        `json:"specimen,omitempty"`
	ReferenceRange    []ReferenceRange  `json:"referenceRange,omitempty"`
	Component         []Component       `json:"component,omitempty"`
}

// Collection is how and when a specimen was taken.
type Collection struct {
	Collector         Reference        `json:"collector"`
	CollectedDateTime string           `json:"collectedDateTime"`
	Quantity          *Quantity        `json:"quantity,omitempty"`
	BodySite          *CodeableConcept `json:"bodySite,omitempty"`
}

// Container is a tube the specimen is held in.
type Container struct {
	Identifier       []Identifier     `json:"identifier,omitempty"`
	Description      string           `json:"description,omitempty"`
	Type             *CodeableConcept `json:"type,omitempty"`
	SpecimenQuantity *Quantity        `json:"specimenQuantity,omitempty"`
}

// Specimen is a blood sample sent to the lab.
type Specimen struct {
	ResourceType        string          `json:"resourceType"`
	ID                  string          `json:"id"`
	AccessionIdentifier Identifier      `json:"accessionIdentifier"`
	Status              string          `json:"status"`
	Type                CodeableConcept `json:"type"`
	Subject             Reference       `json:"subject"`
	ReceivedTime        string          `json:"receivedTime,omitempty"`
	Collection          Collection      `json:"collection"`
	Container           []Container     `json:"container,omitempty"`
}

// Performer is who gave a medication.
type Performer struct {
	Actor Reference `json:"actor"`
}

// Dosage is how much of a medication was given, and how.
type Dosage struct {
	Text  string           `json:"text,omitempty"`
	Site  *CodeableConcept `json:"site,omitempty"`
	Route CodeableConcept  `json:"route"`
	Dose  Quantity         `json:"dose"`
}

// MedicationAdministration is a dose given in the clinic, a vaccine included.
type MedicationAdministration struct {
	ResourceType              string          `json:"resourceType"`
	ID                        string          `json:"id"`
	Status                    string          `json:"status"`
	MedicationCodeableConcept CodeableConcept `json:"medicationCodeableConcept"`
	Subject                   Reference       `json:"subject"`
	EffectiveDateTime         string          `json:"effectiveDateTime"`
	Performer                 []Performer     `json:"performer"`
	Request                   Reference       `json:"request"`
	Dosage                    Dosage          `json:"dosage"`
}

// Participant is one attendee of an appointment.
type Participant struct {
	Type     []CodeableConcept `json:"type,omitempty"`
	Actor    Reference         `json:"actor"`
	Required string            `json:"required,omitempty"`
	Status   string            `json:"status"`
}

// Appointment is a slot in the clinic's calendar.
type Appointment struct {
	ResourceType      string            `json:"resourceType"`
	ID                string            `json:"id"`
	Status            string            `json:"status"`
	CancelationReason *CodeableConcept  `json:"cancelationReason,omitempty"`
	ServiceCategory   []CodeableConcept `json:"serviceCategory,omitempty"`
	AppointmentType   *CodeableConcept  `json:"appointmentType,omitempty"`
	Description       string            `json:"description,omitempty"`
	Start             string            `json:"start"`
	End               string            `json:"end"`
	MinutesDuration   int               `json:"minutesDuration"`
	Created           string            `json:"created,omitempty"`
	Participant       []Participant     `json:"participant"`
}

func (r *Patient) TypeName() string                  { return "Patient" }
func (r *Patient) ResourceID() string                { return r.ID }
func (r *Observation) TypeName() string              { return "Observation" }
func (r *Observation) ResourceID() string            { return r.ID }
func (r *Specimen) TypeName() string                 { return "Specimen" }
func (r *Specimen) ResourceID() string               { return r.ID }
func (r *MedicationAdministration) TypeName() string { return "MedicationAdministration" }
func (r *MedicationAdministration) ResourceID() string {
	return r.ID
}
func (r *Appointment) TypeName() string   { return "Appointment" }
func (r *Appointment) ResourceID() string { return r.ID }

var (
	_ Resource = (*Patient)(nil)
	_ Resource = (*Observation)(nil)
	_ Resource = (*Specimen)(nil)
	_ Resource = (*MedicationAdministration)(nil)
	_ Resource = (*Appointment)(nil)
)
