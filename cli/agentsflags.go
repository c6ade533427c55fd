package cli

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/agent"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/k8s"
	"github.com/scalelab/scalelab/probes"
	"github.com/scalelab/scalelab/report"
	"github.com/scalelab/scalelab/session"
	"github.com/scalelab/scalelab/ui/components/agents"
	"github.com/spf13/pflag"
)

// agentsFlags are --agents-at and --token-file: the load sent by agents
// on other machines (`scalelab agent`), merged here.
type agentsFlags struct {
	at        []string
	tokenFile string
	onLoss    string
	// count, maxAgents and keep are run --k8s's --agents N, --max-agents
	// and --keep-agents: the agents run in the cluster as a Job.
	count, maxAgents int
	keep             bool
	// image, requestsFlag and limitsFlag are --agent-image,
	// --agent-requests and --agent-limits; requests and limits their
	// quantities once checkK8s parsed them.
	image, requestsFlag, limitsFlag string
	requests, limits                agentResources
	// started are the agents run in the cluster, once they are ready:
	// their pod-proxy addresses, the client reaching them, the run's
	// token.
	started *startedAgents
	// pool is the run's, once the session built it; control the
	// session's, once it opened (agentsSink).
	pool    *agent.Pool
	mu      sync.Mutex
	control session.Control
	// endpoints (optional) is what the agents balance over, as it
	// changes (a Deployment's ready pods).
	endpoints *engine.Endpoints
}

// The agents' load starts a moment after its arming: the session times
// the steps from then.
var _ session.Deferred = (*agent.Pool)(nil)

// agentsSink gives the agents' events a way into the session: it keeps
// the session's Control for the pool's loss callback.
type agentsSink struct{ f *agentsFlags }

func (a agentsSink) Open(i session.Info) error {
	a.f.mu.Lock()
	a.f.control = i.Control
	a.f.mu.Unlock()
	return nil
}
func (agentsSink) Tick(session.Tick)           {}
func (agentsSink) Event(session.Event)         {}
func (agentsSink) Close(*session.Result) error { return nil }

// probe hands an agent's second of probes to the session as the
// generator probes' reading (session.GeneratorSampled), its reasons
// naming the agent: the session's generator sink (following them, as a
// replay's does) judges the agents' seconds, the thresholds on the
// generator and the canary's generator bound with it, and the recording
// keeps them.
func (f *agentsFlags) probe(a int, pr agent.Probe) {
	f.mu.Lock()
	c, p := f.control, f.pool
	f.mu.Unlock()
	if p == nil {
		return
	}
	at := p.Start().Add(pr.End)
	// The sample carries the time only: its figures are the agent's own
	// (in the agents panel), no saturation panel's.
	r := session.GeneratorReading{End: pr.End, Span: pr.Span, Saturated: pr.Saturated, Reasons: []string{},
		Sample: probes.GeneratorSample{At: at}}
	for i, why := range pr.Reasons {
		r.Reasons = append(r.Reasons, fmt.Sprintf("agent %d: %s", a, why))
		kind := why
		if i < len(pr.Kinds) {
			kind = pr.Kinds[i]
		}
		r.Findings = append(r.Findings, probes.Finding{Kind: fmt.Sprintf("agent %d %s", a, kind)})
	}
	msg := fmt.Sprintf("agent %d: cpu %.2f of %g cores, run delay %.0f ms/s: keeps up", a, pr.CPU, pr.CPULimit, pr.RunDelay)
	if pr.Saturated {
		msg = fmt.Sprintf("agent %d sets the pace: %s", a, strings.Join(pr.Reasons, ", "))
	}
	c.Emit(session.Event{Time: at, Source: session.FromGenerator, Kind: session.GeneratorSampled,
		Message: msg, Generator: &r})
}

// lost says an agent was lost, as an event of the session.
func (f *agentsFlags) lost(st agent.AgentStats) {
	f.mu.Lock()
	c := f.control
	f.mu.Unlock()
	how := "its share split over the others"
	if st.NotReassigned > 0 {
		how = fmt.Sprintf("its share split over the others within their headroom, %.0f req/s of it not sent", st.NotReassigned)
	}
	if f.onLoss == agent.Fail {
		how = "the run stops (--on-agent-loss fail)"
	}
	c.Emit(session.Event{Time: time.Now(), Source: session.FromAgents, Kind: session.AgentLost, Title: fmt.Sprintf("agent %d lost", st.Index),
		Message: fmt.Sprintf("agent %d (%s) lost at %.1fs: %s; %s", st.Index, st.Addr, st.LostAt, st.Err, how)})
}

func (f *agentsFlags) register(fs *pflag.FlagSet) {
	fs.StringSliceVar(&f.at, "agents-at", nil, "send the load from these scalelab agents (`HOST:PORT,...`; scalelab agent on each machine), each a share, their ticks merged exactly here")
	fs.StringVar(&f.tokenFile, "token-file", "", "with --agents-at: the file holding the run's token, the agents' --token-file")
	fs.StringVar(&f.onLoss, "on-agent-loss", agent.Reassign, "with --agents-at or --agents: what a lost agent's share does: reassign (split over the agents left) or fail (stop the run)")
}

// startedAgents are agents this run started: where they answer, the
// client that reaches them there, and the token they require.
type startedAgents struct {
	addrs []string
	http  *http.Client
	token string
}

// registerK8s adds run --k8s's flags of the agents run in the cluster.
func (f *agentsFlags) registerK8s(fs *pflag.FlagSet) {
	fs.IntVar(&f.count, "agents", 0, "with --k8s: send the load from N scalelab agents run in the cluster as an Indexed Job, reached through the API server (deleted at the end)")
	fs.IntVar(&f.maxAgents, "max-agents", k8s.DefaultMaxAgents, "with --agents: the most agents a run may start")
	fs.StringVar(&f.image, "agent-image", k8s.DefaultAgentImage, "with --agents: the agents' `IMAGE`, one that runs scalelab agent (the scalelab image deploy/ runs)")
	fs.StringVar(&f.requestsFlag, "agent-requests", "", "with --agents: each agent's resource requests, `NAME=QUANTITY,...` of cpu and memory (cpu=500m,memory=256Mi); default none")
	fs.StringVar(&f.limitsFlag, "agent-limits", "", "with --agents: each agent's resource limits, `NAME=QUANTITY,...` of cpu and memory (cpu=1,memory=512Mi); default none; an agent judges its CPU against its CPU limit (generator bound)")
	fs.BoolVar(&f.keep, "keep-agents", false, "with --agents: keep the agents' Job at the end (its name is printed; the cluster deletes it 5 minutes after it finishes)")
}

// agentsOnlyFlags are the flags of run --k8s that mean nothing without
// --agents N.
var agentsOnlyFlags = []string{"max-agents", "keep-agents", "agent-image", "agent-requests", "agent-limits"}

// checkK8s finds bad --agents flags before anything starts: without
// --k8s, with --agents-at, a count outside 1..--max-agents, with
// --read-only (the Job is a write), an empty image, bad resources
// (checkResources), what agents cannot do (checkShared).
func (f *agentsFlags) checkK8s(fs *pflag.FlagSet, lf *loadFlags, k8sRun, readOnly bool) error {
	given := fs.Changed("agents")
	if !given {
		for _, name := range agentsOnlyFlags {
			if fs.Changed(name) {
				return badInput("--%s: without --agents N there are no agents to start", name)
			}
		}
		return nil
	}
	switch {
	case !k8sRun:
		return badInput("--agents: needs a cluster to run them in: --k8s deployment/NAME (or --agents-at for agents already running)")
	case f.set():
		return badInput("--agents: not with --agents-at (agents started here, or agents already running: one of them)")
	case f.tokenFile != "":
		return badInput("--token-file: not with --agents (the run makes its own token)")
	case f.maxAgents < 1:
		return badInput("--max-agents %d: want at least 1", f.maxAgents)
	case f.count < 1:
		return badInput("--agents %d: want at least 1", f.count)
	case f.count > f.maxAgents:
		return badInput("--agents %d refused: above the cap of %d (--max-agents)", f.count, f.maxAgents)
	case readOnly:
		return badInput("--agents: not with --read-only (starting the agents' Job is a write)")
	case strings.TrimSpace(f.image) == "":
		return badInput("--agent-image: empty: want an image that runs scalelab (default %s)", k8s.DefaultAgentImage)
	case strings.TrimSpace(f.image) != f.image:
		return badInput("--agent-image %q: spaces around the image", f.image)
	}
	if err := f.checkResources(fs); err != nil {
		return err
	}
	return f.checkShared(lf, "--agents")
}

// checkResources parses --agent-requests and --agent-limits, when given,
// and finds a request above its limit.
func (f *agentsFlags) checkResources(fs *pflag.FlagSet) error {
	for _, r := range []struct {
		flag, value string
		into        *agentResources
	}{{"agent-requests", f.requestsFlag, &f.requests}, {"agent-limits", f.limitsFlag, &f.limits}} {
		if !fs.Changed(r.flag) {
			continue
		}
		var err error
		if *r.into, err = parseAgentResources(r.flag, r.value); err != nil {
			return err
		}
	}
	return checkAgentResources(f.requests, f.limits)
}

// set reports agents given.
func (f *agentsFlags) set() bool { return len(f.at) > 0 }

// token reads the token, or says what is wrong, as bad input.
func (f *agentsFlags) token() (string, error) {
	if f.tokenFile == "" {
		return "", badInput("--agents-at: needs --token-file (the agents' token)")
	}
	b, err := os.ReadFile(f.tokenFile)
	if err != nil {
		return "", badInput("--token-file: %v", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", badInput("--token-file %s: empty", f.tokenFile)
	}
	return tok, nil
}

// check finds bad agent flags before anything starts: a token file
// without agents, an address that is not HOST:PORT, one given twice, a
// load the agents cannot send (retries).
func (f *agentsFlags) check(fs *pflag.FlagSet, lf *loadFlags) error {
	if !f.set() {
		if f.tokenFile != "" {
			return badInput("--token-file: without --agents-at there is no agent to give it")
		}
		return nil
	}
	seen := map[string]bool{}
	for _, a := range f.at {
		host, port, err := net.SplitHostPort(a)
		if err != nil || host == "" || port == "" {
			return badInput("--agents-at %q: want HOST:PORT", a)
		}
		if seen[a] {
			return badInput("--agents-at %s: given twice", a)
		}
		seen[a] = true
	}
	if err := f.checkShared(lf, "--agents-at"); err != nil {
		return err
	}
	_, err := f.token()
	return err
}

// checkShared checks what agents of either kind (flag: --agents-at,
// --agents) need: a known --on-agent-loss, no retries.
func (f *agentsFlags) checkShared(lf *loadFlags, flag string) error {
	if f.onLoss != agent.Reassign && f.onLoss != agent.Fail {
		return badInput("--on-agent-loss %q: want reassign or fail", f.onLoss)
	}
	if lf.retry.Max > 0 || lf.retries > 0 {
		return badInput("--retries: not with %s (the agents send each request once)", flag)
	}
	return nil
}

// newLoad is the session's load over the agents: each its share of the
// load the flags set, to the session's target.
func (f *agentsFlags) newLoad(fs *pflag.FlagSet, lf *loadFlags) (session.NewLoad, error) {
	addrs, hc := f.at, (*http.Client)(nil)
	var tok string
	if f.started != nil {
		addrs, hc, tok = f.started.addrs, f.started.http, f.started.token
	} else {
		var err error
		if tok, err = f.token(); err != nil {
			return nil, err
		}
	}
	spec := agent.Spec{Interval: session.Interval, Window: lf.duration, Timeout: lf.timeout,
		MaxInflight: lf.maxInflight, Drain: quitDrain, KeepAlive: !lf.noKeepAlive, Insecure: lf.insecure}
	switch {
	case fs.Changed("stages"):
		spec.Stages, spec.Window = lf.stageList(), 0
	case fs.Changed("concurrency"):
		spec.Concurrency = lf.concurrency
	case fs.Changed("rate"):
		spec.Rate = lf.rate
	default:
		spec.Rate = float64(lf.rateDefault())
	}
	return func(target engine.Target, onSnapshot func(*engine.Snapshot)) (session.Load, error) {
		spec := spec
		spec.Target = target
		p, err := agent.NewPool(addrs, tok, spec, agent.PoolOptions{HTTP: hc, OnSnapshot: onSnapshot, OnLoss: f.onLoss,
			OnLost: f.lost, OnProbe: f.probe, Endpoints: f.endpoints})
		if err != nil {
			return nil, fmt.Errorf("agents: %w", err)
		}
		f.pool = p
		return p, nil
	}, nil
}

// result is the agents' part of the summary, nil without agents.
func (f *agentsFlags) result() *report.AgentsResult {
	if f.pool == nil {
		return nil
	}
	r := &report.AgentsResult{Count: f.pool.Agents(), OnLoss: f.onLoss, MissingTicks: f.pool.MissingTicks(), Agents: []report.AgentResult{}}
	for _, s := range f.pool.Stats() {
		if s.State == "lost" {
			r.Lost++
			r.Missing += s.Missing
		}
		a := report.AgentResult{Index: s.Index, Addr: s.Addr, State: s.State, Requests: s.Requests,
			Failed: s.Failed, Dropped: s.Dropped, Late: s.Late, LostAtS: s.LostAt, Error: s.Err, Missing: s.Missing, NotReassigned: s.NotReassigned,
			SaturatedS: s.SaturatedS, SampledS: s.SampledS}
		a.Pod, _ = agent.PodName(s.Addr)
		if pr := s.Probe; pr != nil {
			a.CPU, a.CPULimit, a.Reasons = pr.CPU, pr.CPULimit, pr.Reasons
		}
		a.GeneratorBound = s.SaturatedS > 0 && float64(s.SaturatedS) >= session.GeneratorBoundShare*float64(s.SampledS)
		if a.GeneratorBound {
			r.GeneratorBound++
		}
		r.Agents = append(r.Agents, a)
	}
	return r
}

// rows are the agents as the UI's agents panel shows them, none before
// the session built the pool.
func (f *agentsFlags) rows() []agents.Row {
	if f.pool == nil {
		return nil
	}
	var out []agents.Row
	for _, s := range f.pool.Stats() {
		row := agents.Row{Index: s.Index, Addr: s.Addr, State: s.State, Achieved: s.Achieved, Rate: s.Rate,
			Connections: s.Connections, Late: s.Late, Dropped: s.Dropped}
		if pr := s.Probe; pr != nil {
			row.CPU, row.CPULimit, row.CPUKnown, row.Saturated = pr.CPU, pr.CPULimit, true, pr.Saturated
		}
		out = append(out, row)
	}
	return out
}

// failed is the run's failure when it lost an agent and
// --on-agent-loss fail says that fails it (the summary printed first).
func (f *agentsFlags) failed() error {
	if f.pool == nil || f.onLoss != agent.Fail {
		return nil
	}
	if lost := f.pool.Lost(); len(lost) > 0 {
		return verdictError{err: fmt.Errorf("run: lost agent %d (%s) at %.1fs (--on-agent-loss fail)", lost[0].Index, lost[0].Addr, lost[0].At.Seconds())}
	}
	return nil
}

// apply makes spec's load the agents' when agents are given: the pool,
// its part of the summary and its panel, its events' sink, and the model
// saying so; bad agent flags are bad input.
func (f *agentsFlags) apply(fs *pflag.FlagSet, lf *loadFlags, spec *runSpec) error {
	if err := f.check(fs, lf); err != nil {
		return err
	}
	if !f.set() {
		return nil
	}
	return f.wire(fs, lf, spec, len(f.at))
}

// applyStarted makes spec's load that of agents this run started (run
// --k8s --agents), at addrs through hc, with token.
func (f *agentsFlags) applyStarted(fs *pflag.FlagSet, lf *loadFlags, spec *runSpec, addrs []string, hc *http.Client, token string) error {
	if err := f.checkShared(lf, "--agents"); err != nil {
		return err
	}
	f.started = &startedAgents{addrs: addrs, http: hc, token: token}
	return f.wire(fs, lf, spec, len(addrs))
}

// wire sets spec's load to n agents': the pool, its summary part, its
// panel, its sink, the model.
func (f *agentsFlags) wire(fs *pflag.FlagSet, lf *loadFlags, spec *runSpec, n int) error {
	load, err := f.newLoad(fs, lf)
	if err != nil {
		return err
	}
	spec.newLoad, spec.agents, spec.agentRows = load, f.result, f.rows
	spec.more = append(spec.more, agentsSink{f})
	spec.model = fmt.Sprintf("%s, from %d agents", spec.model, n)
	return nil
}
