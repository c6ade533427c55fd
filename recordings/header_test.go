package recordings

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

// TestHeaderKeepsThresholdsAndPlan (1.5): the thresholds and the plan as
// data read back as written; a header without thresholds is written with
// an empty list, so that a reader tells it from an older file's (nil).
func TestHeaderKeepsThresholdsAndPlan(t *testing.T) {
	read := func(h Header) Header {
		t.Helper()
		var buf bytes.Buffer
		w, err := NewWriter(&buf, h)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), "scalelab recording 1.9\n") {
			t.Fatalf("version line %q", strings.SplitN(buf.String(), "\n", 2)[0])
		}
		r, err := ReadBytes(buf.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		return r.Header
	}
	h := testHeader()
	h.Thresholds = []Threshold{
		{Metric: "latency{version:v2}", Expr: "p(99)<200", AbortOnFail: true, DelayAbortEvalS: 1.5},
		{Metric: "availability{step:kill}", Expr: "rate>0.999", WindowS: 30, RecoverS: 10, RecoverAfter: "kill", AllowNoData: true},
	}
	h.Plan = &Plan{Name: "zero-downtime upgrade", Description: "v1 to v2", File: "plans/upgrade.yaml", Steps: []PlanStep{
		{Name: "upgrade", Spec: "upgrade=v2", Trigger: TriggerAt, AtS: 10},
		{Name: "kill", Spec: "kill=1", Trigger: TriggerAfter, After: "upgrade", DelayS: 5},
		{Spec: "scale=6", Trigger: TriggerWhen, When: "p(99) > 250ms over 5s"},
	}}
	got := read(h)
	if !reflect.DeepEqual(got.Thresholds, h.Thresholds) || !reflect.DeepEqual(got.Plan, h.Plan) {
		t.Fatalf("read back\n%+v\n%+v\nwant\n%+v\n%+v", got.Thresholds, got.Plan, h.Thresholds, h.Plan)
	}
	if got := read(testHeader()); got.Thresholds == nil || len(got.Thresholds) != 0 || got.Plan != nil {
		t.Fatalf("without thresholds and plan: %#v, %+v", got.Thresholds, got.Plan)
	}
}

// TestHeaderKeepsSteadyState (1.8): a plan's steady state reads back as
// written; a header without one, and an older file, have none.
func TestHeaderKeepsSteadyState(t *testing.T) {
	h := testHeader()
	h.SteadyState = &SteadyState{BeforeS: 1.5, AfterS: 2, Thresholds: []Threshold{
		{Metric: "latency", Expr: "p(99)<10"},
		{Metric: "availability", Expr: "rate>0.99", AllowNoData: true},
	}}
	r := readBack(t, h)
	if r.Header.Format != "1.9" || !reflect.DeepEqual(r.Header.SteadyState, h.SteadyState) {
		t.Fatalf("format %s, steady state read back %+v, want %+v", r.Header.Format, r.Header.SteadyState, h.SteadyState)
	}
	old, err := Open("testdata/format-1.1.scalelab")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if old.Header.Format != "1.1" || old.Header.SteadyState != nil || old.Len() == 0 || len(old.Problems) > 0 {
		t.Fatalf("1.1 file: format %s, steady state %+v, %d frames, problems %v", old.Header.Format, old.Header.SteadyState, old.Len(), old.Problems)
	}
}

// TestHeaderKeepsSearch (1.9): a plan's capacity search reads back as
// written; an older file has none.
func TestHeaderKeepsSearch(t *testing.T) {
	h := testHeader()
	h.Search = &Search{FromRPS: 100, Step: 50, StepPercent: true, HoldS: 4, MaxRPS: 600, TargetInProcess: true,
		Until: []Threshold{{Metric: "latency", Expr: "p(99)<100"}, {Metric: "dropped", Expr: "count<1"}}}
	r := readBack(t, h)
	if r.Header.Format != "1.9" || !reflect.DeepEqual(r.Header.Search, h.Search) {
		t.Fatalf("format %s, search read back %+v, want %+v", r.Header.Format, r.Header.Search, h.Search)
	}
	old, err := Open("testdata/format-1.1.scalelab")
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if old.Header.Search != nil {
		t.Fatalf("1.1 file: search %+v", old.Header.Search)
	}
}

// readBack writes a recording of h alone and reads it back.
func readBack(t *testing.T, h Header) *Recording {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := ReadBytes(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}
