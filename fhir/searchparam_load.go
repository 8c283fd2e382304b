package fhir

import (
	"encoding/json"
	"fmt"
	"slices"
)

// rawSearchParameter is the part of an R4 SearchParameter resource we use.
type rawSearchParameter struct {
	URL         string         `json:"url"`
	Code        string         `json:"code"`
	Type        ParamType      `json:"type"`
	Description string         `json:"description"`
	Base        []string       `json:"base"`
	Target      []string       `json:"target"`
	Expression  string         `json:"expression"`
	Chain       []string       `json:"chain"`
	Component   []rawComponent `json:"component"`
}

type rawComponent struct {
	Definition string `json:"definition"`
	Expression string `json:"expression"`
}

// abstractBases are the bases whose parameters apply to every served type.
// Every type we serve is a DomainResource (Bundle, Binary and Parameters,
// which are not, are not served).
var abstractBases = []string{"Resource", "DomainResource"}

// loadSearchParams builds, for every served type, its parameters by code.
func loadSearchParams() (map[string]map[string]*SearchParam, error) {
	types, err := typeNames()
	if err != nil {
		return nil, err
	}
	elements, err := elementTypesFromSchema()
	if err != nil {
		return nil, err
	}
	raw, err := readSearchParameters()
	if err != nil {
		return nil, err
	}
	registry := make(map[string]map[string]*SearchParam, len(types))
	for _, t := range types {
		byCode, err := paramsForType(t, raw, elements)
		if err != nil {
			return nil, err
		}
		registry[t] = byCode
	}
	return registry, nil
}

func readSearchParameters() ([]rawSearchParameter, error) {
	b, err := readData(searchParametersFile)
	if err != nil {
		return nil, err
	}
	var bundle struct {
		Entry []struct {
			Resource rawSearchParameter `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		return nil, fmt.Errorf("fhir: parse %s: %w", searchParametersFile, err)
	}
	params := make([]rawSearchParameter, len(bundle.Entry))
	for i, e := range bundle.Entry {
		if e.Resource.URL == "" || e.Resource.Code == "" {
			return nil, fmt.Errorf("fhir: %s: entry %d lacks url or code", searchParametersFile, i)
		}
		params[i] = e.Resource
	}
	return params, nil
}

// paramsForType restricts every parameter to resourceType, keeps the ones
// whose base applies, and resolves composite components among them.
func paramsForType(resourceType string, raw []rawSearchParameter, elements elementTypes) (map[string]*SearchParam, error) {
	// Components may name a parameter whose base does not include this type,
	// so every parameter is restricted, and only the applicable ones listed.
	byURL := make(map[string]*SearchParam, len(raw))
	byCode := make(map[string]*SearchParam)
	for _, r := range raw {
		p := newSearchParam(r, resourceType, elements)
		byURL[r.URL] = p
		specific := slices.Contains(r.Base, resourceType)
		if !specific && !slices.ContainsFunc(r.Base, isAbstractBase) {
			continue
		}
		if prev, dup := byCode[r.Code]; dup {
			// A type's own parameter overrides an inherited one of the same
			// code; two of the same kind is a defect in the data.
			prevSpecific := slices.Contains(prev.Base, resourceType)
			if prevSpecific == specific {
				return nil, fmt.Errorf("fhir: %s has two search parameters %q: %s and %s", resourceType, r.Code, prev.URL, r.URL)
			}
			if prevSpecific {
				continue
			}
		}
		byCode[r.Code] = p
	}
	for _, p := range byURL {
		for i := range p.Components {
			c := &p.Components[i]
			part, ok := byURL[c.Definition]
			if !ok {
				return nil, fmt.Errorf("fhir: search parameter %s: component %s is not defined", p.URL, c.Definition)
			}
			c.Param = part
		}
	}
	return byCode, nil
}

func isAbstractBase(base string) bool {
	return slices.Contains(abstractBases, base)
}

func newSearchParam(r rawSearchParameter, resourceType string, elements elementTypes) *SearchParam {
	p := &SearchParam{
		Code:          r.Code,
		URL:           r.URL,
		Type:          r.Type,
		Description:   r.Description,
		Base:          r.Base,
		Target:        r.Target,
		Expression:    restrictExpression(r.Expression, resourceType),
		RawExpression: r.Expression,
		Chains:        r.Chain,
	}
	for _, c := range r.Component {
		p.Components = append(p.Components, Component{Definition: c.Definition, Expression: c.Expression})
	}
	p.Modifiers = modifiersFor(p, elements)
	return p
}
