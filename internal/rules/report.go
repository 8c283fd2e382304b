package rules

import (
	"fmt"

	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/fhirerr"
)

// report collects what one rule finds in one write, so that a client sees
// every problem at once rather than one per attempt. Each diagnostic starts
// with the rule's name.
type report struct {
	rule     string
	errs     []fhirerr.Issue
	warnings []fhirerr.Issue
}

func newReport(rule string) *report { return &report{rule: rule} }

// fail records a refusal located at path. Its issue code is left to the
// error's kind (invalid, conflict, business-rule).
func (r *report) fail(path, format string, args ...any) {
	r.errs = append(r.errs, r.issue("error", "", path, format, args...))
}

// warn records something stored but worth a second look.
func (r *report) warn(path, format string, args ...any) {
	r.warnings = append(r.warnings, r.issue("warning", "business-rule", path, format, args...))
}

func (r *report) issue(severity, code, path, format string, args ...any) fhirerr.Issue {
	return fhirerr.Issue{
		Severity:    severity,
		Code:        code,
		Expression:  path,
		Diagnostics: r.rule + ": " + fmt.Sprintf(format, args...),
	}
}

// failed reports whether a refusal was recorded.
func (r *report) failed() bool { return len(r.errs) > 0 }

// finish returns the refusals as one error of kind, or hands the warnings
// to the change when there are none.
func (r *report) finish(c *engine.Change, kind fhirerr.Kind) error {
	if r.failed() {
		return &fhirerr.Error{Kind: kind, Issues: r.errs}
	}
	c.Warnings = append(c.Warnings, r.warnings...)
	return nil
}
