package cli

import (
	"context"
	"fmt"
	"os/signal"
	"time"

	"github.com/scalelab/scalelab/k8s"
	"sigs.k8s.io/yaml"
)

// agentsDeadlineMargin is how long past the load's window the agents'
// Job may run before the cluster stops it (a controller killed before it
// could delete the Job).
const agentsDeadlineMargin = 5 * time.Minute

// startAgents starts run --k8s --agents N's agents in conn's namespace
// and waits for them, Ctrl-C stopping the wait (and deleting what it
// created). With --dry-run it prints the Secret and the Job that would be
// created and returns nil agents: no load is sent.
func (r k8sRun) startAgents(conn *k8s.Connection) (*k8s.Agents, error) {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	defer stop()
	o := k8s.AgentsOptions{Namespace: conn.Namespace, Count: r.af.count, MaxAgents: r.af.maxAgents, DryRun: r.kf.dryRun,
		Image: r.af.image, RequestsCPU: r.af.requests.cpu, RequestsMemory: r.af.requests.memory,
		LimitsCPU: r.af.limits.cpu, LimitsMemory: r.af.limits.memory,
		Labels: map[string]string{"app.kubernetes.io/part-of": "scalelab"}}
	if w := r.lf.window(); w > 0 {
		o.ActiveDeadline = w + k8s.DefaultAgentsReadyTimeout + agentsDeadlineMargin
	}
	if !r.kf.dryRun {
		fmt.Fprintf(r.io.err, "scalelab run: starting %d agents in namespace %s…\n", r.af.count, conn.Namespace)
	}
	a, err := k8s.StartAgents(ctx, conn.Client, conn.Config, o)
	if err != nil {
		return nil, err
	}
	if r.kf.dryRun {
		return nil, printAgentObjects(r.io, a)
	}
	fmt.Fprintf(r.io.err, "scalelab run: job/%s: %d agents ready\n", a.Job(), len(a.Pods()))
	return a, nil
}

// endAgents deletes the agents' Job at the end of the run, or with
// --keep-agents says it is kept.
func (r k8sRun) endAgents(a *k8s.Agents) {
	if r.af.keep {
		fmt.Fprintf(r.io.err, "scalelab run: kept job/%s and secret/%s (--keep-agents); delete with: kubectl delete job %s\n", a.Job(), a.Job(), a.Job())
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Delete(ctx); err != nil {
		fmt.Fprintf(r.io.err, "scalelab run: %v\n", err)
		return
	}
	fmt.Fprintf(r.io.err, "scalelab run: deleted job/%s\n", a.Job())
}

// printAgentObjects prints the Secret (its token hidden) and the Job a dry
// run would create, as YAML documents on stdout.
func printAgentObjects(io streams, a *k8s.Agents) error {
	s, j := a.Objects()
	hidden := map[string]string{}
	for k := range s.Data {
		hidden[k] = "(hidden)"
	}
	s, j = s.DeepCopy(), j.DeepCopy()
	s.Data, s.StringData = nil, hidden
	s.ManagedFields, j.ManagedFields = nil, nil
	for _, obj := range []any{s, j} {
		b, err := yaml.Marshal(obj)
		if err != nil {
			return fmt.Errorf("dry run: %w", err)
		}
		fmt.Fprintf(io.out, "---\n%s", b)
	}
	fmt.Fprintf(io.err, "scalelab run: dry run: secret/%s and job/%s would be created (server-side dry run); no load sent\n", s.Name, j.Name)
	return nil
}
