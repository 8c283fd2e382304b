package api

// This file is read by swag, not by the server: it holds the JSON shapes the
// FHIR interactions exchange and the annotations of the routes that are not
// per resource type. The general information (zz_openapi_info.go) and the
// per-type routes (zz_openapi_routes.go) are written by
// `go run ./internal/api/openapigen` from the type and search-parameter
// registries in package fhir. `make openapi` regenerates everything;
// docs/openapi.md says how.
//
// The stubs are functions named _ : swag reads their comments, nothing
// calls them, and the compiler and linters leave them alone. The model types
// are kept alive for the linters by the blank variable at the end.

// openAPIResource is any FHIR resource.
//
//	@Description	Any FHIR R4 resource: resourceType names its type. Only the elements every resource has are listed; the rest are those of the type's StructureDefinition.
type openAPIResource struct {
	ResourceType string       `json:"resourceType" validate:"required" example:"Patient"`
	ID           string       `json:"id,omitempty" example:"3c5a5c3e0f9b4a1d"`
	Meta         *openAPIMeta `json:"meta,omitempty"`
} //	@name	Resource

// openAPIMeta is the server-maintained metadata of a resource version.
//
//	@Description	Metadata the server maintains: versionId and lastUpdated are set on every write.
type openAPIMeta struct {
	VersionID   string          `json:"versionId,omitempty" example:"3"`
	LastUpdated string          `json:"lastUpdated,omitempty" format:"date-time" example:"2024-03-01T14:30:05.123Z"`
	Source      string          `json:"source,omitempty" format:"uri"`
	Profile     []string        `json:"profile,omitempty"`
	Security    []openAPICoding `json:"security,omitempty"`
	Tag         []openAPICoding `json:"tag,omitempty"`
} //	@name	Meta

// openAPICoding is a FHIR Coding.
//
//	@Description	A code from a code system.
type openAPICoding struct {
	System  string `json:"system,omitempty" format:"uri"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
} //	@name	Coding

// openAPIOperationOutcome is the body of every error.
//
//	@Description	The body of every error, and of a write answered with Prefer: return=OperationOutcome. issue.code follows the HTTP status (see each response); diagnostics never reveal internal details.
type openAPIOperationOutcome struct {
	ResourceType string         `json:"resourceType" validate:"required" enums:"OperationOutcome" example:"OperationOutcome"`
	Issue        []openAPIIssue `json:"issue" validate:"required"`
} //	@name	OperationOutcome

// openAPIIssue is one issue of an OperationOutcome.
//
//	@Description	One problem, with where it is (expression, a FHIRPath such as Patient.birthDate) when it concerns the request body or a parameter.
type openAPIIssue struct {
	Severity    string   `json:"severity" validate:"required" enums:"fatal,error,warning,information" example:"error"`
	Code        string   `json:"code" validate:"required" enums:"invalid,structure,required,value,invariant,security,login,unknown,expired,forbidden,suppressed,processing,not-supported,duplicate,multiple-matches,not-found,deleted,too-long,code-invalid,extension,too-costly,business-rule,conflict,transient,lock-error,no-store,exception,timeout,incomplete,throttled,informational" example:"invalid"`
	Diagnostics string   `json:"diagnostics,omitempty" example:"birthDate: '1984-13-01' is not a valid date"`
	Expression  []string `json:"expression,omitempty" example:"Patient.birthDate"`
} //	@name	OperationOutcomeIssue

// openAPIBundle is a FHIR Bundle.
//
//	@Description	A FHIR Bundle: a page of search results (searchset, with self and next links), a resource's history, or a batch or transaction and its response.
type openAPIBundle struct {
	ResourceType string               `json:"resourceType" validate:"required" enums:"Bundle" example:"Bundle"`
	ID           string               `json:"id,omitempty"`
	Meta         *openAPIMeta         `json:"meta,omitempty"`
	Type         string               `json:"type" validate:"required" enums:"searchset,history,batch,transaction,batch-response,transaction-response"`
	Timestamp    string               `json:"timestamp,omitempty" format:"date-time"`
	Total        *int                 `json:"total,omitempty"`
	Link         []openAPIBundleLink  `json:"link,omitempty"`
	Entry        []openAPIBundleEntry `json:"entry,omitempty"`
} //	@name	Bundle

// openAPIBundleLink is a paging link.
//
//	@Description	A paging link. next carries an opaque cursor: follow it as given.
type openAPIBundleLink struct {
	Relation string `json:"relation" validate:"required" enums:"self,next,previous"`
	URL      string `json:"url" validate:"required" format:"uri"`
} //	@name	BundleLink

// openAPIBundleEntry is one entry of a Bundle.
//
//	@Description	One entry: a resource with its fullUrl, and search (searchset), request (history, batch, transaction) or response (history and the responses of batches and transactions).
type openAPIBundleEntry struct {
	FullURL  string                      `json:"fullUrl,omitempty" format:"uri"`
	Resource *openAPIResource            `json:"resource,omitempty"`
	Search   *openAPIBundleEntrySearch   `json:"search,omitempty"`
	Request  *openAPIBundleEntryRequest  `json:"request,omitempty"`
	Response *openAPIBundleEntryResponse `json:"response,omitempty"`
} //	@name	BundleEntry

// openAPIBundleEntrySearch says why an entry is in a searchset.
//
//	@Description	Why the entry is in a searchset: it matched, or _include/_revinclude brought it.
type openAPIBundleEntrySearch struct {
	Mode string `json:"mode,omitempty" enums:"match,include,outcome"`
} //	@name	BundleEntrySearch

// openAPIBundleEntryRequest is the request of a batch, transaction or history entry.
//
//	@Description	The interaction of a batch or transaction entry (or the one that made a history version). url is relative to the FHIR base: Type, Type/id or Type?criteria.
type openAPIBundleEntryRequest struct {
	Method          string `json:"method" validate:"required" enums:"GET,POST,PUT,DELETE"`
	URL             string `json:"url" validate:"required"`
	IfNoneMatch     string `json:"ifNoneMatch,omitempty"`
	IfModifiedSince string `json:"ifModifiedSince,omitempty" format:"date-time"`
	IfMatch         string `json:"ifMatch,omitempty"`
	IfNoneExist     string `json:"ifNoneExist,omitempty"`
} //	@name	BundleEntryRequest

// openAPIBundleEntryResponse is the outcome of one entry.
//
//	@Description	The outcome of one entry: status is an HTTP status line such as "201 Created"; a failed batch entry carries an OperationOutcome.
type openAPIBundleEntryResponse struct {
	Status       string                   `json:"status" validate:"required"`
	Location     string                   `json:"location,omitempty"`
	Etag         string                   `json:"etag,omitempty"`
	LastModified string                   `json:"lastModified,omitempty" format:"date-time"`
	Outcome      *openAPIOperationOutcome `json:"outcome,omitempty"`
} //	@name	BundleEntryResponse

// openAPITransactionBundle is a batch or transaction request.
//
//	@Description	A batch or transaction Bundle (type batch or transaction). Each entry has a request; POST and PUT entries carry their resource. In a transaction, fullUrl urn:uuid: identifiers let entries refer to resources created in the same Bundle, and every entry succeeds or none does.
type openAPITransactionBundle struct {
	openAPIBundle
} //	@name	TransactionBundle

// openAPITransactionResponseBundle is the answer to a batch or transaction.
//
//	@Description	The answer to a batch or transaction (type batch-response or transaction-response): one entry per request entry, in the same order, each with its response.
type openAPITransactionResponseBundle struct {
	openAPIBundle
} //	@name	TransactionResponseBundle

// openAPICapabilityStatement is the answer of /fhir/metadata.
//
//	@Description	What the server supports: generated from the type and search-parameter registries at start-up (types, interactions, search parameters, _include and _revinclude targets).
type openAPICapabilityStatement struct {
	ResourceType string           `json:"resourceType" validate:"required" enums:"CapabilityStatement" example:"CapabilityStatement"`
	Status       string           `json:"status" validate:"required" example:"active"`
	Date         string           `json:"date" format:"date-time" example:"2024-03-01T08:00:00Z"`
	Kind         string           `json:"kind" enums:"instance" example:"instance"`
	FHIRVersion  string           `json:"fhirVersion" example:"4.0.1"`
	Format       []string         `json:"format" example:"application/fhir+json,application/json"`
	Rest         []map[string]any `json:"rest"`
} //	@name	CapabilityStatement

// openAPIProof is an audit-log proof.
//
//	@Description	The hashes of a Merkle-tree proof (RFC 6962), base64, to check with golang.org/x/mod/sumdb/tlog against a checkpoint's root hash.
type openAPIProof struct {
	Proof []string `json:"proof" validate:"required" example:"sr6aBj1RbsVR2QxvyGuP1ZnptD+mYxn4dHhGKONfkSM=,Q3YxjyrL0oGIDbS1rV+pE6kUzoxIB3vsI6sAcPv4Ans="`
} //	@name	AuditProof

// openAPIHealth is the answer of /healthz.
//
//	@Description	The process is alive.
type openAPIHealth struct {
	Status string `json:"status" enums:"ok" example:"ok"`
	Uptime string `json:"uptime" example:"72h14m3s"`
} //	@name	Health

// openAPIReady is the answer of /readyz.
//
//	@Description	Whether storage is reachable.
type openAPIReady struct {
	Status string `json:"status" enums:"ready,unavailable" example:"ready"`
} //	@name	Readiness

// capabilities
//
//	@ID				capabilities
//	@Summary		The CapabilityStatement
//	@Description	What the server supports, generated from its registries. No token is needed.
//	@Tags			System
//	@Produce		application/fhir+json
//	@Success		200	{object}	openAPICapabilityStatement	"The CapabilityStatement"
//	@Router			/fhir/metadata [get]
func _() {}

// batch
//
//	@ID				batchOrTransaction
//	@Summary		Batch or transaction
//	@Description	Runs the entries of a Bundle. type batch: each entry on its own, each answered in the response, a failed entry does not stop the others. type transaction: all entries in one storage transaction, so all succeed or nothing is stored; urn:uuid: fullUrls and conditional references (Type?criteria) are resolved to the ids assigned.
//	@Description	Each entry is authorised and audited as if it were sent on its own: it needs the scope of its own interaction on its type.
//	@Tags			System
//	@Accept			application/fhir+json,json
//	@Produce		application/fhir+json
//	@Param			bundle	body		openAPITransactionBundle			true	"The batch or transaction Bundle"
//	@Success		200		{object}	openAPITransactionResponseBundle	"The batch-response or transaction-response, one entry per request entry in the same order"
//	@Failure		400		{object}	openAPIOperationOutcome				"Bad request: not a batch or transaction Bundle, a malformed entry, or (transaction) an entry that fails validation; the issue names the entry (issue.code invalid)"
//	@Failure		401		{object}	openAPIOperationOutcome				"Unauthorized: no bearer token, or an invalid or expired one (issue.code login)"
//	@Failure		403		{object}	openAPIOperationOutcome				"Forbidden (transaction): an entry is outside the token's scopes (issue.code forbidden)"
//	@Failure		404		{object}	openAPIOperationOutcome				"Not found (transaction): an entry's target does not exist (issue.code not-found)"
//	@Failure		409		{object}	openAPIOperationOutcome				"Conflict (transaction): an entry conflicts with stored records or with another entry (issue.code conflict)"
//	@Failure		412		{object}	openAPIOperationOutcome				"Precondition failed (transaction): an If-Match or conditional entry failed (issue.code conflict)"
//	@Failure		413		{object}	openAPIOperationOutcome				"The Bundle exceeds the size limit (issue.code too-costly)"
//	@Failure		415		{object}	openAPIOperationOutcome				"The body is not application/fhir+json or application/json (issue.code not-supported)"
//	@Failure		422		{object}	openAPIOperationOutcome				"Unprocessable (transaction): a business rule refuses an entry (issue.code business-rule)"
//	@Failure		429	{object}	openAPIOperationOutcome	"Too many requests from this client (when rate limiting is configured) (issue.code throttled)"
//	@Header			429	{string}	Retry-After	"Seconds to wait before retrying"
//	@Failure		500		{object}	openAPIOperationOutcome				"Internal error: nothing about it is disclosed (issue.code exception)"
//	@Failure		503		{object}	openAPIOperationOutcome				"Unavailable: storage, or the audit records, could not be written; nothing was changed (issue.code transient)"
//	@Security		BearerAuth
//	@Security		SMART
//	@Router			/fhir [post]
func _() {}

// healthz
//
//	@ID				healthz
//	@Summary		Liveness
//	@Description	200 while the process serves requests. No token is needed.
//	@Tags			Operations
//	@Produce		json
//	@Success		200	{object}	openAPIHealth	"Alive"
//	@Router			/healthz [get]
func _() {}

// readyz
//
//	@ID				readyz
//	@Summary		Readiness
//	@Description	200 when storage answers a ping within 2 s, else 503. No token is needed.
//	@Tags			Operations
//	@Produce		json
//	@Success		200	{object}	openAPIReady	"Storage is reachable"
//	@Failure		503	{object}	openAPIReady	"Storage is unreachable"
//	@Router			/readyz [get]
func _() {}

// metrics
//
//	@ID				metrics
//	@Summary		Prometheus metrics
//	@Description	Request counts and latencies per interaction and type, audit recorder and Go runtime metrics, in the Prometheus text exposition format. No token is needed; restrict it at the network level.
//	@Tags			Operations
//	@Produce		plain
//	@Success		200	{string}	string	"Metrics in the Prometheus text format"
//	@Router			/metrics [get]
func _() {}

// checkpoint
//
//	@ID				auditCheckpoint
//	@Summary		Signed checkpoint of the audit log
//	@Description	The audit log as it stands (everything committed so far) as a signed note (golang.org/x/mod/sumdb/note): origin line, tree size, base64 root hash, a blank line, then the signature. Keep checkpoints: a later one must be consistent with them (see the consistency proof).
//	@Description	Needs an AuditEvent read scope; reading it is audited like any read.
//	@Tags			Audit log
//	@Produce		plain
//	@Success		200	{string}	string					"The signed checkpoint"
//	@Failure		400	{object}	openAPIOperationOutcome	"Invalid request: the token was sent more than once (issue.code invalid)"
//	@Failure		401	{object}	openAPIOperationOutcome	"Unauthorized: no token or an invalid token (issue.code login); WWW-Authenticate says why"
//	@Failure		403	{object}	openAPIOperationOutcome	"Forbidden: the token has no AuditEvent read scope (issue.code forbidden)"
//	@Failure		429	{object}	openAPIOperationOutcome	"Too many requests from this client (when rate limiting is configured) (issue.code throttled)"
//	@Header			429	{string}	Retry-After	"Seconds to wait before retrying"
//	@Failure		405	{object}	openAPIOperationOutcome	"No checkpoint signing key is configured (issue.code not-supported)"
//	@Failure		503	{object}	openAPIOperationOutcome	"Unavailable: the checkpoint or its audit record could not be produced (issue.code transient)"
//	@Security		BearerAuth
//	@Security		SMART[user/AuditEvent.r]
//	@Security		SMART[system/AuditEvent.r]
//	@Router			/audit/checkpoint [get]
func _() {}

// inclusionProof
//
//	@ID				auditInclusionProof
//	@Summary		Inclusion proof of an audit record
//	@Description	The proof that the record with sequence number index is in the tree of the given size (0 <= index < size), to check with tlog.CheckRecord against a checkpoint of that size.
//	@Description	Needs an AuditEvent read scope; reading it is audited like any read.
//	@Tags			Audit log
//	@Produce		json
//	@Param			index	query		int						true	"Sequence number of the record (0-based)"	minimum(0)
//	@Param			size	query		int						true	"Tree size of the checkpoint to prove against"	minimum(1)
//	@Success		200		{object}	openAPIProof			"The proof hashes"
//	@Failure		400		{object}	openAPIOperationOutcome	"Invalid: index or size missing or out of range (issue.code invalid)"
//	@Failure		401		{object}	openAPIOperationOutcome	"Unauthorized: no token or an invalid token (issue.code login); WWW-Authenticate says why"
//	@Failure		403		{object}	openAPIOperationOutcome	"Forbidden: the token has no AuditEvent read scope (issue.code forbidden)"
//	@Failure		429	{object}	openAPIOperationOutcome	"Too many requests from this client (when rate limiting is configured) (issue.code throttled)"
//	@Header			429	{string}	Retry-After	"Seconds to wait before retrying"
//	@Failure		503		{object}	openAPIOperationOutcome	"Unavailable: the audit record of this request could not be stored (issue.code transient)"
//	@Security		BearerAuth
//	@Security		SMART[user/AuditEvent.r]
//	@Security		SMART[system/AuditEvent.r]
//	@Router			/audit/proof/inclusion [get]
func _() {}

// consistencyProof
//
//	@ID				auditConsistencyProof
//	@Summary		Consistency proof between two audit checkpoints
//	@Description	The proof that the tree of size new extends the tree of size old (1 <= old <= new), to check with tlog.CheckTree: a rewritten history fails it.
//	@Description	Needs an AuditEvent read scope; reading it is audited like any read.
//	@Tags			Audit log
//	@Produce		json
//	@Param			old	query		int						true	"Size of the older checkpoint"	minimum(1)
//	@Param			new	query		int						true	"Size of the newer checkpoint"	minimum(1)
//	@Success		200	{object}	openAPIProof			"The proof hashes"
//	@Failure		400	{object}	openAPIOperationOutcome	"Invalid: old or new missing or out of range (issue.code invalid)"
//	@Failure		401	{object}	openAPIOperationOutcome	"Unauthorized: no token or an invalid token (issue.code login); WWW-Authenticate says why"
//	@Failure		403	{object}	openAPIOperationOutcome	"Forbidden: the token has no AuditEvent read scope (issue.code forbidden)"
//	@Failure		429	{object}	openAPIOperationOutcome	"Too many requests from this client (when rate limiting is configured) (issue.code throttled)"
//	@Header			429	{string}	Retry-After	"Seconds to wait before retrying"
//	@Failure		503	{object}	openAPIOperationOutcome	"Unavailable: the audit record of this request could not be stored (issue.code transient)"
//	@Security		BearerAuth
//	@Security		SMART[user/AuditEvent.r]
//	@Security		SMART[system/AuditEvent.r]
//	@Router			/audit/proof/consistency [get]
func _() {}

// The model types are used only by swag; this keeps them for the linters.
var _ = []any{
	openAPIResource{}, openAPIMeta{}, openAPICoding{}, openAPIOperationOutcome{}, openAPIIssue{},
	openAPIBundle{}, openAPIBundleLink{}, openAPIBundleEntry{}, openAPIBundleEntrySearch{},
	openAPIBundleEntryRequest{}, openAPIBundleEntryResponse{}, openAPITransactionBundle{},
	openAPITransactionResponseBundle{}, openAPICapabilityStatement{}, openAPIProof{},
	openAPIHealth{}, openAPIReady{},
}
