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

// The types below are the JSON of an R4 AuditEvent as this server writes it.
// Their fields are declared in the byte order of their JSON names, so that
// encoding/json writes every key sorted, as it would for a map: the stored
// body is canonical (TestBodyIsCanonical), and typed structs encode several
// times faster than maps, on every audited request.

type auditEventJSON struct {
	Action       string       `json:"action"`
	Agent        []agentJSON  `json:"agent"`
	Entity       []entityJSON `json:"entity,omitempty"`
	ID           string       `json:"id"`
	Meta         *metaJSON    `json:"meta,omitempty"`
	Outcome      string       `json:"outcome"`
	OutcomeDesc  string       `json:"outcomeDesc,omitempty"`
	Recorded     string       `json:"recorded"`
	ResourceType string       `json:"resourceType"`
	Source       sourceJSON   `json:"source"`
	Subtype      []codingJSON `json:"subtype"`
	Type         codingJSON   `json:"type"`
}

type metaJSON struct {
	LastUpdated string `json:"lastUpdated"`
	VersionID   string `json:"versionId"`
}

type codingJSON struct {
	Code    string `json:"code"`
	Display string `json:"display,omitempty"`
	System  string `json:"system"`
}

type conceptJSON struct {
	Coding []codingJSON `json:"coding"`
}

type agentJSON struct {
	AltID        string        `json:"altId,omitempty"`
	Name         string        `json:"name,omitempty"`
	Network      *networkJSON  `json:"network,omitempty"`
	Policy       []string      `json:"policy,omitempty"`
	PurposeOfUse []conceptJSON `json:"purposeOfUse,omitempty"`
	Requestor    bool          `json:"requestor"`
	Type         conceptJSON   `json:"type"`
	Who          *whoJSON      `json:"who,omitempty"`
}

type networkJSON struct {
	Address string `json:"address"`
	Type    string `json:"type"`
}

type whoJSON struct {
	Display    string          `json:"display,omitempty"`
	Identifier *identifierJSON `json:"identifier,omitempty"`
	Reference  string          `json:"reference,omitempty"`
}

type identifierJSON struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value"`
}

type entityJSON struct {
	Query string      `json:"query,omitempty"`
	Role  *codingJSON `json:"role,omitempty"`
	Type  codingJSON  `json:"type"`
	What  *whatJSON   `json:"what,omitempty"`
}

type whatJSON struct {
	Identifier *identifierJSON `json:"identifier,omitempty"`
	Reference  string          `json:"reference,omitempty"`
	Type       string          `json:"type,omitempty"`
}

func coding(system, code, display string) codingJSON {
	return codingJSON{System: system, Code: code, Display: display}
}

func concept(system, code, display string) conceptJSON {
	return conceptJSON{Coding: []codingJSON{coding(system, code, display)}}
}

func outcomeCode(outcome int) string { return strconv.Itoa(outcome) }

// requestor is the client agent. BALP follows the DICOM pattern in which the
// client is the Source Role ID even when data flows to it.
func (e *Event) requestor() agentJSON {
	a := e.Agent
	agent := agentJSON{Type: concept(systemDICOM, "110153", "Source Role ID"), Requestor: true,
		Who: a.who(), AltID: a.ClientID, Name: a.Subject}
	if a.JTI != "" {
		agent.Policy = []string{policyJTIPrefix + a.JTI}
	}
	if a.Address != "" {
		agent.Network = &networkJSON{Address: a.Address, Type: networkTypeIP}
	}
	for _, p := range a.PurposeOfUse {
		agent.PurposeOfUse = append(agent.PurposeOfUse, purposeConcept(p))
	}
	return agent
}

// who prefers the fhirUser reference; the token's issuer and subject identify
// the user when the token names no FHIR resource for them.
func (a Agent) who() *whoJSON {
	if a.FHIRUser == "" && a.Subject == "" {
		return nil
	}
	who := &whoJSON{Reference: a.FHIRUser}
	if a.Subject != "" {
		who.Identifier = &identifierJSON{System: a.Issuer, Value: a.Subject}
	}
	return who
}

// purposeConcept reads "system|code" or a bare v3-ActReason code such as TREAT.
func purposeConcept(p string) conceptJSON {
	if system, code, ok := strings.Cut(p, "|"); ok {
		return concept(system, code, "")
	}
	return concept(systemActReason, p, "")
}

// serverAgent is this server, the Destination Role ID of every REST event.
func serverAgent() agentJSON {
	return agentJSON{Type: concept(systemDICOM, "110152", "Destination Role ID"), Who: &whoJSON{Display: serverName}}
}

func sourceElement() sourceJSON {
	return sourceJSON{Observer: whoJSON{Display: serverName}, Type: []codingJSON{coding(systemSourceType, "4", "Application Server")}}
}

type sourceJSON struct {
	Observer whoJSON      `json:"observer"`
	Type     []codingJSON `json:"type"`
}

// entities lists, in a fixed order: the resources touched, the query, the
// patient, then the request id.
func (e *Event) entities() []entityJSON {
	var out []entityJSON
	systemObject, domainResource := coding(systemEntityType, "2", "System Object"), coding(systemEntityRole, "4", "Domain Resource")
	for _, ref := range e.Entities {
		out = append(out, entityJSON{What: &whatJSON{Reference: ref, Type: refType(ref, e.Type)}, Type: systemObject, Role: &domainResource})
	}
	if e.Query != nil {
		query := coding(systemEntityRole, "24", "Query")
		q := entityJSON{Type: systemObject, Role: &query, Query: base64.StdEncoding.EncodeToString(e.Query)}
		if e.Type != "" {
			q.What = &whatJSON{Type: e.Type}
		}
		out = append(out, q)
	}
	if len(e.Entities) == 0 && e.Query == nil && e.Type != "" {
		// A refused or failed request touched nothing; still say which type
		// it aimed at, so "who tried to create Observations" has an answer.
		out = append(out, entityJSON{What: &whatJSON{Type: e.Type}, Type: systemObject, Role: &domainResource})
	}
	if e.Patient != "" {
		patient := coding(systemEntityRole, "1", "Patient")
		out = append(out, entityJSON{What: &whatJSON{Reference: "Patient/" + e.Patient, Type: "Patient"},
			Type: coding(systemEntityType, "1", "Person"), Role: &patient})
	}
	if e.RequestID != "" {
		out = append(out, entityJSON{What: &whatJSON{Identifier: &identifierJSON{Value: e.RequestID}}, Type: coding(systemBALPEntity, "XrequestId", "")})
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
