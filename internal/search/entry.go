package search

// IndexEntry is one normalised search value extracted from a resource at write
// time. The fields used depend on the parameter type:
//
//	string:    Code = folded (lower case, accents removed), Text = as written
//	token:     System, Code, Text = folded display/text for :text
//	reference: System = target type, Code = target id (or the full URL when absolute)
//	uri:       Code = the uri
//	date:      Lo, Hi = inclusive range in Unix milliseconds
//	number:    Lo, Hi = range implied by the significant digits
//	quantity:  Lo, Hi, Unit, UnitSystem; CLo, CHi, CUnit in canonical UCUM
//	composite: the token part in System/Code, the quantity part in the quantity fields
type IndexEntry struct {
	Param      string   `bson:"p" json:"p"`
	System     string   `bson:"s,omitempty" json:"s,omitempty"`
	Code       string   `bson:"c,omitempty" json:"c,omitempty"`
	Text       string   `bson:"t,omitempty" json:"t,omitempty"`
	Lo         *float64 `bson:"lo,omitempty" json:"lo,omitempty"`
	Hi         *float64 `bson:"hi,omitempty" json:"hi,omitempty"`
	Unit       string   `bson:"u,omitempty" json:"u,omitempty"`
	UnitSystem string   `bson:"us,omitempty" json:"us,omitempty"`
	CLo        *float64 `bson:"clo,omitempty" json:"clo,omitempty"`
	CHi        *float64 `bson:"chi,omitempty" json:"chi,omitempty"`
	CUnit      string   `bson:"cu,omitempty" json:"cu,omitempty"`
}
