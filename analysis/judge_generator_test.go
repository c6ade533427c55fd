package analysis

import (
	"strings"
	"testing"
	"time"
)

// TestGeneratorThreshold: generator: saturated == false fails when any
// second judged was saturated, names the seconds and the reasons; with a
// window it judges the last window only; no second sampled is no data.
func TestGeneratorThreshold(t *testing.T) {
	cpu := []string{"cpu 1.96 of 2 cores"}
	tests := []struct {
		name   string
		key    string
		expr   string
		window time.Duration
		busy   []int // the seconds (1-based, of 30) saturated
		nodata bool
		ok     bool
		text   string
	}{
		{name: "keeps up", key: "generator", expr: "saturated == false", ok: true, text: "saturated 0 s of 30 s"},
		{name: "one second fails", key: "generator", expr: "saturated==false", busy: []int{7}, text: "saturated 1 s of 30 s: cpu 1.96 of 2 cores"},
		{name: "four seconds", key: "generator.saturated", expr: "== false", busy: []int{3, 4, 5, 6}, text: "saturated 4 s of 30 s: cpu 1.96 of 2 cores"},
		{name: "not the last window", key: "generator", expr: "saturated == false", window: 10 * time.Second, busy: []int{3, 4}, ok: true, text: "saturated 0 s of 10 s"},
		{name: "in the last window", key: "generator", expr: "saturated == false", window: 10 * time.Second, busy: []int{25}, text: "saturated 1 s of 10 s: cpu 1.96 of 2 cores"},
		{name: "want saturated", key: "generator", expr: "saturated == true", busy: []int{1}, ok: true, text: "saturated 1 s of 30 s: cpu 1.96 of 2 cores"},
		{name: "no data", key: "generator", expr: "saturated == false", nodata: true, text: "saturated: no data (no second sampled)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := mustThreshold(t, tt.key, tt.expr, func(th *Threshold) { th.Window = tt.window })
			j := mustJudge(t, th)
			if !j.JudgesGenerator() {
				t.Fatal("JudgesGenerator false")
			}
			if !tt.nodata {
				for s := 1; s <= 30; s++ {
					sec := GeneratorSecond{End: time.Duration(s) * time.Second, Span: time.Second}
					for _, b := range tt.busy {
						if b == s {
							sec.Saturated, sec.Reasons = true, cpu
						}
					}
					j.ObserveGenerator(sec)
					j.Evaluate(sec.End)
				}
			}
			st := j.Evaluate(30 * time.Second)[0]
			if st.OK != tt.ok || st.NoData != tt.nodata || st.Text != tt.text {
				t.Errorf("ok %v nodata %v %q, want ok %v nodata %v %q", st.OK, st.NoData, st.Text, tt.ok, tt.nodata, tt.text)
			}
			if !strings.HasPrefix(st.String(), map[bool]string{true: "✓", false: "✗"}[tt.ok]+" generator saturated") {
				t.Errorf("line %q", st.String())
			}
		})
	}
}

// TestGeneratorThresholdErrors: the generator's threshold refuses other
// aggregations, operators, values and filters, each in one line.
func TestGeneratorThresholdErrors(t *testing.T) {
	tests := []struct{ key, expr, want string }{
		{"generator", "saturated < 1", "compare it with == or !="},
		{"generator", "saturated == no", `"no" is not true or false`},
		{"generator", "p(99) < 200", "generator has no p: it allows saturated"},
		{"generator{step:kill}", "saturated == false", "takes no filter"},
		{"latency", "saturated == false", "latency has no saturated"},
	}
	for _, tt := range tests {
		_, err := ParseThreshold(tt.key, tt.expr)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s %s: %v, want one line with %q", tt.key, tt.expr, err, tt.want)
		}
	}
	th := mustThreshold(t, "generator", "saturated == false", func(th *Threshold) { th.Recover, th.RecoverAfter = time.Second, "kill" })
	if errs := th.Validate(); len(errs) == 0 || !strings.Contains(errs[0].Error(), "forgives no recovery") {
		t.Errorf("recover: %v", errs)
	}
}
