package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/scalelab/scalelab/experiments"
)

// JUnitSuite is a run as JUnit XML's testsuite: one testcase a threshold,
// a step, a steady state's window, the canary and a rollback, so that CI (GitLab, Jenkins, GitHub) shows them
// without a plugin.
type JUnitSuite struct {
	XMLName  xml.Name        `xml:"testsuite"`
	Name     string          `xml:"name,attr"`
	Tests    int             `xml:"tests,attr"`
	Failures int             `xml:"failures,attr"`
	Time     string          `xml:"time,attr"`
	Cases    []JUnitTestCase `xml:"testcase"`
}

// JUnitTestCase is one threshold (Name: the metric with its filter and
// the expression; Classname thresholds), one step (Name: its spec;
// Classname steps), one steady state's window (Classname steady_state),
// the canary (Name: canary VERSION; Classname canary) or one rollback (Name: its action; Classname rollbacks).
type JUnitTestCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitFailure `xml:"failure"`
}

// JUnitFailure is a failed testcase: Message says the measured value (or
// no data, or why the step failed).
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// NewJUnit is the run as a JUnit testsuite named "scalelab COMMAND
// TARGET", its time the sending window.
func NewJUnit(s Summary, steps []experiments.Result) JUnitSuite {
	js := JUnitSuite{Name: "scalelab " + s.Command + " " + s.Target, Time: fmt.Sprintf("%.3f", s.DurationS)}
	for _, t := range s.Thresholds {
		c := JUnitTestCase{Name: t.name(), Classname: "thresholds", Time: js.Time}
		if !t.OK {
			msg := t.name() + ": " + t.value()
			if !t.NoData {
				msg = t.name() + " failed: " + t.Text
			}
			c.Failure = &JUnitFailure{Message: msg, Text: msg}
		}
		js.Cases = append(js.Cases, c)
	}
	for _, st := range steps {
		c := JUnitTestCase{Name: st.Spec, Classname: "steps", Time: fmt.Sprintf("%.3f", st.DurationS)}
		if st.StepFailed() {
			msg := fmt.Sprintf("step %s failed: %s", st.Spec, st.Error)
			c.Failure = &JUnitFailure{Message: msg, Text: msg}
		}
		js.Cases = append(js.Cases, c)
	}
	if ss := s.SteadyState; ss != nil {
		for _, w := range []struct {
			name string
			h    *HypothesisResult
		}{{"steady state before the method", ss.Before}, {"steady state after the method", ss.After}} {
			if w.h == nil {
				continue
			}
			c := JUnitTestCase{Name: w.name, Classname: "steady_state", Time: fmt.Sprintf("%.3f", w.h.ToS-w.h.FromS)}
			if !w.h.OK {
				msg := w.name + " not met: " + w.h.failed()
				c.Failure = &JUnitFailure{Message: msg, Text: msg}
			}
			js.Cases = append(js.Cases, c)
		}
	}
	if cn := s.Canary; cn != nil {
		c := JUnitTestCase{Name: "canary " + cn.Version, Classname: "canary", Time: js.Time}
		if !cn.Passed {
			msg := cn.failed()
			c.Failure = &JUnitFailure{Message: msg, Text: msg}
		}
		js.Cases = append(js.Cases, c)
	}
	for _, rb := range s.Rollbacks {
		c := JUnitTestCase{Name: rb.Action, Classname: "rollbacks", Time: fmt.Sprintf("%.3f", rb.DurationS)}
		if !rb.OK {
			msg := fmt.Sprintf("rollback %s failed: %s", rb.Action, rb.Error)
			c.Failure = &JUnitFailure{Message: msg, Text: msg}
		}
		js.Cases = append(js.Cases, c)
	}
	if s.Aborted != nil {
		msg := "aborted at " + fmt.Sprintf("%.1fs", s.Aborted.AtS) + ": " + s.Aborted.Threshold + " = " + s.Aborted.Text
		js.Cases = append(js.Cases, JUnitTestCase{Name: "aborted", Classname: "verdict", Time: js.Time,
			Failure: &JUnitFailure{Message: msg, Text: msg}})
	}
	js.Tests = len(js.Cases)
	for _, c := range js.Cases {
		if c.Failure != nil {
			js.Failures++
		}
	}
	return js
}

// WriteJUnit writes the run as JUnit XML (NewJUnit), with its XML header.
func WriteJUnit(w io.Writer, s Summary, steps []experiments.Result) error {
	b, err := xml.MarshalIndent(NewJUnit(s, steps), "", "  ")
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	return nil
}
