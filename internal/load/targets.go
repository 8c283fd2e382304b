package load

import (
	"fmt"
	"time"
)

// The targets, each a ratio to a ceiling measured in the same run
// or an absolute bound, checked as they were set: none is relaxed here.

// figureOf returns the merged figure of a workload against a target.
func (r *Report) figureOf(workload, against string) *Figure {
	for i := range r.Figures {
		if r.Figures[i].Workload == workload && r.Figures[i].Against == against {
			return &r.Figures[i]
		}
	}
	return nil
}

// finish merges each side's rounds into a figure, computes the ratios to
// the ceilings, and checks the targets.
func (b *bench) finish() {
	r := b.report
	for _, k := range b.order {
		st := b.stats[k]
		f := Figure{Workload: k[0], Against: k[1], Summary: st.Summary(), PeakRSSMB: mb(b.peak[k]), Commits: b.commit[k]}
		if c := b.catchUp[k]; c != nil {
			f.CatchUp = c
			if total := st.Window.Seconds() + c.Seconds; total > 0 {
				f.Sustained = float64(st.Requests()-st.Errors) / total
				f.SustainedUnits = float64(st.Units) / total
			}
		}
		r.Figures = append(r.Figures, f)
	}
	ratio := func(workload, against, ceilWorkload, ceilAgainst string, units bool) {
		f, c := r.figureOf(workload, against), r.figureOf(ceilWorkload, ceilAgainst)
		if f == nil || c == nil {
			return
		}
		num, den := f.Summary.Throughput, c.Summary.Throughput
		if units {
			num, den = f.Summary.UnitRate, c.Summary.UnitRate
		}
		if den > 0 {
			f.Ceiling, f.Ratio, f.CeilingRate = ceilAgainst, num/den, den
		}
		if sden := c.sustainedRate(units); f.CatchUp != nil && sden > 0 {
			f.SustainedRatio = f.sustainedRate(units) / sden
		}
	}
	ratio("read", againstServer, "static", againstCeilingA, false)
	ratio("search", againstServer, "static", againstCeilingA, false)
	ratio("mixed", againstServer, "static", againstCeilingA, false)
	ratio("create-vitals", againstServer, "create-vitals", againstCeilingB, false)
	ratio("transaction", againstServer, "transaction", againstCeilingB, true)
	for _, aw := range b.cfg.AuditWorkloads {
		ratio(aw, againstAuditOn, aw, againstAuditOff, false)
	}
	r.Targets = b.targets()
}

func (b *bench) targets() []TargetCheck {
	r := b.report
	var out []TargetCheck
	add := func(name, goal, measured string, met bool, note string) {
		out = append(out, TargetCheck{Name: name, Goal: goal, Measured: measured, Met: met, Note: note})
	}
	// A p99 bound holds when at most 1% of the requests took longer,
	// counting those still unanswered when their slice ended at the age
	// they had then (a request stuck for the whole slice must not vanish).
	p99 := func(name string, f *Figure, bound float64, note string) {
		st := b.stats[[2]string{f.Workload, f.Against}]
		limit := time.Duration(bound * float64(time.Millisecond))
		total := st.All.Count() + st.LateAge.Count()
		over := st.All.CountAbove(limit) + st.LateAge.CountAbove(limit)
		measured := fmt.Sprintf("%.2f ms", f.Summary.Latency.P99)
		if st.All.Count() == 0 {
			measured = "none answered"
		}
		if late := st.LateAge.CountAbove(limit); late > 0 {
			measured += fmt.Sprintf(" (+%d unanswered past %.0f ms at the end)", late, bound)
		}
		add(name, fmt.Sprintf("≤ %.0f ms", bound), measured, st.All.Count() > 0 && over*100 <= total, note)
	}
	if f := r.figureOf("read", againstServer); f != nil {
		if f.Ceiling != "" {
			add("read by id, 64 conns: throughput", "≥ 0.60 × ceiling a", fmt.Sprintf("%.2f × (%.0f / %.0f req/s)",
				f.Ratio, f.Summary.Throughput, f.CeilingRate), f.Ratio >= 0.6, "ceiling a: GET /bench/static")
		}
		p99("read by id: p99", f, 10, "")
	}
	if f := r.figureOf("create-vitals", againstServer); f != nil {
		if f.Ceiling != "" {
			add("create-vitals: throughput", "≥ 0.50 × ceiling b", fmt.Sprintf("%.2f × (%.0f / %.0f req/s)",
				f.Ratio, f.Summary.Throughput, f.CeilingRate), f.Ratio >= 0.5, sustainedNote(f))
		}
		p99("create-vitals: p99", f, 20, "")
		if f.Commits != nil {
			add("create-vitals: requests per fsync", "≥ 10", fmt.Sprintf("%.1f (%d commits)", f.Commits.PerCommit, f.Commits.Commits),
				f.Commits.PerCommit >= 10, "ehr_audit_commit_batch_size on /metrics")
		}
	}
	if f := r.figureOf("search", againstServer); f != nil {
		scale := fmt.Sprintf("at %d patients, %d observations", r.Dataset.Patients, r.Dataset.Observations)
		if r.Dataset.Observations < 1_000_000 {
			scale += " (target scale: 1,000,000; see docs/performance.md)"
		}
		p99("search mix: p99", f, 50, scale)
		add("search mix: throughput", "≥ 2,000 req/s", fmt.Sprintf("%.0f req/s", f.Summary.Throughput), f.Summary.Throughput >= 2000, scale)
		add("search mix: server RSS", "< 300 MB", fmt.Sprintf("%.0f MB peak", f.PeakRSSMB), f.PeakRSSMB < 300, scale)
	}
	if f := r.figureOf("transaction", againstServer); f != nil {
		note := ""
		if f.Ceiling != "" {
			note = fmt.Sprintf("%.2f × ceiling b (%.0f resources/s)", f.Ratio, f.CeilingRate)
		}
		if f.CatchUp != nil {
			sust := fmt.Sprintf("%.0f resources/s sustained", f.SustainedUnits)
			if f.SustainedRatio > 0 {
				sust += fmt.Sprintf(", %.2f × ceiling b's", f.SustainedRatio)
			}
			note = joinNotes(note, sust)
		}
		add("transaction import", "≥ 5,000 resources/s", fmt.Sprintf("%.0f resources/s", f.Summary.UnitRate), f.Summary.UnitRate >= 5000, note)
	}
	for _, aw := range b.cfg.AuditWorkloads {
		if f := r.figureOf(aw, againstAuditOn); f != nil && f.Ceiling != "" {
			add("audit overhead ("+aw+")", "on ≥ 0.85 × off", fmt.Sprintf("%.2f × (%.0f / %.0f req/s)",
				f.Ratio, f.Summary.Throughput, f.CeilingRate), f.Ratio >= 0.85, joinNotes("ehrd -tags ehrbench, EHR_BENCH_AUDIT=on vs off", sustainedNote(f)))
		}
	}
	var errs int64
	for _, f := range r.Figures {
		errs += f.Summary.Errors
	}
	add("every response verified", "0 wrong", fmt.Sprintf("%d wrong", errs), errs == 0, "")
	return out
}

// sustainedNote gives a figure's ratio with the catch-up its windows left
// behind (the throughput targets are checked on the windows alone).
func sustainedNote(f *Figure) string {
	if f.CatchUp == nil || f.SustainedRatio == 0 {
		return ""
	}
	return fmt.Sprintf("sustained (window + catch-up): %.2f × (%.0f req/s)", f.SustainedRatio, f.Sustained)
}

func joinNotes(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}
