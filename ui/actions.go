package ui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/ui/components/header"
)

// eventMsg carries one cluster event.
type eventMsg cluster.Event

// eventsClosedMsg says the cluster's event stream ended.
type eventsClosedMsg struct{}

// stateMsg carries the cluster's state and, from a cluster.Autoscaled,
// its autoscaler (HasHPA false when there is none).
type stateMsg struct {
	State  cluster.State
	HPA    cluster.Autoscaler
	HasHPA bool
}

// loadMsg reports a change of the load to Value (the rate, or the
// connections): applied at At, described by What, labelled Label for the
// marker, the load model now in words Model; or failed with Err.
type loadMsg struct {
	At    time.Time
	Value float64
	What  string
	Label string
	Model string
	Err   error
}

// pausedMsg reports that the load was paused (or why not).
type pausedMsg struct {
	At     time.Time
	Paused engine.Paused
	Err    error
}

// resumedMsg reports that the load was resumed (or why not).
type resumedMsg struct {
	At  time.Time
	Err error
}

// actionMsg reports that a cluster action completed, after Took, or failed.
// With a Kind, a success goes to the event log too, under Label. Scale is
// the replicas a scale asked for (0 for the other actions).
type actionMsg struct {
	What        string
	Took        time.Duration
	Err         error
	Label, Kind string
	Scale       int
}

// waitEvent is the re-issued command that reads the next cluster event.
func waitEvent(ch <-chan cluster.Event) tea.Cmd {
	return func() tea.Msg {
		e, ok := <-ch
		if !ok {
			return eventsClosedMsg{}
		}
		return eventMsg(e)
	}
}

// fetchState reads the cluster's state, and its autoscaler's.
func fetchState(c cluster.Cluster) tea.Cmd {
	return func() tea.Msg {
		msg := stateMsg{State: c.State()}
		if a, ok := c.(cluster.Autoscaled); ok {
			msg.HPA, msg.HasHPA = a.Autoscaler()
		}
		return msg
	}
}

// setLoad sets the rate (open loop) or the connections (closed loop).
func setLoad(l Load, v float64) tea.Cmd {
	return func() tea.Msg {
		if l.Closed() {
			return setConcurrency(l, int(v))
		}
		return setRate(l, v)
	}
}

func setRate(l Load, r float64) loadMsg {
	if err := l.SetRate(r); err != nil {
		return loadMsg{At: time.Now(), Value: r, Err: err}
	}
	return loadMsg{At: time.Now(), Value: r, What: "rate → " + header.Rate(r), Label: "rate " + header.Num(r), Model: report.OpenModel(r)}
}

func setConcurrency(l Load, n int) loadMsg {
	if err := l.SetConcurrency(n); err != nil {
		return loadMsg{At: time.Now(), Value: float64(n), Err: err}
	}
	return loadMsg{At: time.Now(), Value: float64(n), What: fmt.Sprintf("connections → %d", n),
		Label: fmt.Sprintf("conns %d", n), Model: report.ClosedModel(n)}
}

// scaleCmd scales the cluster to n replicas.
func scaleCmd(c cluster.Cluster, ctx context.Context, n int) tea.Cmd {
	what := fmt.Sprintf("scale to %d", n)
	return func() tea.Msg {
		start := time.Now()
		err := c.Scale(ctx, n)
		return actionMsg{What: what, Took: time.Since(start), Err: err, Scale: n}
	}
}

// pauseLoad pauses the load.
func pauseLoad(l Load) tea.Cmd {
	return func() tea.Msg {
		p, err := l.Pause()
		return pausedMsg{At: time.Now(), Paused: p, Err: err}
	}
}

// resumeLoad resumes the load paused at p.
func resumeLoad(l Load, p engine.Paused) tea.Cmd {
	return func() tea.Msg {
		return resumedMsg{At: time.Now(), Err: l.Resume(p)}
	}
}

// clusterAction runs one cluster action and reports how it ended.
func clusterAction(what string, do func() error) tea.Cmd {
	return func() tea.Msg {
		start := time.Now()
		err := do()
		return actionMsg{What: what, Took: time.Since(start), Err: err}
	}
}

// loggedAction is clusterAction for an action whose success the event log
// reports too, under label, as an operator's entry of kind.
func loggedAction(what, label, kind string, do func() error) tea.Cmd {
	return func() tea.Msg {
		start := time.Now()
		err := do()
		return actionMsg{What: what, Took: time.Since(start), Err: err, Label: label, Kind: kind}
	}
}

// superseded reports an action that a later one replaced.
func superseded(err error) bool { return errors.Is(err, cluster.ErrSuperseded) }

// rateLadder are the mantissas of the rate steps: 1, 1.2, 1.5, 2, 2.5, 3,
// 4, 5, 6, 8 times a power of ten.
var rateLadder = []float64{1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8}

// StepRate is the next rate up (dir > 0) or down from r on the ladder 1,
// 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 12, ... requests per second; the
// lowest rate is 1, raising 0 gives 10.
func StepRate(r float64, dir int) float64 {
	if r < 1 {
		if dir > 0 {
			return 10
		}
		return 0
	}
	exp := math.Floor(math.Log10(r))
	base := math.Pow(10, exp)
	const eps = 1e-9
	if dir > 0 {
		for _, v := range rateLadder {
			if v*base > r*(1+eps) {
				return v * base
			}
		}
		return 10 * base
	}
	for i := len(rateLadder) - 1; i >= 0; i-- {
		if v := rateLadder[i] * base; v < r*(1-eps) {
			return v
		}
	}
	if base <= 1 {
		return 1
	}
	return 8 * base / 10
}

// StepConcurrency is the next worker count up or down from n: by one below
// 10, then on the rate ladder; at least 1.
func StepConcurrency(n, dir int) int {
	if n < 10 || (n == 10 && dir < 0) {
		return max(n+dir, 1)
	}
	return int(math.Round(StepRate(float64(n), dir)))
}
