package ui

import "github.com/scalelab/scalelab/ui/components/header"

// retriesInfo is the header's retries figures over the whole run, nil
// while no request ended under a retry policy (retries off).
func (m Model) retriesInfo() *header.Retries {
	tot := m.hist.Totals()
	if tot.EffectiveRequests == 0 {
		return nil
	}
	r := &header.Retries{Raw: m.hist.Availability(), Effective: tot.EffectiveAvailability(),
		Amplification: tot.Amplification(), Retries: tot.Retries, BudgetExhausted: tot.RetriesBudgetExhausted}
	if secs := m.hist.Elapsed().Seconds(); secs > 0 {
		r.PerSecond = float64(tot.Retries) / secs
	}
	return r
}

// headerRows is the header's height: a third line, the retries', while
// they are on.
func (m Model) headerRows() int {
	if m.retriesInfo() != nil {
		return 3
	}
	return 2
}
