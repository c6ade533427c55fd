package analysis

import "time"

// span is one firing of a step: from its start to its end (open while it
// runs).
type span struct {
	start, end time.Duration
	ended      bool
}

// stepLog keeps when each named step ran, as the judge was told.
type stepLog map[string][]span

func (l stepLog) started(name string, at time.Duration) {
	l[name] = append(l[name], span{start: at})
}

// ended closes the step's open span; a step that ends without having
// been told to start ran for no time at at.
func (l stepLog) ended(name string, at time.Duration) {
	spans := l[name]
	for i := len(spans) - 1; i >= 0; i-- {
		if !spans[i].ended {
			spans[i].end, spans[i].ended = at, true
			return
		}
	}
	l[name] = append(spans, span{start: at, end: at, ended: true})
}

// during reports whether a tick over (t−d, t] overlaps a span of the
// step, or one that is still running; a step that took no time counts in
// the tick after its start.
func (l stepLog) during(name string, t, d time.Duration) bool {
	for _, s := range l[name] {
		if s.start < t && (!s.ended || t-d < max(s.end, s.start+1)) {
			return true
		}
	}
	return false
}

// since reports whether a tick ending at t ends after a start of the step.
func (l stepLog) since(name string, t time.Duration) bool {
	for _, s := range l[name] {
		if s.start < t {
			return true
		}
	}
	return false
}

// recovering reports whether a tick ending at t ends within rec after a
// start of the step: its requests are forgiven.
func (l stepLog) recovering(name string, t, rec time.Duration) bool {
	for _, s := range l[name] {
		if s.start < t && t <= s.start+rec {
			return true
		}
	}
	return false
}

// judged reports whether a tick over (t−d, t] counts for metric m with a
// recovery rec after step recStep (rec 0: none).
func (l stepLog) judged(m Metric, recStep string, rec, t, d time.Duration) bool {
	if m.Step != "" {
		if rec > 0 && recStep == m.Step {
			if !l.since(m.Step, t) {
				return false
			}
		} else if !l.during(m.Step, t, d) {
			return false
		}
	}
	return rec <= 0 || !l.recovering(recStep, t, rec)
}
