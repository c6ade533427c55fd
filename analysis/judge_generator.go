package analysis

import (
	"fmt"
	"strings"
	"time"
)

// GeneratorSecond is one sample of the generator probes as a threshold on
// the generator judges it: the interval sampled (about a second of ticks)
// and whether the generator was saturated then, with its reasons.
type GeneratorSecond struct {
	// End is the offset of the sample's end from the load's start; Span
	// its length.
	End, Span time.Duration
	// Saturated is the probes' judgement of the interval, Reasons its
	// reasons ("cpu 1.96 of 2 cores") and Kinds each reason's kind
	// (probes.KindCPU...), in the same order.
	Saturated bool
	Reasons   []string
	Kinds     []string
}

// genSeries keeps the generator's samples a threshold judges: all of them,
// or those of the last window.
type genSeries struct {
	window time.Duration
	s      []GeneratorSecond
}

// add keeps a sample, dropping those out of the window.
func (g *genSeries) add(sec GeneratorSecond) {
	g.s = append(g.s, sec)
	if g.window > 0 {
		i := 0
		for i < len(g.s) && g.s[i].End <= sec.End-g.window {
			i++
		}
		g.s = g.s[i:]
	}
}

// measure is 1 when a sample judged at now (ending at or before now, and
// in the window) was saturated, 0 when none was, and false without a
// sample; text says how long it was saturated and why.
func (g *genSeries) measure(now time.Duration) (v float64, ok bool, text string) {
	var sampled, busy time.Duration
	var reasons []string
	seen := map[string]bool{}
	for _, s := range g.s {
		if s.End > now || (g.window > 0 && s.End <= now-g.window) {
			continue
		}
		sampled += s.Span
		if !s.Saturated {
			continue
		}
		busy += s.Span
		for _, r := range s.Reasons {
			if k := reasonKind(r); !seen[k] {
				seen[k] = true
				reasons = append(reasons, r)
			}
		}
	}
	if sampled == 0 {
		return 0, false, "saturated: no data (no second sampled)"
	}
	text = fmt.Sprintf("saturated %s of %s", secs(busy), secs(sampled))
	if busy == 0 {
		return 0, true, text
	}
	if len(reasons) > 0 {
		text += ": " + strings.Join(reasons, ", ")
	}
	return 1, true, text
}

// reasonKind is a reason's first word ("cpu 1.96 of 2 cores": "cpu"), so
// that each kind is named once, with its first reading.
func reasonKind(r string) string {
	k, _, _ := strings.Cut(r, " ")
	return k
}

// secs writes a duration in whole seconds, at least 1 when positive: 4 s.
func secs(d time.Duration) string {
	n := int64(d.Round(time.Second) / time.Second)
	if n == 0 && d > 0 {
		n = 1
	}
	return fmt.Sprintf("%d s", n)
}

// ObserveGenerator takes one sample of the generator probes (each second
// sampled, in order) for the thresholds on the generator. A threshold
// generator: saturated == false fails when any sample it judges (the whole
// run, or with a window those ending in the last window) was saturated:
// the probes judge a second at a time, so one saturated second fails it.
func (j *Judge) ObserveGenerator(sec GeneratorSecond) {
	for i := range j.th {
		if g := j.th[i].gen; g != nil {
			g.add(sec)
		}
	}
}

// JudgesGenerator reports whether a threshold is on the generator, so
// that the caller feeds ObserveGenerator.
func (j *Judge) JudgesGenerator() bool {
	for i := range j.th {
		if j.th[i].gen != nil {
			return true
		}
	}
	return false
}
