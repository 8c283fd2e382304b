package load

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"
)

// Report is a bench run: every measured slice, the figures per workload
// merged over rounds, and the targets checked against them.
type Report struct {
	Started  time.Time     `json:"started"`
	Machine  Machine       `json:"machine"`
	Command  string        `json:"command,omitempty"`
	Dataset  Dataset       `json:"dataset"`
	Settings Settings      `json:"settings"`
	Phases   []Phase       `json:"phases"`
	Figures  []Figure      `json:"figures"`
	Targets  []TargetCheck `json:"targets"`
	Notes    []string      `json:"notes,omitempty"`
}

// Settings are the run's shape.
type Settings struct {
	SliceS        float64 `json:"slice_s"`
	WarmupS       float64 `json:"warmup_s"`
	Rounds        int     `json:"rounds"`
	Concurrency   int     `json:"concurrency"`
	TxConcurrency int     `json:"transaction_concurrency"`
}

// Phase is one measured slice.
type Phase struct {
	Workload  string   `json:"workload"`
	Against   string   `json:"against"`
	Round     int      `json:"round"`
	Summary   Summary  `json:"summary"`
	PeakRSSMB float64  `json:"peak_rss_mb,omitempty"`
	Commits   *Commits `json:"commits,omitempty"`
	CatchUp   *CatchUp `json:"catch_up,omitempty"`
}

// Commits are the group commits (fsyncs) of a window.
type Commits struct {
	Commits   int64   `json:"commits"`
	Events    int64   `json:"audit_events,omitempty"`
	Resources int64   `json:"resources,omitempty"` // other than AuditEvents
	PerCommit float64 `json:"requests_per_commit"`
}

// CatchUp is the audit projection that measured windows left behind: the
// records still waiting for their AuditEvent resource when a window ended,
// and the time until none did (the server projects them once idle for
// 20 ms, as ceiling b does). Window plus catch-up is what a load that never
// stops would get.
type CatchUp struct {
	Slices  int     `json:"slices"`
	Records int64   `json:"records"`
	Seconds float64 `json:"seconds"`
}

// Figure is one workload against one target, merged over its rounds, with
// its ratio to the ceiling it is compared with.
type Figure struct {
	Workload  string   `json:"workload"`
	Against   string   `json:"against"`
	Summary   Summary  `json:"summary"`
	PeakRSSMB float64  `json:"peak_rss_mb,omitempty"`
	Commits   *Commits `json:"commits,omitempty"`
	Ceiling   string   `json:"ceiling,omitempty"` // the Against of the figure it is compared with
	Ratio     float64  `json:"ratio,omitempty"`
	// CeilingRate is the ceiling's throughput (resources/s for transactions)
	// that Ratio divides by.
	CeilingRate float64 `json:"ceiling_rate,omitempty"`
	// With a catch-up: successful requests and resources per second of
	// window plus catch-up, and the ratio of those rates to the ceiling's
	// (whose rate is its burst rate when it has no catch-up).
	CatchUp        *CatchUp `json:"catch_up,omitempty"`
	Sustained      float64  `json:"sustained_rate,omitempty"`
	SustainedUnits float64  `json:"sustained_unit_rate,omitempty"`
	SustainedRatio float64  `json:"sustained_ratio,omitempty"`
}

// sustainedRate is the figure's throughput with its catch-up, in
// resources/s when units is set.
func (f *Figure) sustainedRate(units bool) float64 {
	switch {
	case f.CatchUp == nil && units:
		return f.Summary.UnitRate
	case f.CatchUp == nil:
		return f.Summary.Throughput
	case units:
		return f.SustainedUnits
	}
	return f.Sustained
}

// TargetCheck is one target of the issue, measured.
type TargetCheck struct {
	Name     string `json:"name"`
	Goal     string `json:"goal"`
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	Note     string `json:"note,omitempty"`
}

// WriteJSON writes the report to path, indented.
func (r *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// ReadReport reads a report written by WriteJSON.
func ReadReport(path string) (*Report, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read report: %w", err)
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("decode report %s: %w", path, err)
	}
	return &r, nil
}

// WriteTable prints the figures and the targets as two aligned tables.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "machine: %d × %s, %s, load average at start %s; dataset: %d patients, %d observations, %d appointments\n",
		r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GoVersion, r.Machine.LoadAvg,
		r.Dataset.Patients, r.Dataset.Observations, r.Dataset.Patients*r.Dataset.Appointments)
	fmt.Fprintf(w, "each figure: %d round(s) of %.0fs, interleaved with its ceiling\n\n", r.Settings.Rounds, r.Settings.SliceS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tagainst\tconc\treq/s\tres/s\tp50 ms\tp90 ms\tp99 ms\tmax ms\terrors\treq/commit\tcatch-up s\tsust. req/s\tratio\t")
	for _, f := range r.Figures {
		s := f.Summary
		res, per, ratio, catchUp, sust := "", "", "", "", ""
		if s.UnitRate > 0 && s.UnitRate != s.Throughput {
			res = fmt.Sprintf("%.0f", s.UnitRate)
		}
		if f.Commits != nil && f.Commits.PerCommit > 0 {
			per = fmt.Sprintf("%.1f", f.Commits.PerCommit)
		}
		if c := f.CatchUp; c != nil && c.Slices > 0 {
			catchUp = fmt.Sprintf("%.2f", c.Seconds/float64(c.Slices)) // per window
			sust = fmt.Sprintf("%.0f", f.Sustained)
		}
		if f.Ceiling != "" {
			ratio = fmt.Sprintf("%.2f × %s", f.Ratio, shortCeiling(f.Ceiling))
			if f.SustainedRatio > 0 {
				ratio += fmt.Sprintf(" (sust. %.2f)", f.SustainedRatio)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.0f\t%s\t%.2f\t%.2f\t%.2f\t%.1f\t%d\t%s\t%s\t%s\t%s\t\n",
			f.Workload, f.Against, s.Concurrency, s.Throughput, res,
			s.Latency.P50, s.Latency.P90, s.Latency.P99, s.Latency.Max, s.Errors, per, catchUp, sust, ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tgoal\tmeasured\t\t")
	for _, t := range r.Targets {
		verdict := "MISSED"
		if t.Met {
			verdict = "met"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.Name, t.Goal, t.Measured, verdict, t.Note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range r.Figures {
		if sm := f.Summary; sm.Late > 0 && (sm.Requests == 0 || sm.LateMaxAge > sm.Latency.P99) {
			fmt.Fprintf(w, "unanswered at slice end (%s against %s): %d, the oldest %.0f ms old\n",
				f.Workload, f.Against, f.Summary.Late, f.Summary.LateMaxAge)
		}
		for _, e := range f.Summary.ErrorSample {
			fmt.Fprintf(w, "error (%s against %s): %s\n", f.Workload, f.Against, e)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	return nil
}

// shortCeiling names a ceiling in the table's ratio column.
func shortCeiling(against string) string {
	switch against {
	case againstAuditOff:
		return "audit off"
	case againstCeilingA:
		return "ceiling-a"
	case againstCeilingB:
		return "ceiling-b"
	}
	return against
}
