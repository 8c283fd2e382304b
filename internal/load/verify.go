package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Verification reads only the fields it checks into small structs: the rest
// of a body is scanned but not kept, which keeps the load generator's own
// CPU, on a machine it shares with the server, as low as the checks allow.

// errStatus reports an unexpected status with the OperationOutcome's first
// diagnostic when there is one.
func errStatus(r *Response, want int) error {
	msg := fmt.Sprintf("status %d, want %d", r.Status, want)
	var oo struct {
		ResourceType string `json:"resourceType"`
		Issue        []struct {
			Code        string `json:"code"`
			Diagnostics string `json:"diagnostics"`
		} `json:"issue"`
	}
	if json.Unmarshal(r.Body, &oo) == nil && oo.ResourceType == "OperationOutcome" && len(oo.Issue) > 0 {
		d := oo.Issue[0].Diagnostics
		if len(d) > 120 {
			d = d[:120] + "…"
		}
		msg += " (" + oo.Issue[0].Code + ": " + d + ")"
	}
	return errors.New(msg)
}

// resourceHead is what checks read of a resource.
type resourceHead struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		VersionID string `json:"versionId"`
	} `json:"meta"`
	Subject *struct {
		Reference string `json:"reference"`
	} `json:"subject"`
}

// CheckResource verifies a single-resource reply: the status, the resource
// type, and the id when wantID is set.
func CheckResource(r *Response, status int, typ, wantID string) (*resourceHead, error) {
	if r.Status != status {
		return nil, errStatus(r, status)
	}
	var h resourceHead
	if err := json.Unmarshal(r.Body, &h); err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if h.ResourceType != typ {
		return nil, fmt.Errorf("resourceType %q, want %s", h.ResourceType, typ)
	}
	if h.ID == "" {
		return nil, errors.New("resource has no id")
	}
	if wantID != "" && h.ID != wantID {
		return nil, fmt.Errorf("id %q, want %q", h.ID, wantID)
	}
	return &h, nil
}

// CheckCreated verifies a create: 201, the type, a new id that the Location
// header names at version 1.
func CheckCreated(r *Response, typ string) (string, error) {
	h, err := CheckResource(r, 201, typ, "")
	if err != nil {
		return "", err
	}
	if h.Meta.VersionID != "1" {
		return "", fmt.Errorf("created %s/%s at version %q, want 1", typ, h.ID, h.Meta.VersionID)
	}
	if loc := r.Header.Get("Location"); !strings.Contains(loc, typ+"/"+h.ID+"/_history/1") {
		return "", fmt.Errorf("the Location header %q does not name %s/%s/_history/1", loc, typ, h.ID)
	}
	return h.ID, nil
}

// bundle is what checks read of a Bundle.
type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		Resource *resourceHead `json:"resource"`
		Search   *struct {
			Mode string `json:"mode"`
		} `json:"search"`
		Response *struct {
			Status   string `json:"status"`
			Location string `json:"location"`
		} `json:"response"`
	} `json:"entry"`
}

// SearchExpect is what a search reply must show.
type SearchExpect struct {
	Type    string // resource type of the matches
	Count   int    // _count: at most this many matches
	Hit     bool   // at least one match (the query was built to hit)
	Miss    bool   // no match (the query was built to miss)
	Subject string // every match's subject.reference, when set
}

// CheckSearch verifies a searchset: 200, its shape, the matches' type and
// number, and their subject when the query named a patient.
func CheckSearch(r *Response, want SearchExpect) (int, error) {
	if r.Status != 200 {
		return 0, errStatus(r, 200)
	}
	var b bundle
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return 0, fmt.Errorf("body is not JSON: %w", err)
	}
	if b.ResourceType != "Bundle" || b.Type != "searchset" {
		return 0, fmt.Errorf("got %s of type %q, want a searchset Bundle", b.ResourceType, b.Type)
	}
	matches := 0
	for i, e := range b.Entry {
		if e.Search != nil && e.Search.Mode != "" && e.Search.Mode != "match" {
			continue
		}
		matches++
		if e.Resource == nil {
			return matches, fmt.Errorf("entry %d has no resource", i)
		}
		if e.Resource.ResourceType != want.Type {
			return matches, fmt.Errorf("entry %d is a %s, want %s", i, e.Resource.ResourceType, want.Type)
		}
		if want.Subject != "" && (e.Resource.Subject == nil || e.Resource.Subject.Reference != want.Subject) {
			return matches, fmt.Errorf("entry %d is not about %s", i, want.Subject)
		}
	}
	switch {
	case want.Count > 0 && matches > want.Count:
		return matches, fmt.Errorf("%d matches on a page of _count=%d", matches, want.Count)
	case want.Hit && matches == 0:
		return 0, errors.New("no match for a query built to hit")
	case want.Miss && matches > 0:
		return matches, fmt.Errorf("%d matches for a query built to miss", matches)
	}
	return matches, nil
}

// CheckTransaction verifies a transaction-response: 200, one entry per
// request entry, each 201 Created with a location of the entry's type.
func CheckTransaction(r *Response, types []string) error {
	if r.Status != 200 {
		return errStatus(r, 200)
	}
	var b bundle
	if err := json.Unmarshal(r.Body, &b); err != nil {
		return fmt.Errorf("body is not JSON: %w", err)
	}
	if b.ResourceType != "Bundle" || b.Type != "transaction-response" {
		return fmt.Errorf("got %s of type %q, want a transaction-response Bundle", b.ResourceType, b.Type)
	}
	if len(b.Entry) != len(types) {
		return fmt.Errorf("%d response entries for %d requests", len(b.Entry), len(types))
	}
	for i, e := range b.Entry {
		if e.Response == nil {
			return fmt.Errorf("entry %d has no response", i)
		}
		code, _, _ := strings.Cut(e.Response.Status, " ")
		if n, err := strconv.Atoi(code); err != nil || n != 201 {
			return fmt.Errorf("entry %d: status %q, want 201", i, e.Response.Status)
		}
		if !strings.Contains(e.Response.Location, types[i]+"/") {
			return fmt.Errorf("entry %d: location %q is not a %s", i, e.Response.Location, types[i])
		}
	}
	return nil
}
