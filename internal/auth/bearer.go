package auth

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// maxFormPeek bounds how much of a form body is read to look for an
// access_token parameter.
const maxFormPeek = 1 << 20

// BearerToken extracts the token per RFC 6750: "Authorization: Bearer <t>"
// (scheme case-insensitive), or an access_token query or form parameter.
// More than one token, in one place or several, is ErrInvalidRequest; none is
// ErrNoToken. A form body is read to check it but left in place for later
// handlers.
func BearerToken(r *http.Request) (string, error) {
	var found []string
	header, err := headerToken(r.Header.Values("Authorization"))
	if err != nil {
		return "", err
	}
	if header != "" {
		found = append(found, header)
	}
	found = append(found, r.URL.Query()["access_token"]...)
	found = append(found, formTokens(r)...)

	switch {
	case len(found) == 0:
		return "", ErrNoToken
	case len(found) > 1:
		return "", ErrInvalidRequest
	case !validB64Token(found[0]):
		return "", ErrInvalidRequest
	}
	return found[0], nil
}

// headerToken returns the bearer token of the Authorization header, "" when
// the header is absent or uses another scheme.
func headerToken(values []string) (string, error) {
	if len(values) > 1 {
		return "", ErrInvalidRequest
	}
	if len(values) == 0 {
		return "", nil
	}
	scheme, rest, _ := strings.Cut(values[0], " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", nil
	}
	token := strings.TrimLeft(rest, " ")
	if token == "" {
		return "", ErrInvalidRequest
	}
	return token, nil
}

// formTokens returns access_token values of a urlencoded body, restoring the
// body afterwards. RFC 6750 §2.2 allows the parameter only in such bodies.
func formTokens(r *http.Request) []string {
	if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	if r.PostForm != nil { // already parsed by someone else
		return r.PostForm["access_token"]
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxFormPeek+1))
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	if err != nil || len(body) > maxFormPeek {
		return nil // too large to be a token-bearing form; leave it alone
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return nil
	}
	return q["access_token"]
}

// validB64Token checks RFC 6750's b64token syntax, so whitespace or control
// characters never reach the verifier.
func validB64Token(t string) bool {
	if t == "" {
		return false
	}
	end := len(strings.TrimRight(t, "="))
	if end == 0 {
		return false
	}
	for i := 0; i < end; i++ {
		c := t[i]
		if !(isBase64URL(c) || c == '.' || c == '~' || c == '+' || c == '/') {
			return false
		}
	}
	return true
}
