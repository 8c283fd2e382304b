package api

import (
	"net/http"

	"github.com/clinic/ehr/internal/fhirerr"
	"github.com/clinic/ehr/internal/fhirjson"
)

// kindTable maps each error kind to its HTTP status and OperationOutcome
// issue code, in one place (wtf's error table, Blaze's category map).
var kindTable = map[fhirerr.Kind]struct {
	status int
	code   string
}{
	fhirerr.Invalid:            {http.StatusBadRequest, "invalid"},
	fhirerr.Unauthorized:       {http.StatusUnauthorized, "login"},
	fhirerr.Forbidden:          {http.StatusForbidden, "forbidden"},
	fhirerr.NotFound:           {http.StatusNotFound, "not-found"},
	fhirerr.NotAllowed:         {http.StatusMethodNotAllowed, "not-supported"},
	fhirerr.Conflict:           {http.StatusConflict, "conflict"},
	fhirerr.Gone:               {http.StatusGone, "deleted"},
	fhirerr.PreconditionFailed: {http.StatusPreconditionFailed, "conflict"},
	fhirerr.TooLarge:           {http.StatusRequestEntityTooLarge, "too-costly"},
	fhirerr.UnsupportedMedia:   {http.StatusUnsupportedMediaType, "not-supported"},
	fhirerr.Unprocessable:      {http.StatusUnprocessableEntity, "business-rule"},
	fhirerr.TooManyRequests:    {http.StatusTooManyRequests, "throttled"},
	fhirerr.Unavailable:        {http.StatusServiceUnavailable, "transient"},
	fhirerr.Internal:           {http.StatusInternalServerError, "exception"},
}

// statusOf returns the HTTP status of an error.
func statusOf(err error) int {
	if t, ok := kindTable[fhirerr.KindOf(err)]; ok {
		return t.status
	}
	return http.StatusInternalServerError
}

// operationOutcome renders issues as an OperationOutcome body. Internal
// errors never show their cause.
func operationOutcome(e *fhirerr.Error) []byte {
	issues := make([]any, 0, len(e.Issues))
	defCode := kindTable[e.Kind].code
	if defCode == "" {
		defCode = "exception"
	}
	for _, is := range e.Issues {
		m := map[string]any{"severity": orDefault(is.Severity, "error"), "code": orDefault(is.Code, defCode)}
		if e.Kind == fhirerr.Internal {
			m["diagnostics"] = "internal error"
		} else if is.Diagnostics != "" {
			m["diagnostics"] = is.Diagnostics
		}
		if is.Expression != "" && e.Kind != fhirerr.Internal {
			m["expression"] = []string{is.Expression}
		}
		issues = append(issues, m)
	}
	if len(issues) == 0 {
		issues = append(issues, map[string]any{"severity": "error", "code": defCode})
	}
	b, _ := fhirjson.Marshal(map[string]any{"resourceType": "OperationOutcome", "issue": issues})
	return b
}

// informational renders an all-is-well OperationOutcome with optional warnings.
func informational(msg string, warnings []fhirerr.Issue) []byte {
	issues := []any{}
	for _, w := range warnings {
		m := map[string]any{"severity": orDefault(w.Severity, "warning"), "code": orDefault(w.Code, "informational"), "diagnostics": w.Diagnostics}
		if w.Expression != "" {
			m["expression"] = []string{w.Expression}
		}
		issues = append(issues, m)
	}
	if len(issues) == 0 {
		issues = append(issues, map[string]any{"severity": "information", "code": "informational", "diagnostics": msg})
	}
	b, _ := fhirjson.Marshal(map[string]any{"resourceType": "OperationOutcome", "issue": issues})
	return b
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
