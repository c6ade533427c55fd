package experiments

import (
	"strings"
	"testing"

	"github.com/scalelab/scalelab/fleet"
)

// newFleet is a fleet of 3 replicas of v1 (cap 32), not started: what
// Check judges steps on.
func newFleet(t *testing.T) *fleet.Fleet {
	t.Helper()
	fl, err := fleet.New(fleet.Replicas(3))
	if err != nil {
		t.Fatal(err)
	}
	return fl
}

// TestCheckJudgesStepsOnTheFleetBeforeTheRun checks that each step that
// cannot succeed on the fleet as the steps before it leave it is refused
// before the run, naming the step, and that the same steps are accepted
// once the fleet can take them.
func TestCheckJudgesStepsOnTheFleetBeforeTheRun(t *testing.T) {
	fl := newFleet(t)
	for specs, want := range map[string]string{
		"1s:kill=abc":                                     `step "1s:kill=abc": no replica of the fleet is named "abc"`,
		"1s:kill=replica-0":                               `no replica of the fleet is named "replica-0"`,
		"1s:hang=replica-01":                              `no replica of the fleet is named "replica-01"`,
		"1s:latency=abc:10ms":                             `no replica of the fleet is named "abc"`,
		"1s:heal=abc":                                     `no replica of the fleet is named "abc"`,
		"1s:hang=99":                                      `step "1s:hang=99": 99 random replicas: 99 asked, 3 live (at 1s the cluster has 3 replicas)`,
		"1s:errors=4:30%":                                 "4 asked, 3 live",
		"1s:scale=5 2s:hang=5":                            "",
		"1s:scale=1 2s:kill=2":                            `step "2s:kill=2"`,
		"1s:scale=1 2s:kill=50%":                          "a share below 100% never takes all",
		"1s:scale=0 2s:kill=100%":                         "no live replica",
		"1s:scale=100000":                                 `step "1s:scale=100000": 100000 replicas: beyond the cluster's cap of 32`,
		"1s:scale=32":                                     "",
		"1s:rollback":                                     `step "1s:rollback": no earlier version to roll back to (v1 is the only version by then)`,
		"1s:upgrade=v1 2s:rollback":                       "no earlier version",
		"1s:upgrade=v2 2s:rollback":                       "",
		"1s:upgrade=v2 2s:rollback 3s:rollback":           "",
		"1s:bad-version=v3 2s:rollback":                   "",
		"1s:bad-version=v1":                               `step "1s:bad-version=v1": v1 is the version the cluster runs then: nothing would roll out`,
		"1s:upgrade=v2 2s:bad-version=v2":                 `"2s:bad-version=v2"`,
		"1s:upgrade=v2 2s:rollback 3s:bad-version=v1":     `"3s:bad-version=v1"`,
		"1s:bad-version=v3 2s:rollback 3s:bad-version=v3": "",
		"1s:upgrade=v2 2s:bad-version=v1":                 "",
		"1s:bad-version=v3 2s:bad-version=v3":             `"2s:bad-version=v3"`,
		"1s:kill=replica-999":                             "", // a name the fleet may reach: judged in the run
		"1s:kill=1 1s:hang=1":                             `steps "1s:kill=1" and "1s:hang=1" are both at 1s: which would act first is not defined; give them different times, such as 1s and 1.1s`,
		"1s:kill=1 1.1s:hang=1":                           "",
		"2s:pause 3s:resume":                              "", // the fleet pauses too
		"1s:canary=v2 2s:promote":                         "",
		"1s:canary=v2:50% 2s:rollback 3s:canary=v3:2 4s:promote 5s:rollback": "",
		"1s:canary=v1":                          `step "1s:canary=v1": v1 is the version the cluster runs then: nothing would roll out`,
		"1s:canary=v2:3":                        `step "1s:canary=v2:3": 3 of the 3 replicas the cluster has then: a canary leaves at least one on v1`,
		"1s:scale=1 2s:canary=v2":               `1 of the 1 replicas`,
		"1s:promote":                            `step "1s:promote": no canary is held then`,
		"1s:canary=v2 2s:promote 3s:promote":    `step "3s:promote": no canary is held then`,
		"1s:canary=v2 2s:rollback 3s:promote":   `step "3s:promote"`,
		"1s:canary=v2 2s:canary=v3":             `step "2s:canary=v3": a canary of v2 is held then`,
		"1s:canary=v2 2s:scale=5":               `step "2s:scale=5": a canary is held then`,
		"1s:canary=v2 2s:upgrade=v3 3s:promote": `step "3s:promote"`,
	} {
		steps, err := ParseSteps(strings.Fields(specs))
		if err != nil {
			t.Fatalf("%s: %v", specs, err)
		}
		err = Check(steps, fl)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v, want no error", specs, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: %v, want an error containing %q", specs, err, want)
		}
	}
}

// TestCheckReportsEveryProblemAtOnce checks that Check names each bad
// step, not only the first.
func TestCheckReportsEveryProblemAtOnce(t *testing.T) {
	steps, err := ParseSteps([]string{"1s:rollback", "2s:hang=99", "3s:scale=100000"})
	if err != nil {
		t.Fatal(err)
	}
	err = Check(steps, newFleet(t))
	for _, want := range []string{`"1s:rollback"`, `"2s:hang=99"`, `"3s:scale=100000"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check: %v, want %s named", err, want)
		}
	}
}

// TestCheckWithoutAPlanJudgesOnlyWhatItCan checks that on a cluster that
// does not say what it is (a Kubernetes Deployment), names and counts are
// left to the run, while two steps at one instant are still refused.
func TestCheckWithoutAPlanJudgesOnlyWhatItCan(t *testing.T) {
	steps, err := ParseSteps([]string{"1s:kill=demo-7d9f-x2", "2s:hang=99", "3s:rollback"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(steps, plainCluster{}); err != nil {
		t.Errorf("Check without a plan: %v", err)
	}
	steps, err = ParseSteps([]string{"1s:kill=1", "1s:scale=2"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(steps, plainCluster{}); err == nil || !strings.Contains(err.Error(), "both at 1s") {
		t.Errorf("two steps at 1s without a plan: %v", err)
	}
}
