package auth

import "errors"

var (
	// ErrNoToken means the request carries no bearer token at all.
	ErrNoToken = errors.New("no bearer token")
	// ErrInvalidRequest means the request carries a token in a malformed or
	// ambiguous way (RFC 6750 "invalid_request").
	ErrInvalidRequest = errors.New("malformed bearer token request")
	// ErrInvalidToken wraps every refusal by Verifier.Verify (RFC 6750
	// "invalid_token"). The wrapping error's message holds the reason, for
	// logs and audit only.
	ErrInvalidToken = errors.New("invalid token")
)

// refuse builds a Verify error. The reason must never quote token contents.
func refuse(reason string, causes ...error) error {
	return &refusal{reason: reason, causes: causes}
}

// refusal is a Verify error: it matches ErrInvalidToken and any safe causes
// (such as jwt.ErrTokenExpired) with errors.Is.
type refusal struct {
	reason string
	causes []error
}

func (r *refusal) Error() string { return ErrInvalidToken.Error() + ": " + r.reason }

func (r *refusal) Unwrap() []error { return append([]error{ErrInvalidToken}, r.causes...) }
