package engine

// Paused is the load setting that Pause replaced, for Resume to restore. It
// is a plain value: the caller keeps it while the load is paused.
type Paused struct {
	// Rate is the open-loop rate when the load was paused (0 in closed loop).
	Rate float64
	// Concurrency is the closed-loop worker count when the load was paused
	// (0 in open loop).
	Concurrency int
}

// Pause stops sending new requests and returns the setting to pass to
// Resume: the open loop's rate drops to 0, the closed loop's workers stop
// after their current request. Requests in flight finish and are counted;
// the run's window keeps running. A stage plan ends at the pause: Resume
// holds the rate the plan had reached, as SetRate does.
func (e *Engine) Pause() (Paused, error) {
	if e.cfg.closedLoop() {
		p := Paused{Concurrency: e.Concurrency()}
		return p, e.SetConcurrency(0)
	}
	p := Paused{Rate: e.TargetRate()}
	return p, e.SetRate(0)
}

// Resume restores the setting that Pause returned.
func (e *Engine) Resume(p Paused) error {
	if e.cfg.closedLoop() {
		return e.SetConcurrency(p.Concurrency)
	}
	return e.SetRate(p.Rate)
}
