package k8s

import (
	"fmt"
	"math"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults of the safety options.
const (
	// DefaultMaxKill is the most pods one action deletes when neither
	// MaxKill nor MaxKillPercent is set.
	DefaultMaxKill = 1
	// DefaultMinReplicas is the fewest replicas Scale accepts when
	// MinReplicas is 0.
	DefaultMinReplicas = 1
)

// Options chooses the Deployment and the safety rules.
type Options struct {
	// Namespace and Name name the Deployment.
	Namespace, Name string
	// Service names the Service whose EndpointSlices give the endpoints;
	// empty means the Service in the namespace whose selector matches the
	// Deployment's pod labels.
	Service string
	// Container names the container whose image is the version; empty
	// means the only container (with several, Upgrade asks for one, and
	// the version shown is the first one's).
	Container string
	// ReadOnly refuses every action (--read-only).
	ReadOnly bool
	// DryRun sends every write with server-side dry run, reports what
	// would happen as a Note event and does not wait (--dry-run).
	DryRun bool
	// MaxKill caps the pods one action deletes (--max-kill); 0 means
	// DefaultMaxKill. MaxKillPercent, when above 0, replaces it: the cap
	// is that share (0..100] of the live pods, rounded down (--max-kill
	// 50%).
	MaxKill        int
	MaxKillPercent float64
	// MinReplicas is the fewest replicas Scale accepts (--min-replicas);
	// 0 means DefaultMinReplicas, below 0 allows scaling to zero.
	MinReplicas int
	// Confirm asks the UI to confirm destructive actions (false: --yes).
	Confirm bool
	// Where names the cluster (or context) in messages and confirmations.
	Where string
}

// minReplicas is the scale floor.
func (o Options) minReplicas() int {
	switch {
	case o.MinReplicas == 0:
		return DefaultMinReplicas
	case o.MinReplicas < 0:
		return 0
	}
	return o.MinReplicas
}

// killCap is the most pods one action may delete with live pods live, and
// the flag value that set it ("1", "50%").
func (o Options) killCap(live int) (int, string) {
	if o.MaxKillPercent > 0 {
		return int(math.Floor(o.MaxKillPercent*float64(live)/100 + 1e-9)),
			strconv.FormatFloat(o.MaxKillPercent, 'g', 4, 64) + "%"
	}
	if o.MaxKill > 0 {
		return o.MaxKill, strconv.Itoa(o.MaxKill)
	}
	return DefaultMaxKill, strconv.Itoa(DefaultMaxKill)
}

// validate returns what is wrong with o.
func (o Options) validate() error {
	switch {
	case o.Name == "":
		return fmt.Errorf("k8s: no deployment name")
	case o.Namespace == "":
		return fmt.Errorf("k8s: deployment/%s: no namespace", o.Name)
	case o.MaxKill < 0:
		return fmt.Errorf("k8s: --max-kill %d: want at least 0", o.MaxKill)
	case o.MaxKillPercent < 0 || o.MaxKillPercent > 100:
		return fmt.Errorf("k8s: --max-kill %g%%: want 0..100%%", o.MaxKillPercent)
	}
	return nil
}

// refuseReadOnly refuses action what under ReadOnly.
func (o Options) refuseReadOnly(what string) error {
	if o.ReadOnly {
		return fmt.Errorf("read-only: %s refused (--read-only)", what)
	}
	return nil
}

// checkScale refuses a scale to n below the floor.
func (o Options) checkScale(n int) error {
	if n < 0 {
		return fmt.Errorf("scale to %d: want at least 0 replicas", n)
	}
	if min := o.minReplicas(); n < min {
		return fmt.Errorf("scale to %d refused: below the minimum of %d replicas (--min-replicas)", n, min)
	}
	return nil
}

// checkKill refuses deleting n of live pods above the cap.
func (o Options) checkKill(n, live int) error {
	limit, flag := o.killCap(live)
	if n > limit {
		if o.MaxKillPercent > 0 {
			return fmt.Errorf("kill %d pods refused: above the cap of %s of %d live pods = %d (--max-kill %s)", n, flag, live, limit, flag)
		}
		return fmt.Errorf("kill %d pods refused: above the cap of %d (--max-kill %s)", n, limit, flag)
	}
	return nil
}

// dryRun is the DryRun field of a write's options: server-side dry run
// when o.DryRun.
func (o Options) dryRun() []string {
	if o.DryRun {
		return []string{metav1.DryRunAll}
	}
	return nil
}
