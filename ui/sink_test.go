package ui

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/analysis"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
	"github.com/scalelab/scalelab/session"
)

// TestSinkFeedsTheUI runs a session on a fleet with the UI's sink and
// reads it as the model does: the Info comes first with the engine, the
// frames sum to the result and the fleet's events arrive in order, the
// first replicas' start included, without the reader ever holding up the
// session (it reads the events only after the load ended).
func TestSinkFeedsTheUI(t *testing.T) {
	fl, err := fleet.New(fleet.Replicas(2), fleet.ReplicaDefaults(fleet.StartupDelay(20*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	sink := NewSink()
	s, err := session.New(session.Config{
		Command: "test",
		Resolve: func() (engine.Target, []engine.Option, error) {
			return engine.Target{Method: "GET", URL: fl.URL()}, nil, nil
		},
		Options: []engine.Option{engine.Rate(200), engine.Duration(time.Second)},
		Cluster: fl,
		Sinks:   []session.Sink{sink},
	})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan *session.Result, 1)
	go func() {
		res, err := s.Run(t.Context())
		if err != nil {
			t.Error(err)
		}
		results <- res
	}()
	info, ok := <-sink.Opened()
	if !ok || info.Engine == nil || info.Target.URL != fl.URL() {
		t.Fatalf("opened %v with %+v: want the engine and the fleet's URL", ok, info)
	}
	var requests uint64
	var ends []*Outcome
	for {
		fr, ok := sink.Feed.next()
		if !ok {
			break
		}
		if fr.End != nil {
			ends = append(ends, fr.End)
		}
		if fr.Snapshot == nil {
			continue
		}
		if !fr.CPUKnown || fr.Procs < 1 {
			t.Fatalf("frame without its CPU: %+v", fr)
		}
		requests += fr.Snapshot.Requests
	}
	res := <-results
	if requests == 0 || requests != res.Load.Total.Requests {
		t.Fatalf("the frames sum to %d requests, the result %d", requests, res.Load.Total.Requests)
	}
	if len(ends) != 1 || ends[0].Verdict != "" || ends[0].Thresholds != nil {
		t.Fatalf("outcomes %+v: want one, without a verdict (no threshold, no step)", ends)
	}
	// A second session whose reader keeps up with the events.
	sink2 := NewSink()
	fl2, _ := fleet.New(fleet.Replicas(2), fleet.ReplicaDefaults(fleet.StartupDelay(20*time.Millisecond)))
	s2, _ := session.New(session.Config{Command: "test",
		Resolve: func() (engine.Target, []engine.Option, error) {
			return engine.Target{Method: "GET", URL: fl2.URL()}, nil, nil
		},
		Options: []engine.Option{engine.Rate(50), engine.Duration(500 * time.Millisecond)},
		Cluster: fl2, Sinks: []session.Sink{sink2}})
	go func() { _, _ = s2.Run(t.Context()) }()
	var started []string
	for e := range sink2.Events() {
		if e.Kind == "replica-started" {
			started = append(started, e.Replica)
		}
	}
	slices.Sort(started)
	if !slices.Equal(started, []string{"replica-1", "replica-2"}) {
		t.Fatalf("replicas started %v: want replica-1 and replica-2, the fleet's first events", started)
	}
}

// TestSinkJudged runs a session with a threshold no service meets and one
// that holds before the UI's sink: the judge's failure reaches the Feed
// as an event with its value, and the outcome after the load's end has
// the session's verdict (fail) and the final statuses.
func TestSinkJudged(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	slow, err := analysis.ParseThreshold("latency", "p(99)<0.001")
	if err != nil {
		t.Fatal(err)
	}
	many, err := analysis.ParseThreshold("requests", "count>1")
	if err != nil {
		t.Fatal(err)
	}
	judge, err := session.NewThresholds([]analysis.Threshold{slow, many}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sink := NewSink()
	s, err := session.New(session.Config{Command: "test", Target: engine.Target{Method: "GET", URL: srv.URL},
		Options: []engine.Option{engine.Rate(100), engine.Duration(time.Second)}, Sinks: []session.Sink{judge, sink}})
	if err != nil {
		t.Fatal(err)
	}
	results := make(chan *session.Result, 1)
	go func() {
		res, err := s.Run(t.Context())
		if err != nil {
			t.Error(err)
		}
		results <- res
	}()
	var judged []JudgeEvent
	var end *Outcome
	for {
		fr, ok := sink.Feed.next()
		if !ok {
			break
		}
		judged = append(judged, fr.Judged...)
		if fr.End != nil {
			end = fr.End
		}
	}
	res := <-results
	if len(judged) != 1 || judged[0].Kind != session.ThresholdFailed || judged[0].Threshold != "latency p(99)<0.001" ||
		!strings.HasSuffix(judged[0].Value, "ms") || judged[0].Time.IsZero() {
		t.Fatalf("judged %+v: want the latency threshold's failure with its value", judged)
	}
	if end == nil || end.Verdict != analysis.VerdictFail || end.Verdict != res.Verdict || len(end.Thresholds) != 2 ||
		end.Thresholds[0].OK || !end.Thresholds[1].OK {
		t.Fatalf("outcome %+v, result's verdict %q: want fail with both statuses", end, res.Verdict)
	}
}
