// Package audit records one AuditEvent (IHE BALP) per FHIR interaction, in the
// same storage transaction as the interaction's writes, and keeps the records
// in an append-only Merkle tree (RFC 6962) so that tampering is detectable.
package audit

import (
	"encoding/json"
	"fmt"
	"time"
)

// Agent is the requestor, as the verified token and the socket describe it.
// Every field is an identifier, never clinical content.
type Agent struct {
	Subject, ClientID, FHIRUser, JTI, Issuer string
	Address                                  string // the client's IP address
	PurposeOfUse                             []string
}

// Event describes one interaction. It holds references only: no resource
// content, no token, no PHI beyond the ids that the audit trail must name.
type Event struct {
	Interaction string // restful-interaction code: create, read, vread, search-type, …
	Action      string // C, R, U, D or E; derived from Interaction when empty
	Outcome     int    // OutcomeSuccess, OutcomeMinor, OutcomeSerious or OutcomeMajor
	OutcomeDesc string // short reason on failure (no PHI)
	Agent       Agent
	Entities    []string // versioned references of resources touched: "Patient/123/_history/2"
	Query       []byte   // raw query of a search, stored base64 so it survives byte for byte
	Patient     string   // id of the patient this event concerns ("" when none)
	Type        string   // resource type of the request
	RequestID   string
	Recorded    time.Time // the recorder fills in its clock when zero
}

// Outcome codes of R4 AuditEvent.outcome.
const (
	OutcomeSuccess = 0  // success
	OutcomeMinor   = 4  // minor failure: the request was refused or invalid (4xx)
	OutcomeSerious = 8  // serious failure: the server failed (5xx)
	OutcomeMajor   = 12 // major failure: the server could not continue
)

// OutcomeForStatus maps an HTTP status code to an AuditEvent outcome.
func OutcomeForStatus(status int) int {
	switch {
	case status >= 500:
		return OutcomeSerious
	case status >= 400:
		return OutcomeMinor
	default:
		return OutcomeSuccess
	}
}

// ActionFor returns the AuditEvent action code of a restful interaction.
func ActionFor(interaction string) string {
	switch interaction {
	case "create":
		return "C"
	case "update", "patch":
		return "U"
	case "delete":
		return "D"
	case "batch", "transaction", "operation":
		return "E"
	default: // read, vread, history-*, search-*, capabilities
		return "R"
	}
}

// recordedFormat is FHIR instant with millisecond precision, as stored
// resources use, so that recorded and meta.lastUpdated compare as strings.
const recordedFormat = "2006-01-02T15:04:05.000Z07:00"

// document is the R4 AuditEvent for this event with the given id and meta
// (nil: none).
func (e *Event) document(id string, meta *metaJSON) auditEventJSON {
	action := e.Action
	if action == "" {
		action = ActionFor(e.Interaction)
	}
	return auditEventJSON{
		ResourceType: "AuditEvent",
		ID:           id,
		Meta:         meta,
		Type:         coding(systemEventType, "rest", "Restful Operation"),
		Subtype:      []codingJSON{coding(systemInteraction, e.Interaction, "")},
		Action:       action,
		Recorded:     e.Recorded.UTC().Format(recordedFormat),
		Outcome:      outcomeCode(e.Outcome),
		OutcomeDesc:  e.OutcomeDesc,
		Agent:        []agentJSON{e.requestor(), serverAgent()},
		Source:       sourceElement(),
		Entity:       e.entities(),
	}
}

// Resource renders the R4 AuditEvent for this event with the given id as
// decoded JSON (maps, []any, strings, bools), the shape index extraction
// walks. meta is left to the recorder.
func (e *Event) Resource(id string) map[string]any {
	body, err := json.Marshal(e.document(id, nil))
	if err != nil {
		panic(fmt.Sprintf("audit: encode AuditEvent: %v", err)) // plain structs of strings always encode
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		panic(fmt.Sprintf("audit: decode AuditEvent: %v", err))
	}
	return doc
}
