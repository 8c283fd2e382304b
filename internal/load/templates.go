package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/clinic/ehr/internal/audit"
	"github.com/clinic/ehr/internal/engine"
	"github.com/clinic/ehr/internal/store"
)

// rowTemplate is one stored row built once, by the same code as the server
// builds it, and stamped out with fresh ids: ceiling b writes the server's
// rows without paying for building them.
type rowTemplate struct {
	w  store.Write
	id []byte // the template's id, replaced in every copy
}

// instance is a copy of the row under id (of the template id's length).
func (t *rowTemplate) instance(id string) store.Write {
	w := t.w
	w.Resource.ID = id
	w.Resource.Body = bytes.ReplaceAll(t.w.Resource.Body, t.id, []byte(id))
	w.Index = make([]store.IndexEntry, len(t.w.Index))
	for i, e := range t.w.Index {
		if e.Code == string(t.id) {
			e.Code = id
		}
		w.Index[i] = e
	}
	w.Sort = maps.Clone(t.w.Sort)
	for k, v := range w.Sort {
		if v == string(t.id) {
			w.Sort[k] = id
		}
	}
	return w
}

// engineRow builds the row the engine would write for a create of body,
// by running the prepared unit against a capturing Tx.
func engineRow(ctx context.Context, eng *engine.Engine, typ string, body doc, exists map[string]string) (*rowTemplate, error) {
	m, err := asServerSees(body)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", typ, err)
	}
	w, err := eng.Create(ctx, typ, m)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", typ, err)
	}
	tx := &captureTx{creating: typ, exists: exists}
	if err := w.Unit(tx); err != nil {
		return nil, fmt.Errorf("template %s: %w", typ, err)
	}
	if len(tx.puts) != 1 {
		return nil, fmt.Errorf("template %s: the unit wrote %d rows, want 1", typ, len(tx.puts))
	}
	return &rowTemplate{w: tx.puts[0], id: []byte(w.ID)}, nil
}

// captureTx stands in for a storage transaction in which every referenced
// resource exists and the one being created does not.
type captureTx struct {
	creating string
	exists   map[string]string // "Type/id" → stored body, for rules that look inside
	puts     []store.Write
}

func (t *captureTx) Read(_ context.Context, typ, id string) (*store.Resource, error) {
	if typ == t.creating {
		return nil, store.ErrNotFound
	}
	body, ok := t.exists[typ+"/"+id]
	if !ok {
		body = fmt.Sprintf(`{"resourceType":%q,"id":%q,"meta":{"versionId":"1"}}`, typ, id)
	}
	return &store.Resource{Type: typ, ID: id, VersionID: 1, LastUpdated: time.Now().UTC(), Body: []byte(body)}, nil
}

func (t *captureTx) Search(context.Context, *store.Query) (*store.SearchResult, error) {
	return &store.SearchResult{Total: 0}, nil
}

func (t *captureTx) Put(w store.Write) error { t.puts = append(t.puts, w); return nil }

func (t *captureTx) AppendLog([]store.LogEntry, []store.LogHash) error {
	return errors.New("capture: no audit log here")
}

// auditEvent is the event the server records for a create of an
// Observation by the tool's client, at now.
func auditEvent(interaction, entity, patient string, now time.Time) audit.Event {
	return audit.Event{
		Interaction: interaction, Action: audit.ActionFor(interaction), Outcome: audit.OutcomeSuccess,
		Agent:    audit.Agent{Subject: "ehrload", ClientID: "ehrload", JTI: engine.NewID(), Address: "127.0.0.1"},
		Entities: []string{entity}, Patient: patient, Type: "Observation",
		RequestID: "0123456789abcdef01234567", Recorded: now,
	}
}

// auditRow renders ev as the recorder does (compact JSON with sorted keys
// and its meta) under id, stamped now. The row carries no index entries:
// the recorder appends only the body to the log in the group commit, and
// the projection indexes it later (logAppender.step).
func auditRow(ev audit.Event, id string, now time.Time) (*rowTemplate, error) {
	d := ev.Resource(id)
	d["meta"] = map[string]any{"versionId": "1", "lastUpdated": now.Format("2006-01-02T15:04:05.000Z07:00")}
	body, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("template AuditEvent: %w", err)
	}
	w := store.Write{Resource: store.Resource{Type: "AuditEvent", ID: id, VersionID: 1, LastUpdated: now, Body: body}}
	return &rowTemplate{w: w, id: []byte(id)}, nil
}
