package audit

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Code systems that the BALP RESTful profiles use.
const (
	systemEventType   = "http://terminology.hl7.org/CodeSystem/audit-event-type"
	systemInteraction = "http://hl7.org/fhir/restful-interaction"
	systemDICOM       = "http://dicom.nema.org/resources/ontology/DCM"
	systemSourceType  = "http://terminology.hl7.org/CodeSystem/security-source-type"
	systemEntityType  = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
	systemEntityRole  = "http://terminology.hl7.org/CodeSystem/object-role"
	systemBALPEntity  = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType"
	systemActReason   = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
	policyJTIPrefix   = "urn:ietf:params:oauth:jti:"
	networkTypeIP     = "2" // AuditEventAgentNetworkType: IP address
)

// serverName names this server as the audit source and destination agent.
const serverName = "ehrd"

func coding(system, code, display string) map[string]any {
	c := map[string]any{"system": system, "code": code}
	if display != "" {
		c["display"] = display
	}
	return c
}

func concept(system, code, display string) map[string]any {
	return map[string]any{"coding": []any{coding(system, code, display)}}
}

func outcomeCode(outcome int) string { return strconv.Itoa(outcome) }

// requestor is the client agent. BALP follows the DICOM pattern in which the
// client is the Source Role ID even when data flows to it.
func (e *Event) requestor() map[string]any {
	a := e.Agent
	agent := map[string]any{
		"type":      concept(systemDICOM, "110153", "Source Role ID"),
		"requestor": true,
	}
	if who := a.who(); who != nil {
		agent["who"] = who
	}
	if a.ClientID != "" {
		agent["altId"] = a.ClientID
	}
	if a.Subject != "" {
		agent["name"] = a.Subject
	}
	if a.JTI != "" {
		agent["policy"] = []any{policyJTIPrefix + a.JTI}
	}
	if a.Address != "" {
		agent["network"] = map[string]any{"address": a.Address, "type": networkTypeIP}
	}
	if len(a.PurposeOfUse) > 0 {
		purposes := make([]any, 0, len(a.PurposeOfUse))
		for _, p := range a.PurposeOfUse {
			purposes = append(purposes, purposeConcept(p))
		}
		agent["purposeOfUse"] = purposes
	}
	return agent
}

// who prefers the fhirUser reference; the token's issuer and subject identify
// the user when the token names no FHIR resource for them.
func (a Agent) who() map[string]any {
	who := map[string]any{}
	if a.FHIRUser != "" {
		who["reference"] = a.FHIRUser
	}
	if a.Subject != "" {
		id := map[string]any{"value": a.Subject}
		if a.Issuer != "" {
			id["system"] = a.Issuer
		}
		who["identifier"] = id
	}
	if len(who) == 0 {
		return nil
	}
	return who
}

// purposeConcept reads "system|code" or a bare v3-ActReason code such as TREAT.
func purposeConcept(p string) map[string]any {
	if system, code, ok := strings.Cut(p, "|"); ok {
		return concept(system, code, "")
	}
	return concept(systemActReason, p, "")
}

// serverAgent is this server, the Destination Role ID of every REST event.
func serverAgent() map[string]any {
	return map[string]any{
		"type":      concept(systemDICOM, "110152", "Destination Role ID"),
		"who":       map[string]any{"display": serverName},
		"requestor": false,
	}
}

func sourceElement() map[string]any {
	return map[string]any{
		"observer": map[string]any{"display": serverName},
		"type":     []any{coding(systemSourceType, "4", "Application Server")},
	}
}

// entities lists, in a fixed order: the resources touched, the query, the
// patient, then the request id.
func (e *Event) entities() []any {
	var out []any
	for _, ref := range e.Entities {
		out = append(out, map[string]any{
			"what": map[string]any{"reference": ref, "type": refType(ref, e.Type)},
			"type": coding(systemEntityType, "2", "System Object"),
			"role": coding(systemEntityRole, "4", "Domain Resource"),
		})
	}
	if e.Query != nil {
		q := map[string]any{
			"type":  coding(systemEntityType, "2", "System Object"),
			"role":  coding(systemEntityRole, "24", "Query"),
			"query": base64.StdEncoding.EncodeToString(e.Query),
		}
		if e.Type != "" {
			q["what"] = map[string]any{"type": e.Type}
		}
		out = append(out, q)
	}
	if len(e.Entities) == 0 && e.Query == nil && e.Type != "" {
		// A refused or failed request touched nothing; still say which type
		// it aimed at, so "who tried to create Observations" has an answer.
		out = append(out, map[string]any{
			"what": map[string]any{"type": e.Type},
			"type": coding(systemEntityType, "2", "System Object"),
			"role": coding(systemEntityRole, "4", "Domain Resource"),
		})
	}
	if e.Patient != "" {
		out = append(out, map[string]any{
			"what": map[string]any{"reference": "Patient/" + e.Patient, "type": "Patient"},
			"type": coding(systemEntityType, "1", "Person"),
			"role": coding(systemEntityRole, "1", "Patient"),
		})
	}
	if e.RequestID != "" {
		out = append(out, map[string]any{
			"what": map[string]any{"identifier": map[string]any{"value": e.RequestID}},
			"type": coding(systemBALPEntity, "XrequestId", ""),
		})
	}
	return out
}

// refType is the resource type named by a relative reference "Type/id/…".
func refType(ref, fallback string) string {
	if t, _, ok := strings.Cut(ref, "/"); ok && t != "" {
		return t
	}
	return fallback
}
