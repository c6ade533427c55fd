package cli

import (
	"encoding/json"
	"testing"
)

// TestPlanWhenFiresOnDegradation runs demo --headless --plan on the local
// fleet: an at: step slows a replica down by 300 ms, and a when: step
// watching "p(99) > 100ms over 1s" heals it. The condition does not hold
// before the fault (the fleet answers in about 1 ms), so the heal must
// start after the fault, once the slow answers reach the window, and
// within a few seconds of it; the fault's effect ends healed.
func TestPlanWhenFiresOnDegradation(t *testing.T) {
	bin := tuiBinary(t)
	plan := writePlan(t, `name: when degraded
target: {fleet: {replicas: 2, version: v1, startup_delay: 200ms, drain: 200ms, latency: 1ms}}
load: {rate: 100, duration: 5s}
steps:
  - {name: slow, at: 2s, action: "latency=300ms"}
  - {name: cure, when: "p(99) > 100ms over 1s", action: "heal"}
`)
	out, errOut, code := runBin(t, bin, "demo", "--headless", "--no-record", "--json", "--plan", plan)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, errOut)
	}
	var sum struct {
		Steps []struct {
			Name, Error, Until string
			Completed          bool
			StartS             float64 `json:"start_s"`
			EffectS            float64 `json:"effect_s"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary: %v\n%s", err, out)
	}
	if len(sum.Steps) != 2 || sum.Steps[0].Name != "slow" || sum.Steps[1].Name != "cure" {
		t.Fatalf("want the steps slow and cure, got %+v", sum.Steps)
	}
	slow, cure := sum.Steps[0], sum.Steps[1]
	if !slow.Completed || !cure.Completed {
		t.Fatalf("both steps must complete: slow %+v, cure %+v\n%s", slow, cure, errOut)
	}
	// A 300 ms answer to a request sent after the fault is at least
	// 100 ms in the window before its latency exceeds 100 ms: the heal
	// cannot come sooner. Three seconds is a loaded machine's margin.
	if cure.StartS < slow.StartS+0.1 || cure.StartS > slow.StartS+3 {
		t.Fatalf("cure started at %.3fs, the fault at %.3fs: want the heal after the fault, within 3 s", cure.StartS, slow.StartS)
	}
	if slow.Until != "healed" || slow.EffectS <= 0 || slow.EffectS > 3.5 {
		t.Fatalf("the fault's effect: until %q after %.2fs, want healed within the heal's delay", slow.Until, slow.EffectS)
	}
	t.Logf("fault at %.3fs, heal at %.3fs (%.0f ms later)", slow.StartS, cure.StartS, (cure.StartS-slow.StartS)*1000)
}
