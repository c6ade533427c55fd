package ui

import (
	"context"
	"encoding/json"
	"time"

	"github.com/scalelab/scalelab/canary"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/recordings"
	"github.com/scalelab/scalelab/session"
)

// replayCanary is a replay's canary judge for the panel: the recording's
// canary as judged again from its frames (the whole result), shown as it
// stood at the replay's position, by the recorded canary events' times:
// the intervals judged by then, the decision once made, the action once
// it ended.
type replayCanary struct {
	final   *session.CanaryResult
	cfg     canary.Config
	at      func() time.Time
	started time.Time   // the canary step started (zero: with the first interval)
	judged  []time.Time // each interval's judgment
	decided time.Time   // the decision (zero: none recorded)
	ended   time.Time   // the action's end (zero: none recorded)
}

var _ Canary = (*replayCanary)(nil)

// newReplayCanary is the panel's judge of final over events (by time),
// at the position at says.
func newReplayCanary(final *session.CanaryResult, cfg canary.Config, events []recordings.Event, at func() time.Time) *replayCanary {
	c := &replayCanary{final: final, cfg: cfg, at: at}
	for _, e := range events {
		switch {
		case e.Source == recordings.FromStep && e.Kind == "started" && c.started.IsZero():
			var r experiments.Result
			if json.Unmarshal(e.Data, &r) == nil && r.Label() == final.Step {
				c.started = e.Time
			}
		case e.Source != recordings.FromCanary:
		case e.Kind == session.CanaryIntervalJudged:
			c.judged = append(c.judged, e.Time)
		case e.Kind == session.CanaryDecided && c.decided.IsZero():
			c.decided = e.Time
		case (e.Kind == session.CanaryPromoted || e.Kind == session.CanaryRolledBack || e.Kind == session.CanaryActionFailed) && c.ended.IsZero():
			c.ended = e.Time
		}
	}
	if c.started.IsZero() && len(c.judged) > 0 {
		c.started = c.judged[0]
	}
	return c
}

// Result is the canary as it stood at the replay's position: nil before
// it started.
func (c *replayCanary) Result() *session.CanaryResult {
	now := c.at()
	if c.started.IsZero() || now.Before(c.started) {
		return nil
	}
	r := *c.final
	k := 0
	for k < len(c.judged) && !c.judged[k].After(now) {
		k++
	}
	r.Intervals = r.Intervals[:min(k, len(r.Intervals))]
	r.Spans = r.Spans[:min(k, len(r.Spans))]
	r.Awaiting, r.Confirmed = false, false
	if c.decided.IsZero() || now.Before(c.decided) {
		r.Decision, r.Action, r.EndedBy = canary.Decision{}, canary.Undecided, ""
	}
	if c.ended.IsZero() || now.Before(c.ended) {
		r.Acted, r.ActionFailed, r.Note = false, false, ""
	}
	return &r
}

// Config is the recorded analysis.
func (c *replayCanary) Config() canary.Config { return c.cfg }

// Start refuses: a recording cannot be changed.
func (c *replayCanary) Start(context.Context, string) error { return errReplay }
