package cli

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/k8s"
	"github.com/spf13/pflag"
)

// k8sFlags are scalelab run's Kubernetes settings: which Deployment, how
// to reach the cluster (as kubectl does), and the safety limits.
type k8sFlags struct {
	target      string // deployment/NAME
	kubeconfig  string
	context     string
	namespace   string
	service     string
	container   string
	readOnly    bool
	dryRun      bool
	yes         bool
	maxKill     string
	minReplicas int
	steps       []string
}

func (f *k8sFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.target, "k8s", "", "attach a Kubernetes Deployment: deployment/NAME")
	fs.StringVar(&f.kubeconfig, "kubeconfig", "", "kubeconfig file (default: $KUBECONFIG or ~/.kube/config, as kubectl)")
	fs.StringVar(&f.context, "context", "", "kubeconfig context (default: the current context)")
	fs.StringVarP(&f.namespace, "namespace", "n", "", "namespace (default: the context's)")
	fs.StringVar(&f.service, "service", "", "Service whose endpoints the load balances across (default: the one selecting the Deployment's pods)")
	fs.StringVar(&f.container, "container", "", "container whose image an upgrade changes (default: the only one)")
	fs.BoolVar(&f.readOnly, "read-only", false, "watch and send load only: every cluster action is refused")
	fs.BoolVar(&f.dryRun, "dry-run", false, "send cluster actions with server-side dry run: shown, not applied")
	fs.BoolVar(&f.yes, "yes", false, "do not ask before destructive actions (scripted runs)")
	fs.StringVar(&f.maxKill, "max-kill", "1", "most pods one action may delete: a count, or a share such as 50%")
	fs.IntVar(&f.minReplicas, "min-replicas", 1, "never scale below this many replicas")
	fs.StringArrayVar(&f.steps, "step", nil, "scripted step "+experiments.Syntax+" (repeatable; needs --k8s)")
}

// killCap parses --max-kill: a pod count, or a percentage of the live
// pods.
func (f *k8sFlags) killCap() (count int, percent float64, err error) {
	s := strings.TrimSpace(f.maxKill)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		v, perr := strconv.ParseFloat(p, 64)
		if perr != nil || !(v > 0 && v <= 100) { // NaN is neither
			return 0, 0, badInput("--max-kill %q: want a pod count such as 2 or a share such as 50%%", f.maxKill)
		}
		return 0, v, nil
	}
	n, cerr := strconv.Atoi(s)
	if cerr != nil || n < 0 {
		return 0, 0, badInput("--max-kill %q: want a pod count such as 2 or a share such as 50%%", f.maxKill)
	}
	return n, 0, nil
}

// orphans returns a bad-input error when a Kubernetes flag is set without
// --k8s.
func (f *k8sFlags) orphans(fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(fl *pflag.Flag) {
		if err == nil && k8sOnly[fl.Name] {
			err = badInput("--%s needs a cluster: --k8s deployment/NAME (or scalelab demo for the local fleet)", fl.Name)
		}
	})
	return err
}

// k8sOnly are the flags that mean something only with --k8s.
var k8sOnly = map[string]bool{
	"kubeconfig": true, "context": true, "namespace": true, "service": true, "container": true,
	"read-only": true, "dry-run": true, "yes": true, "max-kill": true, "min-replicas": true, "step": true,
}

// check finds bad and contradictory settings before anything connects:
// names that cannot be (-n, --service, --container, --context), steps
// under --read-only, destructive steps without --yes (or --dry-run), a
// negative --min-replicas.
func (f *k8sFlags) check(steps []experiments.Step) error {
	if err := f.checkNames(); err != nil {
		return err
	}
	if f.minReplicas < 0 || f.minReplicas > math.MaxInt32 {
		return badInput("--min-replicas %d: want 0..%d (a Deployment's replicas are a 32-bit count)", f.minReplicas, math.MaxInt32)
	}
	if _, _, err := f.killCap(); err != nil {
		return err
	}
	for _, s := range steps {
		switch {
		case f.readOnly:
			return badInput("step %q: --read-only refuses every cluster action (drop --step or --read-only)", s.Spec)
		case !f.yes && !f.dryRun && s.Action != "pause" && s.Action != "resume":
			return badInput("step %q changes %s: add --yes to run destructive steps unattended (or --dry-run)", s.Spec, f.target)
		}
	}
	return nil
}

// checkNames checks the syntax of the names the flags give, so that a typo
// is reported before connecting rather than as an object not found.
func (f *k8sFlags) checkNames() error {
	if err := k8s.CheckLabel(f.namespace); err != nil {
		return badInput("--namespace %q: %w", f.namespace, err)
	}
	if err := k8s.CheckServiceName(f.service); err != nil {
		return badInput("--service %q: %w", f.service, err)
	}
	if err := k8s.CheckLabel(f.container); err != nil {
		return badInput("--container %q: %w", f.container, err)
	}
	if strings.IndexFunc(f.context, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return badInput("--context %q: a context name has no control characters", f.context)
	}
	return nil
}
