package auth

import (
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// safeJWTErrors are the jwt sentinels whose messages describe a refusal
// without quoting the token. jwt's full messages can embed header values or
// JSON decoder snippets, so they are never passed on.
var safeJWTErrors = []error{
	jwt.ErrTokenExpired,
	jwt.ErrTokenNotValidYet,
	jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrTokenInvalidIssuer,
	jwt.ErrTokenInvalidAudience,
	jwt.ErrTokenRequiredClaimMissing,
	jwt.ErrTokenSignatureInvalid,
	jwt.ErrTokenMalformed,
	jwt.ErrTokenUnverifiable,
}

// describeParseError turns a jwt parse error into a refusal with a safe reason.
func describeParseError(err error) error {
	var r *refusal
	if errors.As(err, &r) { // from keyFor: already safe
		return r
	}
	var reasons []string
	var causes []error
	for _, s := range safeJWTErrors {
		if errors.Is(err, s) {
			reasons = append(reasons, s.Error())
			causes = append(causes, s)
		}
	}
	if len(reasons) == 0 {
		return refuse("token rejected")
	}
	// A bad signature and a refused alg share one jwt sentinel.
	if len(causes) == 1 && causes[0] == jwt.ErrTokenSignatureInvalid {
		reasons[0] = "signature invalid or algorithm not accepted"
	}
	return refuse(strings.Join(reasons, ", "), causes...)
}
