package auth

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestBearerToken(t *testing.T) {
	const tok = "aaa.bbb.ccc"
	form := "application/x-www-form-urlencoded"

	tests := []struct {
		name        string
		method      string
		target      string
		headers     []string // Authorization values
		contentType string
		body        string
		want        string
		wantErr     error
	}{
		{name: "header", headers: []string{"Bearer " + tok}, want: tok},
		{name: "scheme case-insensitive", headers: []string{"bEaReR " + tok}, want: tok},
		{name: "extra spaces", headers: []string{"Bearer   " + tok}, want: tok},
		{name: "b64token chars", headers: []string{"Bearer a-b_c.d~e+f/g=="}, want: "a-b_c.d~e+f/g=="},
		{name: "missing", wantErr: ErrNoToken},
		{name: "other scheme", headers: []string{"Basic dXNlcjpwYXNz"}, wantErr: ErrNoToken},
		{name: "scheme only", headers: []string{"Bearer"}, wantErr: ErrInvalidRequest},
		{name: "scheme and space", headers: []string{"Bearer "}, wantErr: ErrInvalidRequest},
		{name: "token with space", headers: []string{"Bearer a b"}, wantErr: ErrInvalidRequest},
		{name: "token of padding", headers: []string{"Bearer =="}, wantErr: ErrInvalidRequest},
		{name: "two headers", headers: []string{"Bearer " + tok, "Bearer " + tok}, wantErr: ErrInvalidRequest},
		{name: "query", target: "/fhir/Patient?access_token=" + tok, want: tok},
		{name: "empty query token", target: "/fhir/Patient?access_token=", wantErr: ErrInvalidRequest},
		{name: "two query tokens", target: "/fhir/Patient?access_token=a&access_token=b", wantErr: ErrInvalidRequest},
		{name: "header and query", target: "/fhir/Patient?access_token=" + tok, headers: []string{"Bearer " + tok}, wantErr: ErrInvalidRequest},
		{name: "form", method: http.MethodPost, contentType: form, body: "name=x&access_token=" + tok, want: tok},
		{name: "form with charset", method: http.MethodPost, contentType: form + "; charset=utf-8", body: "access_token=" + tok, want: tok},
		{name: "header and form", method: http.MethodPost, contentType: form, body: "access_token=" + tok, headers: []string{"Bearer " + tok}, wantErr: ErrInvalidRequest},
		{name: "query and form", method: http.MethodPost, target: "/fhir/Patient/_search?access_token=" + tok, contentType: form, body: "access_token=" + tok, wantErr: ErrInvalidRequest},
		{name: "JSON body is not a form", method: http.MethodPost, contentType: "application/fhir+json", body: `{"access_token":"x"}`, headers: []string{"Bearer " + tok}, want: tok},
		{name: "GET body ignored", method: http.MethodGet, contentType: form, body: "access_token=x", headers: []string{"Bearer " + tok}, want: tok},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, target := tt.method, tt.target
			if method == "" {
				method = http.MethodGet
			}
			if target == "" {
				target = "/fhir/Patient"
			}
			r := httptest.NewRequest(method, target, strings.NewReader(tt.body))
			for _, h := range tt.headers {
				r.Header.Add("Authorization", h)
			}
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			got, err := BearerToken(r)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("token = %q, want %q", got, tt.want)
			}
			// The body must still be there for the handler.
			body, _ := io.ReadAll(r.Body)
			if string(body) != tt.body {
				t.Errorf("body after BearerToken = %q, want %q", body, tt.body)
			}
		})
	}
}

func TestBearerTokenParsedForm(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/fhir/Patient/_search", strings.NewReader(url.Values{"access_token": {"x.y.z"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	got, err := BearerToken(r)
	if err != nil || got != "x.y.z" {
		t.Fatalf("BearerToken = %q, %v; want x.y.z", got, err)
	}
}

func TestBearerTokenLargeFormKeepsBody(t *testing.T) {
	body := "access_token=x&pad=" + strings.Repeat("a", maxFormPeek)
	r := httptest.NewRequest(http.MethodPost, "/fhir/Patient/_search", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, err := BearerToken(r); !errors.Is(err, ErrNoToken) {
		t.Fatalf("err = %v, want ErrNoToken for a form too large to inspect", err)
	}
	got, _ := io.ReadAll(r.Body)
	if string(got) != body {
		t.Errorf("body altered: got %d bytes, want %d", len(got), len(body))
	}
}
