// Package audit records one AuditEvent (IHE BALP) per FHIR interaction, in the
// same storage transaction as the interaction's writes, and keeps the records
// in an append-only Merkle tree (RFC 6962) so that tampering is detectable.
package audit

import (
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

// Resource renders the R4 AuditEvent for this event with the given id. The map
// holds only JSON-shaped values (maps, []any, strings, bools), so it encodes
// to the same bytes every time and index extraction can walk it like a
// decoded resource. meta is left to the recorder.
func (e *Event) Resource(id string) map[string]any {
	action := e.Action
	if action == "" {
		action = ActionFor(e.Interaction)
	}
	res := map[string]any{
		"resourceType": "AuditEvent",
		"id":           id,
		"type":         coding(systemEventType, "rest", "Restful Operation"),
		"subtype":      []any{coding(systemInteraction, e.Interaction, "")},
		"action":       action,
		"recorded":     e.Recorded.UTC().Format(recordedFormat),
		"outcome":      outcomeCode(e.Outcome),
		"agent":        []any{e.requestor(), serverAgent()},
		"source":       sourceElement(),
	}
	if e.OutcomeDesc != "" {
		res["outcomeDesc"] = e.OutcomeDesc
	}
	if entities := e.entities(); len(entities) > 0 {
		res["entity"] = entities
	}
	return res
}
