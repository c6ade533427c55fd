package cli

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/experiments"
	"github.com/scalelab/scalelab/k8s"
	"github.com/scalelab/scalelab/session"
	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// k8sRun is scalelab run --k8s: the load, the UI (or the headless lines)
// and the steps on a Kubernetes Deployment.
type k8sRun struct {
	cmd      *cobra.Command
	io       streams
	lf       *loadFlags
	kf       *k8sFlags
	af       *agentsFlags
	headless bool
	// where is the URL argument: a URL (the load goes there), a path (the
	// load balances across the endpoints, to that path), or "" (the same,
	// to /).
	where string
	// plan is --plan's plan, nil without one.
	plan *experiments.Plan
}

// run checks the flags, connects, starts watching the Deployment and runs
// the session.
func (r k8sRun) run() error {
	name, err := k8s.ParseTarget(r.kf.target)
	if err != nil {
		return badInput("--k8s: %w", err)
	}
	steps, err := experiments.ParseSteps(r.kf.steps)
	if err != nil {
		return usageError{err}
	}
	if err := r.kf.check(steps); err != nil {
		return err
	}
	opts, err := r.lf.options(r.cmd.Flags())
	if err != nil {
		return err
	}
	if err := r.checkWhere(); err != nil {
		return err
	}
	if err := checkStepsInWindow(steps, r.lf.window()); err != nil {
		return err
	}
	if err := r.lf.rec.check(); err != nil {
		return err
	}
	if !r.headless && !(r.agents() && r.kf.dryRun) { // the agents' dry run prints and sends nothing
		if _, err := terminal(r.io); err != nil {
			return err
		}
	}
	klog.SetLogger(logr.Discard()) // client-go's own logging would draw over the UI
	conn, err := k8s.Connect(k8s.ConnectOptions{Kubeconfig: r.kf.kubeconfig, Context: r.kf.context, Namespace: r.kf.namespace})
	if err != nil {
		return usageError{err} // a bad kubeconfig, or no cluster there to reach
	}
	maxKill, maxKillPct, _ := r.kf.killCap()
	d, err := k8s.New(conn.Client, k8s.Options{
		Namespace: conn.Namespace, Name: name, Service: r.kf.service, Container: r.kf.container,
		ReadOnly: r.kf.readOnly, DryRun: r.kf.dryRun, MaxKill: maxKill, MaxKillPercent: maxKillPct,
		MinReplicas: minReplicas(r.kf.minReplicas), Confirm: !r.kf.yes, Where: cmp.Or(conn.Context, conn.Cluster),
	})
	if err != nil {
		return usageError{err}
	}
	var planned []experiments.PlanStep
	if r.plan != nil {
		if planned, err = planSteps(r.plan, steps, r.lf.window(), r.lf.concurrency > 0, d); err != nil {
			return err
		}
	} else {
		if err := experiments.Check(steps, d); err != nil {
			return usageError{err}
		}
		planned = experiments.AtSteps(steps)
	}
	if r.agents() {
		a, err := r.startAgents(conn)
		if err != nil || a == nil {
			return err // a dry run printed the Job
		}
		defer r.endAgents(a)
		return r.session(d, conn, name, planned, opts, a)
	}
	return r.session(d, conn, name, planned, opts, nil)
}

// agents says whether the load comes from agents run in the cluster
// (--agents N).
func (r k8sRun) agents() bool { return r.af != nil && r.af.count > 0 }

// session runs the load on d, headless or in the UI: the session starts
// watching it, then the load goes to the URL or across its endpoints.
// With agents, the load is theirs, to the URL, or balanced by them over
// the Deployment's ready endpoints as they change (they run in the
// cluster).
func (r k8sRun) session(d *k8s.Deployment, conn *k8s.Connection, name string, steps []experiments.PlanStep, opts []engine.Option, a *k8s.Agents) error {
	model := r.lf.model(r.cmd.Flags())
	spec := runSpec{cmd: r.cmd, io: r.io, lf: r.lf, command: "run", opts: opts, model: model,
		cluster: d, kind: "kubernetes", steps: steps, stopTimeout: 3 * time.Second,
		resolve: func() (engine.Target, []engine.Option, error) {
			url, extra := r.where, []engine.Option(nil)
			if r.balanced() {
				url = fmt.Sprintf("http://%s.%s%s", cmp.Or(d.Service(), name), conn.Namespace, cmp.Or(url, "/"))
				if a == nil {
					extra = append(extra, engine.Balance(d.Endpoints()))
				}
			}
			t, err := r.lf.target(url)
			return t, extra, err
		},
		opened: func(i session.Info) { r.describe(d, r.lf.shown(i.Target.URL), model) },
	}
	if a != nil {
		if r.balanced() {
			r.af.endpoints = d.Endpoints() // the agents balance over the ready pods, as scalelab would
		}
		if err := r.af.applyStarted(r.cmd.Flags(), r.lf, &spec, a.Addrs(), a.HTTP(), a.Token()); err != nil {
			return err
		}
		model = spec.model
	}
	if r.plan != nil {
		if err := spec.applyPlan(r.plan, d); err != nil {
			return err
		}
		search, err := planSearch(r.plan, false, progressOut(r.headless, r.io.err))
		if err != nil {
			return err
		}
		spec.search = search
	}
	fmt.Fprintf(r.io.err, "scalelab run: watching deployment/%s in namespace %s (context %s)…\n", name, conn.Namespace, conn.Context)
	if r.headless {
		return spec.headless()
	}
	return spec.interactive()
}

// checkWhere checks the URL argument before connecting: a URL the engine
// can send to, or a path without spaces and control characters.
func (r k8sRun) checkWhere() error {
	if !r.balanced() {
		return checkURL(r.where)
	}
	if strings.IndexFunc(r.where, func(c rune) bool { return c <= ' ' || c == 0x7f }) >= 0 {
		return badInput("path %q: a space or control character; percent-encode it", r.where)
	}
	return nil
}

// balanced says whether the load goes to the Deployment's endpoints
// (balanced by scalelab) rather than to a URL.
func (r k8sRun) balanced() bool { return r.where == "" || strings.HasPrefix(r.where, "/") }

// describe prints the Deployment's state and where the load goes.
func (r k8sRun) describe(d *k8s.Deployment, url, model string) {
	st := d.State()
	to := url
	switch {
	case r.balanced() && r.agents():
		to = fmt.Sprintf("%d ready endpoints (balanced by the agents)", len(d.Endpoints().List()))
	case r.balanced():
		to = fmt.Sprintf("%d ready endpoints (balanced by scalelab)", len(d.Endpoints().List()))
	}
	fmt.Fprintf(r.io.err, "scalelab run: %d/%d ready, version %s, maxSurge %d maxUnavailable %d; %s to %s\n",
		st.Count(cluster.Ready), st.Desired, st.Version, st.MaxSurge, st.MaxUnavailable, model, to)
}

// minReplicas maps --min-replicas to k8s.Options.MinReplicas, where 0
// means the default (1) and a negative value allows scaling to zero.
func minReplicas(flag int) int {
	if flag == 0 {
		return -1
	}
	return flag
}
