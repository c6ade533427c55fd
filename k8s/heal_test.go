package k8s

import (
	"strings"
	"testing"

	"github.com/scalelab/scalelab/experiments"
)

// TestHealIsRefusedBeforeTheRun checks that a heal step, which the
// Deployment cannot run (its replicas' faults need the demo service), is
// refused by experiments.Supported before the run starts.
func TestHealIsRefusedBeforeTheRun(t *testing.T) {
	for _, spec := range []string{"5s:heal", "5s:heal=demo-7d9f-x2"} {
		steps, err := experiments.ParseSteps([]string{spec})
		if err != nil {
			t.Fatal(err)
		}
		if err := experiments.Supported(steps, &Deployment{}); err == nil || !strings.Contains(err.Error(), "heal is not available") {
			t.Errorf("%s on a Deployment: %v, want it refused", spec, err)
		}
	}
}
