package search

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/clinic/ehr/fhir"
)

// The result parameters: they shape the answer rather than filter it.

// resultParam handles name if it is a result parameter.
func (q *query) resultParam(name string, values []string) (bool, error) {
	base, mod, _ := strings.Cut(name, ":")
	switch base {
	case "_include", "_revinclude":
		return true, q.include(name, base == "_revinclude", mod, values)
	}
	if mod != "" {
		return false, nil
	}
	switch name {
	case "_sort":
		return true, q.sort(values)
	case "_count":
		return true, q.count(values)
	case "_total":
		return true, q.oneOf(name, values, &q.req.Total, "none", "estimate", "accurate")
	case "_summary":
		return true, q.oneOf(name, values, &q.req.Summary, "true", "false", "text", "data", "count")
	case "_elements":
		return true, q.elements(values)
	case "_format":
		return true, format(values)
	case "_pretty":
		return true, nil // JSON is always written the same way
	}
	return false, nil
}

// single refuses a repeated result parameter: which one would win is a guess.
func single(name string, values []string) (string, error) {
	if len(values) > 1 {
		return "", &ParamError{Param: name, Msg: "given more than once"}
	}
	return values[0], nil
}

func (q *query) oneOf(name string, values []string, dst *string, allowed ...string) error {
	v, err := single(name, values)
	if err != nil {
		return err
	}
	if !slices.Contains(allowed, v) {
		return &ParamError{Param: name, Msg: fmt.Sprintf("%q is not one of %s", v, strings.Join(allowed, ", "))}
	}
	*dst = v
	return nil
}

func (q *query) count(values []string) error {
	v, err := single("_count", values)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return &ParamError{Param: "_count", Msg: fmt.Sprintf("%q is not a non-negative integer", v)}
	}
	q.req.Count = min(n, q.opts.MaxCount)
	return nil
}

// sort reads _sort=a,-b: any parameter of the type with a sort value.
func (q *query) sort(values []string) error {
	v, err := single("_sort", values)
	if err != nil {
		return err
	}
	for _, key := range strings.Split(v, ",") {
		key = strings.TrimSpace(key)
		if key == "" {
			continue
		}
		spec := SortSpec{Param: strings.TrimPrefix(key, "-"), Desc: strings.HasPrefix(key, "-")}
		p, ok := q.tp.byCode[spec.Param]
		switch {
		case !ok:
			return &ParamError{Param: "_sort", Msg: fmt.Sprintf("unknown search parameter %q for %s", spec.Param, q.typ)}
		case p.Type == fhir.ParamComposite:
			return &ParamError{Param: "_sort", Msg: fmt.Sprintf("cannot sort by the composite parameter %s", spec.Param)}
		}
		q.req.Sort = append(q.req.Sort, spec)
	}
	return nil
}

// elements reads _elements=identifier,active (top-level element names).
func (q *query) elements(values []string) error {
	for _, v := range values {
		for _, e := range strings.Split(v, ",") {
			e = strings.TrimSpace(e)
			if e == "" {
				continue
			}
			if !isElementName(e) {
				return &ParamError{Param: "_elements", Msg: fmt.Sprintf("%q is not an element name", e)}
			}
			if !slices.Contains(q.req.Elements, e) {
				q.req.Elements = append(q.req.Elements, e)
			}
		}
	}
	return nil
}

func isElementName(s string) bool {
	if !isIdentStart(s[0]) || s[0] == '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentPart(s[i]) {
			return false
		}
	}
	return true
}

// format accepts the JSON media types (a '+' may arrive as a space).
func format(values []string) error {
	for _, v := range values {
		if !strings.Contains(strings.ToLower(v), "json") {
			return &ParamError{Param: "_format", Msg: fmt.Sprintf("%q: only JSON is supported", v)}
		}
	}
	return nil
}

// include reads _include=Source:param[:Target] and _revinclude alike;
// :iterate (or R3's :recurse) on the name also follows included resources.
func (q *query) include(name string, reverse bool, mod string, values []string) error {
	if mod != "" && mod != "iterate" && mod != "recurse" {
		return &ParamError{Param: name, Msg: fmt.Sprintf("unknown modifier :%s (only :iterate)", mod)}
	}
	for _, v := range values {
		inc, err := q.parseInclude(reverse, mod != "", v)
		if err != nil {
			return &ParamError{Param: name, Msg: err.Error()}
		}
		if reverse {
			q.req.RevInclude = append(q.req.RevInclude, inc)
		} else {
			q.req.Include = append(q.req.Include, inc)
		}
	}
	return nil
}

func (q *query) parseInclude(reverse, iterate bool, v string) (Include, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Include{}, fmt.Errorf("%q is not SourceType:parameter[:TargetType]", v)
	}
	inc := Include{SourceType: parts[0], Param: parts[1], Iterate: iterate}
	if len(parts) == 3 {
		inc.TargetType = parts[2]
	}
	if inc.Param == "*" {
		return Include{}, fmt.Errorf("%q: the wildcard * is not supported; name the parameter", v)
	}
	if !reverse && !iterate && inc.SourceType != q.typ {
		return Include{}, fmt.Errorf("%q: the source type must be %s (use _include:iterate to start from included resources)", v, q.typ)
	}
	src, ok := q.r.types[inc.SourceType]
	if !ok {
		return Include{}, fmt.Errorf("%q: %s is not served", v, inc.SourceType)
	}
	p, ok := src.byCode[inc.Param]
	if !ok || p.Type != fhir.ParamReference {
		return Include{}, fmt.Errorf("%q: %s is not a reference parameter of %s", v, inc.Param, inc.SourceType)
	}
	if inc.TargetType != "" && !slices.Contains(p.Target, inc.TargetType) {
		return Include{}, fmt.Errorf("%q: %s.%s cannot point to %s", v, inc.SourceType, inc.Param, inc.TargetType)
	}
	if reverse && !iterate && inc.TargetType == "" && !slices.Contains(p.Target, q.typ) {
		return Include{}, fmt.Errorf("%q: %s.%s cannot point to %s", v, inc.SourceType, inc.Param, q.typ)
	}
	return inc, nil
}
