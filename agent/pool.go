package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// DefaultLead is how far ahead of the arming the run's start is set, so
// that every agent, armed one after the other, starts together.
const DefaultLead = time.Second

// endGrace is how long past its drain a stopped agent may take to end
// its stream before the pool gives up on it.
const endGrace = 3 * time.Second

// What the pool does when it loses an agent (PoolOptions.OnLoss).
const (
	// Reassign splits the load again over the agents left.
	Reassign = "reassign"
	// Fail stops the run.
	Fail = "fail"
)

// PoolOptions configure a Pool.
type PoolOptions struct {
	// OnSnapshot (optional) is called with each merged tick, in order,
	// from one goroutine; the pool gives the snapshot up.
	OnSnapshot func(*engine.Snapshot)
	// HTTP is the client to the agents (nil: a client of the pool's).
	HTTP *http.Client
	// Lead is how far ahead of the arming the load starts (0:
	// DefaultLead).
	Lead time.Duration
	// Lag is the merger's patience in ticks (0: DefaultLag).
	Lag int
	// OnLoss is Reassign (the default) or Fail.
	OnLoss string
	// OnLost (optional) is told of each agent lost, as Stats has it then.
	OnLost func(AgentStats)
	// OnProbe (optional) is told of each agent's second of probes, from
	// the agent's stream's goroutine.
	OnProbe func(agent int, pr Probe)
	// Endpoints (optional) is a changing set of endpoints the agents
	// balance over (a Deployment's ready pods, engine.Balance): the
	// agents get it at their arming and each change (looked at every
	// tick) as it comes.
	Endpoints *engine.Endpoints
}

// followEndpoints pushes each change of the endpoints to the agents left
// until done closes, looking every interval.
func (p *Pool) followEndpoints(done <-chan struct{}, sent []engine.Endpoint) {
	t := time.NewTicker(p.spec.Interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		cur := p.opts.Endpoints.List()
		if slices.Equal(cur, sent) {
			continue
		}
		if err := p.each(p.live(), func(_ int, c *Client) error { return c.SetEndpoints(context.Background(), cur) }); err == nil {
			sent = cur
		}
	}
}

// AgentStats is one agent's part of the run so far.
type AgentStats struct {
	Index int    `json:"index"`
	Addr  string `json:"addr"`
	// State is "running", "ended" or "lost".
	State string `json:"state"`
	// Requests, Failed, Dropped and Late are the agent's own counts (its
	// ticks, merged into the run's).
	Requests uint64 `json:"requests"`
	Failed   uint64 `json:"failed"`
	Dropped  uint64 `json:"dropped"`
	Late     uint64 `json:"late"`
	// Rate is its open-loop share now (req/s), Connections its
	// closed-loop share; Achieved the rate its last tick achieved.
	Rate        float64 `json:"rate,omitempty"`
	Connections int     `json:"connections,omitempty"`
	Achieved    float64 `json:"achieved_rps"`
	// Probe is its generator probes' latest second (its CPU against
	// what it may use, its run delay, whether it set the pace);
	// SaturatedS and SampledS the seconds judged saturated and sampled.
	Probe      *Probe `json:"probe,omitempty"`
	SaturatedS int    `json:"saturated_s"`
	SampledS   int    `json:"sampled_s"`
	// LostAt is how far into the run it was lost, Err why (lost only);
	// Missing the open-loop requests of its share the merged figures
	// lack: those outstanding at the end of its last tick the controller
	// got (sent and unanswered, or due and waiting to be sent, as that
	// tick counted them), and, estimated from its share's rate, those due
	// from then to the reassignment (or the stop). Those it sent but never
	// reported, and those never sent.
	LostAt  float64 `json:"lost_at_s,omitempty"`
	Err     string  `json:"error,omitempty"`
	Missing float64 `json:"missing_requests,omitempty"`
	// NotReassigned is the part of its open-loop share (req/s) the
	// others had no headroom for (capacity), or in a ramp (Stages,
	// which the others keep) all of it at its last tick's rate, left
	// unsent from its reassignment on: Missing counts it to the run's
	// end, or to the next rate change.
	NotReassigned float64 `json:"not_reassigned_rps,omitempty"`
}

// Lost is an agent the run lost: its stream failed before its end.
type Lost struct {
	Index int
	Addr  string
	// At is how far into the run it was lost.
	At  time.Duration
	Err string
}

// Pool runs one load over several agents: it arms each with its share
// (Share) to start at one time, reads their frame streams, merges their
// ticks (Merger) and hands each merged tick on, as the local engine
// does; its rate, connection, pause and stop controls reach every agent
// left, the totals split again over them. An agent lost on the way has
// its share moved to the others (Reassign) or stops the run (Fail). It
// is what a session runs in place of an engine.
type Pool struct {
	clients []*Client
	spec    Spec // the whole load: Rate, Stages, Concurrency are totals
	opts    PoolOptions

	mu          sync.Mutex
	rate        float64
	concurrency int
	start       time.Time
	stats       []AgentStats
	lastEnd     []time.Duration // by agent: its last tick's end, from the start
	lastOut     []int64         // by agent: its requests outstanding at lastEnd
	lost        []Lost
	missing     int           // agent-ticks that went out without their agent
	stopping    bool          // the run is being stopped: agents' ends are expected
	armed       chan struct{} // closed once start is set
	// unplaced is by agent lost the rate of its share not reassigned
	// and since when, until settled into its Missing.
	unplaced []unplacedShare
	// reassigning is the reassignments under way, which Run's end
	// awaits.
	reassigning sync.WaitGroup
	// flat is set once a rate was set: the agents' ramps (Stages) are
	// over, each at its share of that rate.
	flat bool
}

// unplacedShare is a lost agent's share the others had no room for.
type unplacedShare struct {
	rate  float64
	since time.Duration
}

// NewPool returns the pool of the agents at addrs, token their run's
// secret, running spec (its load the total; its Index and Count are
// the pool's to set).
func NewPool(addrs []string, token string, spec Spec, opts PoolOptions) (*Pool, error) {
	if len(addrs) == 0 {
		return nil, errors.New("agents: none given")
	}
	if token == "" {
		return nil, errors.New("agents: no token")
	}
	if spec.Interval <= 0 {
		return nil, errors.New("agents: no tick interval")
	}
	switch opts.OnLoss {
	case "":
		opts.OnLoss = Reassign
	case Reassign, Fail:
	default:
		return nil, fmt.Errorf("agents: on loss %q: want %s or %s", opts.OnLoss, Reassign, Fail)
	}
	if opts.Lead <= 0 {
		opts.Lead = DefaultLead
	}
	p := &Pool{spec: spec, opts: opts, rate: spec.Rate, concurrency: spec.Concurrency,
		lastEnd: make([]time.Duration, len(addrs)), lastOut: make([]int64, len(addrs)), armed: make(chan struct{}), unplaced: make([]unplacedShare, len(addrs))}
	for i, a := range addrs {
		c := NewClient(a, token, opts.HTTP)
		p.clients = append(p.clients, c)
		p.stats = append(p.stats, AgentStats{Index: i, Addr: c.Addr(), State: "running"})
	}
	return p, nil
}

// Agents is the number of agents.
func (p *Pool) Agents() int { return len(p.clients) }

// liveLocked is the indexes of the agents not lost; p.mu is held.
func (p *Pool) liveLocked() []int {
	var live []int
	for i, s := range p.stats {
		if s.State != "lost" {
			live = append(live, i)
		}
	}
	return live
}

// share is agent i's part of the run at its arming.
func (p *Pool) share(i int, start time.Time) Spec {
	s := p.spec
	if p.opts.Endpoints != nil {
		s.Endpoints = p.opts.Endpoints.List()
	}
	s.Index, s.Count, s.StartAt = i, len(p.clients), start
	s.Rate = Share(p.spec.Rate, s.Count)
	s.Concurrency = ShareInt(p.spec.Concurrency, i, s.Count)
	if len(p.spec.Stages) > 0 {
		s.Stages = ShareStages(p.spec.Stages, s.Count)
	}
	return s
}

// each calls f for every agent in idx at once and joins their errors.
func (p *Pool) each(idx []int, f func(i int, c *Client) error) error {
	errs := make([]error, len(idx))
	var wg sync.WaitGroup
	for k, i := range idx {
		wg.Go(func() { errs[k] = f(i, p.clients[i]) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// all is every agent's index.
func (p *Pool) all() []int {
	idx := make([]int, len(p.clients))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// live is the indexes of the agents not lost.
func (p *Pool) live() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.liveLocked()
}

// arm checks every agent is free and arms each with its share, the load
// to start Lead from now; an agent that cannot be armed stops the
// others.
func (p *Pool) arm(ctx context.Context) (time.Time, error) {
	if err := p.each(p.all(), func(_ int, c *Client) error {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		if st.State == Armed || st.State == Running {
			return fmt.Errorf("agent %s: busy with run %s", c.Addr(), st.RunID)
		}
		return nil
	}); err != nil {
		return time.Time{}, err
	}
	start := time.Now().Add(p.opts.Lead)
	if err := p.each(p.all(), func(i int, c *Client) error { return c.Run(ctx, p.share(i, start)) }); err != nil {
		_ = p.each(p.all(), func(_ int, c *Client) error { return c.Stop(context.WithoutCancel(ctx)) })
		return time.Time{}, err
	}
	p.mu.Lock()
	p.start = start
	for i := range p.stats {
		sh := p.share(i, start)
		p.stats[i].Rate, p.stats[i].Connections = sh.Rate, sh.Concurrency
	}
	p.mu.Unlock()
	close(p.armed)
	return start, nil
}

// agentFrame is an agent's encoded tick, or its stream's end.
type agentFrame struct {
	agent int
	frame []byte
	end   bool
	err   error
}

// Run arms the agents, merges their ticks until every one ended (its
// window, or the stop when ctx ends: every agent is stopped and
// drains), and returns the merged run. An agent lost on the way (its
// stream cut, or a frame that does not decode) is left out from then
// on and its share moved to the others (Reassign) or the run stopped
// (Fail): Lost and Stats say which and when, and the error names them
// beside the result.
func (p *Pool) Run(ctx context.Context) (*engine.Result, error) {
	start, err := p.arm(ctx)
	if err != nil {
		return nil, err
	}
	frames := make(chan agentFrame, 64)
	streams, stopStreams := context.WithCancel(context.WithoutCancel(ctx))
	defer stopStreams()
	if p.opts.Endpoints != nil {
		go p.followEndpoints(streams.Done(), nil) // the first look pushes the set again: it may have changed since the arming
	}
	cut := make([]context.CancelFunc, len(p.clients))
	for i, c := range p.clients {
		sctx, cancel := context.WithCancel(streams)
		cut[i] = cancel
		go func() {
			defer cancel()
			var end End
			err := c.Frames(sctx, func(kind byte, payload []byte) error {
				switch kind {
				case MsgFrame:
					frames <- agentFrame{agent: i, frame: append([]byte(nil), payload...)}
				case MsgProbe:
					var pr Probe
					if json.Unmarshal(payload, &pr) == nil {
						p.probed(i, pr)
					}
				case MsgEnd:
					_ = json.Unmarshal(payload, &end)
				}
				return nil
			})
			if err == nil {
				err = p.earlyEnd(end, start)
			}
			frames <- agentFrame{agent: i, end: true, err: err}
		}()
	}
	m := NewMerger(len(p.clients), start, p.spec.Interval, p.opts.Lag)
	total := engine.NewSnapshot()
	hand := func(ms []Merged) {
		for _, t := range ms {
			p.mu.Lock()
			p.missing += len(t.Missing)
			p.mu.Unlock()
			total.Merge(t.Snapshot)
			if p.opts.OnSnapshot != nil {
				p.opts.OnSnapshot(t.Snapshot)
			}
		}
	}
	stop := make(chan struct{}, 1) // the loss policy's stop
	gone := make([]bool, len(p.clients))
	lose := func(a int, err error) {
		gone[a] = true
		cut[a]()
		p.lose(a, time.Since(start), err, stop)
	}
	left := len(p.clients)
	stopped := false
	var stoppedAt time.Time
	var giveUp <-chan time.Time
	done := ctx.Done()
	halt := func() {
		done, stopped, stoppedAt = nil, true, time.Now()
		p.mu.Lock()
		p.stopping = true
		p.mu.Unlock()
		go func() {
			_ = p.each(p.live(), func(_ int, c *Client) error { return c.Stop(context.WithoutCancel(ctx)) })
		}()
		drain := p.spec.Drain
		if drain <= 0 {
			drain = engine.DefaultDrain
		}
		giveUp = time.After(drain + endGrace)
	}
	for left > 0 {
		select {
		case f := <-frames:
			switch {
			case gone[f.agent] && !f.end: // after its bad frame
			case !f.end:
				ms, err := m.Add(f.agent, f.frame)
				if err != nil {
					lose(f.agent, fmt.Errorf("a frame: %w", err))
					ms = m.Drop(f.agent)
				} else {
					p.counted(f.agent, m.Counts(), start)
				}
				hand(ms)
			default:
				left--
				switch {
				case gone[f.agent]: // lost already (Drop)
				case f.err != nil:
					lose(f.agent, f.err)
					hand(m.Drop(f.agent))
				default:
					p.ended(f.agent)
					hand(m.End(f.agent))
				}
			}
		case <-done:
			halt()
		case <-stop:
			if !stopped {
				halt()
			}
		case <-giveUp:
			stopStreams() // the streams still open end now, as lost
			giveUp = nil
		}
	}
	hand(m.Flush())
	window := p.spec.Window
	if stopped && (window == 0 || stoppedAt.Sub(start) < window) {
		window = max(stoppedAt.Sub(start), 0)
	}
	p.reassigning.Wait()
	end := window
	if end == 0 {
		end = time.Since(start)
	}
	p.mu.Lock()
	p.settleLocked(end)
	p.mu.Unlock()
	if total.Start.IsZero() { // no tick at all
		total.Start, total.End = start, start
	}
	res := &engine.Result{Total: total, Window: window, Closed: p.Closed()}
	if lost := p.Lost(); len(lost) > 0 {
		var names []string
		for _, l := range lost {
			names = append(names, fmt.Sprintf("agent %d (%s) at %.1fs: %s", l.Index, l.Addr, l.At.Seconds(), l.Err))
		}
		how := "its share moved to the others"
		if p.opts.OnLoss == Fail {
			how = "the run stopped (--on-agent-loss fail)"
		}
		return res, fmt.Errorf("lost %s; %s", strings.Join(names, "; "), how)
	}
	return res, nil
}

// earlyEnd is why an agent's run that ended (its MsgEnd) ended before
// the run did, nil when it ended with it: the window's end, or the
// controller's stop. An agent stopped on its own (its process asked to
// stop, its orphan rule, its frame memory) is as lost as a cut stream:
// its share is the others' from then on.
func (p *Pool) earlyEnd(end End, start time.Time) error {
	p.mu.Lock()
	stopping := p.stopping
	p.mu.Unlock()
	switch {
	case end.Orphaned:
		return errors.New("it stopped its load: no controller for its orphan timeout")
	case end.Error != "":
		return fmt.Errorf("its run ended: %s", end.Error)
	case stopping:
		return nil
	case p.window() > 0 && time.Since(start) >= p.window():
		return nil
	}
	return fmt.Errorf("its run ended %.1fs in, before the run's end (the agent was stopped)", time.Since(start).Seconds())
}

// window is the run's sending window: the spec's, or its stages' (0:
// until stopped).
func (p *Pool) window() time.Duration {
	if len(p.spec.Stages) == 0 {
		return p.spec.Window
	}
	var w time.Duration
	for _, s := range p.spec.Stages {
		w += s.Duration
	}
	return w
}

// counted adds an agent's tick (its counters) to its stats.
func (p *Pool) counted(a int, s *engine.Snapshot, start time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := &p.stats[a]
	st.Requests += s.Requests
	st.Failed += s.Failed()
	st.Dropped += s.Dropped
	st.Late += s.Late
	if d := s.Elapsed(); d > 0 {
		st.Achieved = float64(s.Requests) / d.Seconds()
	}
	if end := s.End.Sub(start); end >= p.lastEnd[a] {
		p.lastEnd[a], p.lastOut[a] = end, s.InFlight
	}
}

// probed keeps an agent's second of probes.
func (p *Pool) probed(a int, pr Probe) {
	p.mu.Lock()
	st := &p.stats[a]
	kept := pr
	kept.Reasons = slices.Clone(pr.Reasons)
	st.Probe = &kept
	st.SampledS++
	if pr.Saturated {
		st.SaturatedS++
	}
	p.mu.Unlock()
	if p.opts.OnProbe != nil {
		p.opts.OnProbe(a, pr)
	}
}

// Armed is closed once the agents are armed and Start is set
// (session.Deferred).
func (p *Pool) Armed() <-chan struct{} { return p.armed }

// Start is when the run's load started (zero before its arming): the
// origin of its frames' and probes' times.
func (p *Pool) Start() time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.start
}

// ended marks an agent whose run ended.
func (p *Pool) ended(a int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stats[a].State = "ended"
	p.stats[a].Achieved = 0
}

// lose marks agent a lost at, and acts as the loss policy says: Fail
// asks the run to stop (stop), Reassign splits the load again over the
// agents left (in the background: the merge goes on).
func (p *Pool) lose(a int, at time.Duration, err error, stop chan<- struct{}) {
	p.mu.Lock()
	st := &p.stats[a]
	// A ramp's share is its rate of the moment: the last tick's.
	ramp := len(p.spec.Stages) > 0 && !p.flat
	share, since := st.Rate, p.lastEnd[a]
	if ramp {
		share = st.Achieved
	}
	if share > 0 { // an open loop's: due before since, never reported
		st.Missing += float64(p.lastOut[a])
	}
	st.State, st.LostAt, st.Err, st.Achieved = "lost", at.Seconds(), err.Error(), 0
	p.lost = append(p.lost, Lost{Index: a, Addr: p.clients[a].Addr(), At: at, Err: err.Error()})
	st.Rate, st.Connections = 0, 0
	live := p.liveLocked()
	policy, start := p.opts.OnLoss, p.start
	// The open loop's total goes to the agents left within their
	// headroom; what they have no room for stays unsent. A ramp
	// (Stages) is each agent's own schedule, which a rate would end:
	// the others keep theirs, and the lost share is not reassigned.
	var shares []float64
	switch {
	case policy == Reassign && len(live) > 0 && ramp:
		st.NotReassigned = share
	case policy == Reassign && len(live) > 0 && !p.Closed():
		caps := make([]float64, len(live))
		for k, i := range live {
			caps[k] = capacity(p.stats[i].Rate, p.stats[i].Probe)
		}
		shares, st.NotReassigned = fill(p.rate, caps)
	}
	told := *st
	p.mu.Unlock()
	if p.opts.OnLost != nil {
		p.opts.OnLost(told)
	}
	if policy == Fail || len(live) == 0 {
		p.missed(a, share, since, time.Since(start))
		select {
		case stop <- struct{}{}:
		default:
		}
		return
	}
	p.reassigning.Go(func() {
		switch {
		case ramp:
		case shares == nil:
			p.resplit()
		default:
			p.setShares(live, shares)
		}
		now := time.Since(start)
		p.missed(a, share, since, now)
		p.mu.Lock()
		p.settleLocked(now)
		if told.NotReassigned > 0 {
			p.unplaced[a] = unplacedShare{rate: told.NotReassigned, since: now}
		}
		p.mu.Unlock()
	})
}

// setShares sets each agent in live to its rate in shares (a
// reassignment within the agents' headroom).
func (p *Pool) setShares(live []int, shares []float64) {
	errs := make([]error, len(live))
	var wg sync.WaitGroup
	for k, i := range live {
		wg.Go(func() { errs[k] = p.clients[i].SetRate(context.Background(), shares[k]) })
	}
	wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	for k, i := range live {
		if errs[k] == nil {
			p.stats[i].Rate = shares[k]
		}
	}
}

// settleLocked adds to each lost agent's Missing what its share not
// reassigned left unsent up to until, and ends that count (a new split
// of the load, or the run's end); p.mu is held.
func (p *Pool) settleLocked(until time.Duration) {
	for a, u := range p.unplaced {
		if u.rate > 0 && until > u.since {
			p.stats[a].Missing += u.rate * (until - u.since).Seconds()
		}
		p.unplaced[a] = unplacedShare{}
	}
}

// missed records the open-loop requests of agent a's share the merged
// figures lack: from its last tick's end (since) to until (the
// reassignment, or the stop).
func (p *Pool) missed(a int, share float64, since, until time.Duration) {
	if until <= since || share <= 0 {
		return
	}
	p.mu.Lock()
	p.stats[a].Missing += share * (until - since).Seconds()
	p.mu.Unlock()
}

// resplit gives each agent left its share of the load's totals.
func (p *Pool) resplit() {
	if p.Closed() {
		_ = p.SetConcurrency(p.Concurrency())
		return
	}
	_ = p.SetRate(p.TargetRate())
}

// Stats is each agent's part of the run so far, in index order.
func (p *Pool) Stats() []AgentStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := append([]AgentStats(nil), p.stats...)
	for i := range out {
		if pr := out[i].Probe; pr != nil {
			c := *pr
			c.Reasons = slices.Clone(pr.Reasons)
			out[i].Probe = &c
		}
	}
	return out
}

// Lost is the agents the run lost so far.
func (p *Pool) Lost() []Lost {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Lost(nil), p.lost...)
}

// MissingTicks is how many agent-ticks went out without their agent's
// part (late or cut off): 0 when every tick had every agent.
func (p *Pool) MissingTicks() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.missing
}

// Closed reports the closed-loop model.
func (p *Pool) Closed() bool { return p.spec.Concurrency > 0 }

// Remote reports that the load runs on the agents, not in this process
// (session.Remote).
func (p *Pool) Remote() bool { return true }

// TargetRate is the open loop's total rate.
func (p *Pool) TargetRate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}

// SetRate sets the open loop's total rate, split over the agents left.
func (p *Pool) SetRate(r float64) error {
	if p.Closed() {
		return errors.New("the closed loop has no rate: set its connections")
	}
	live := p.live()
	err := p.each(live, func(i int, c *Client) error {
		return c.SetRate(context.Background(), Share(r, len(live)))
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		// An even split of the new total: no share is left unsent
		// from now on.
		if !p.start.IsZero() {
			p.settleLocked(time.Since(p.start))
		}
		p.rate, p.flat = r, true
		for _, i := range live {
			p.stats[i].Rate = Share(r, len(live))
		}
	}
	return err
}

// Concurrency is the closed loop's total connections.
func (p *Pool) Concurrency() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.concurrency
}

// SetConcurrency sets the closed loop's total connections, split over
// the agents left.
func (p *Pool) SetConcurrency(n int) error {
	if !p.Closed() {
		return errors.New("the open loop has no connection count: set its rate")
	}
	live := p.live()
	err := p.each(live, func(i int, c *Client) error {
		k := slices.Index(live, i)
		return c.SetConnections(context.Background(), ShareInt(n, k, len(live)))
	})
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		p.concurrency = n
		for k, i := range live {
			p.stats[i].Connections = ShareInt(n, k, len(live))
		}
	}
	return err
}

// Pause pauses every agent's load; each keeps what its Resume restores.
func (p *Pool) Pause() (engine.Paused, error) {
	p.mu.Lock()
	paused := engine.Paused{Rate: p.rate, Concurrency: p.concurrency}
	p.mu.Unlock()
	return paused, p.each(p.live(), func(_ int, c *Client) error { return c.Pause(context.Background()) })
}

// Resume resumes every agent's load as it was paused.
func (p *Pool) Resume(engine.Paused) error {
	return p.each(p.live(), func(_ int, c *Client) error { return c.Resume(context.Background()) })
}
