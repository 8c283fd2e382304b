package fhir

import "maps"

// ParamType is a SearchParameter type.
type ParamType string

// The R4 search parameter types.
const (
	ParamString    ParamType = "string"
	ParamToken     ParamType = "token"
	ParamDate      ParamType = "date"
	ParamNumber    ParamType = "number"
	ParamQuantity  ParamType = "quantity"
	ParamReference ParamType = "reference"
	ParamURI       ParamType = "uri"
	ParamComposite ParamType = "composite"
	ParamSpecial   ParamType = "special"
)

// SearchParam is one search parameter as it applies to one resource type.
// Values are shared: treat them as read-only.
type SearchParam struct {
	Code        string
	URL         string // canonical URL of the SearchParameter
	Type        ParamType
	Description string
	Base        []string // as in the specification, possibly many types
	Target      []string // resource types a reference parameter may point to

	// Expression is the FHIRPath expression restricted to the members of
	// RawExpression's union that start with this resource type or with
	// "Resource."/"DomainResource.". It is empty for parameters the
	// specification defines without one (_text, _content, _query).
	Expression    string
	RawExpression string

	// Modifiers this server accepts for the parameter on this type.
	Modifiers []string

	Components []Component // parts of a composite parameter
	Chains     []string    // SearchParameter.chain: chained names allowed
}

// Component is one part of a composite search parameter.
type Component struct {
	Definition string       // canonical URL of the part's SearchParameter
	Expression string       // FHIRPath relative to the composite's expression
	Param      *SearchParam // the part, resolved for the same resource type
}

var searchParams = newLazy(loadSearchParams)

// SearchParams returns every search parameter applicable to the resource
// type, keyed by code: its own and the Resource/DomainResource ones (_id,
// _lastUpdated, _tag, _profile, _security, _source, ...). It returns nil for
// a type the server does not serve. The map is the caller's to modify; the
// SearchParam values are shared.
func SearchParams(resourceType string) map[string]*SearchParam {
	byCode, ok := searchParams.mustGet()[resourceType]
	if !ok {
		return nil
	}
	return maps.Clone(byCode)
}

// LookupSearchParam returns one search parameter of the resource type by
// code. (Go does not allow a function named like the SearchParam type.)
func LookupSearchParam(resourceType, code string) (*SearchParam, bool) {
	p, ok := searchParams.mustGet()[resourceType][code]
	return p, ok
}
