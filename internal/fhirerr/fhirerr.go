// Package fhirerr is the one error type of the server. Every layer reports a
// client-visible failure as an *Error with a Kind; package api maps each Kind
// to an HTTP status and an OperationOutcome issue code in a single table.
// Errors of any other type are internal: logged, never shown.
package fhirerr

import (
	"errors"
	"fmt"
	"strings"
)

// Kind classifies a failure.
type Kind string

const (
	Invalid            Kind = "invalid"             // 400: malformed request or resource
	Unauthorized       Kind = "unauthorized"        // 401: missing or bad token
	Forbidden          Kind = "forbidden"           // 403: outside the token's scopes
	NotFound           Kind = "not-found"           // 404
	NotAllowed         Kind = "not-allowed"         // 405: interaction not supported for the type
	Conflict           Kind = "conflict"            // 409: business conflict (double booking, referenced)
	Gone               Kind = "gone"                // 410: deleted
	PreconditionFailed Kind = "precondition-failed" // 412: If-Match or conditional match count
	TooLarge           Kind = "too-large"           // 413
	UnsupportedMedia   Kind = "unsupported-media"   // 415
	Unprocessable      Kind = "unprocessable"       // 422: breaks a business rule or profile
	TooManyRequests    Kind = "too-many-requests"   // 429
	Unavailable        Kind = "unavailable"         // 503: storage or audit down
	Internal           Kind = "internal"            // 500
)

// Issue is one OperationOutcome issue.
type Issue struct {
	Severity    string // fatal | error | warning | information
	Code        string // OperationOutcome issue type; empty means "from the Kind"
	Expression  string // FHIRPath location, e.g. Patient.birthDate
	Diagnostics string
}

// Error is a failure the client may see.
type Error struct {
	Kind   Kind
	Issues []Issue
	Err    error // the cause, for logs only
}

func (e *Error) Error() string {
	msgs := make([]string, 0, len(e.Issues))
	for _, is := range e.Issues {
		if is.Expression != "" {
			msgs = append(msgs, is.Expression+": "+is.Diagnostics)
		} else {
			msgs = append(msgs, is.Diagnostics)
		}
	}
	s := string(e.Kind) + ": " + strings.Join(msgs, "; ")
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// New builds an error with one issue.
func New(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Issues: []Issue{{Severity: "error", Diagnostics: fmt.Sprintf(format, args...)}}}
}

// At builds an error with one issue located at expression.
func At(kind Kind, expression, format string, args ...any) *Error {
	return &Error{Kind: kind, Issues: []Issue{{Severity: "error", Expression: expression, Diagnostics: fmt.Sprintf(format, args...)}}}
}

// Wrap keeps cause for the logs behind a client-visible message.
func Wrap(kind Kind, cause error, format string, args ...any) *Error {
	e := New(kind, format, args...)
	e.Err = cause
	return e
}

// KindOf returns the Kind of err, or Internal when it is not an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// As returns err as an *Error, turning foreign errors into Internal ones
// whose cause is kept for the log only.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: Internal, Issues: []Issue{{Severity: "error", Code: "exception", Diagnostics: "internal error"}}, Err: err}
}
