package experiments

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestPlanDocsNameEveryField asks the decoder for the fields of each
// section (an unknown key's message lists them) and checks
// docs/plans.md names each as `field`.
func TestPlanDocsNameEveryField(t *testing.T) {
	doc, err := os.ReadFile("../docs/plans.md")
	if err != nil {
		t.Fatal(err)
	}
	wantList := regexp.MustCompile(`\(want ([^)]*)\)`)
	for _, src := range []string{
		"zz: 1\n",
		"target: {zz: 1}\n",
		"target: {fleet: {zz: 1}}\n",
		"target: {k8s: {zz: 1}}\n",
		"target: {fleet: {}}\nload: {zz: 1}\n",
		"target: {fleet: {}}\nload: {stages: [{zz: 1}]}\n",
		"target: {fleet: {}}\nsteps: [{zz: 1}]\n",
		"target: {fleet: {}}\nload: {retry: {zz: 1}}\n",
		"target: {fleet: {}}\nsteps: [{at: 1s, action: canary=v2, analysis: {zz: 1}}]\n",
		"target: {fleet: {}}\nthresholds: {latency: [{zz: 1}]}\n",
		"target: {fleet: {}}\nsteady_state: {zz: 1}\n",
		"target: {fleet: {}}\nrollbacks: {zz: 1}\n",
		"target: {fleet: {}}\nsearch: {zz: 1}\n",
	} {
		_, err := ParsePlan([]byte(src), "p.yaml")
		m := wantList.FindStringSubmatch(errString(err))
		if m == nil {
			t.Errorf("%q: %v, want an unknown-field error listing the fields", src, err)
			continue
		}
		for _, f := range strings.Split(m[1], ", ") {
			if !strings.Contains(string(doc), "`"+f+"`") {
				t.Errorf("docs/plans.md does not name the field `%s` (from %q)", f, src)
			}
		}
	}
}

// errString is err's message, "" for nil.
func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzParsePlan checks ParsePlan never panics and that every problem it
// reports is one line with a line number inside the file.
func FuzzParsePlan(f *testing.F) {
	for _, name := range []string{"zero-downtime-upgrade", "canary-bad-version", "canary-analysis", "kill-and-recover", "capacity-search", "closed-loop"} {
		data, err := os.ReadFile("examples/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("a: &a [1]\nb: [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ParsePlan(data, "f.yaml")
		if err == nil {
			return
		}
		pe, ok := err.(*PlanError)
		if !ok {
			t.Fatalf("%T %v, want a *PlanError", err, err)
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, p := range pe.Problems {
			if strings.ContainsAny(p.Reason, "\n\r") || p.Line < 0 || p.Line > lines+1 {
				t.Errorf("problem %q at line %d of %d", p.Reason, p.Line, lines)
			}
		}
	})
}
