package agent

import (
	"context"
	"errors"
	"fmt"
	"net/http"
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
// does; its rate, connection, pause and stop controls reach every agent,
// the totals split again. It is what a session runs in place of an
// engine.
type Pool struct {
	clients []*Client
	spec    Spec // the whole load: Rate, Stages, Concurrency are totals
	opts    PoolOptions

	mu          sync.Mutex
	rate        float64
	concurrency int
	start       time.Time
	lost        []Lost
	missing     int // agent-ticks that went out without their agent
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
	p := &Pool{spec: spec, opts: opts, rate: spec.Rate, concurrency: spec.Concurrency}
	for _, a := range addrs {
		p.clients = append(p.clients, NewClient(a, token, opts.HTTP))
	}
	if p.opts.Lead <= 0 {
		p.opts.Lead = DefaultLead
	}
	if spec.Interval <= 0 {
		return nil, errors.New("agents: no tick interval")
	}
	return p, nil
}

// Agents is the number of agents.
func (p *Pool) Agents() int { return len(p.clients) }

// share is agent i's part of the run.
func (p *Pool) share(i int, start time.Time) Spec {
	s := p.spec
	s.Index, s.Count, s.StartAt = i, len(p.clients), start
	s.Rate = Share(p.spec.Rate, i, s.Count)
	s.Concurrency = ShareInt(p.spec.Concurrency, i, s.Count)
	if len(p.spec.Stages) > 0 {
		s.Stages = ShareStages(p.spec.Stages, i, s.Count)
	}
	return s
}

// each calls f for every agent at once and joins their errors.
func (p *Pool) each(f func(i int, c *Client) error) error {
	errs := make([]error, len(p.clients))
	var wg sync.WaitGroup
	for i, c := range p.clients {
		wg.Go(func() { errs[i] = f(i, c) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// arm checks every agent is free and arms each with its share, the load
// to start Lead from now; an agent that cannot be armed stops the
// others.
func (p *Pool) arm(ctx context.Context) (time.Time, error) {
	if err := p.each(func(_ int, c *Client) error {
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
	if err := p.each(func(i int, c *Client) error { return c.Run(ctx, p.share(i, start)) }); err != nil {
		_ = p.each(func(_ int, c *Client) error { return c.Stop(context.WithoutCancel(ctx)) })
		return time.Time{}, err
	}
	p.mu.Lock()
	p.start = start
	p.mu.Unlock()
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
// on: Lost says which and when, and the error names them beside the
// result.
func (p *Pool) Run(ctx context.Context) (*engine.Result, error) {
	start, err := p.arm(ctx)
	if err != nil {
		return nil, err
	}
	frames := make(chan agentFrame, 64)
	streams, stopStreams := context.WithCancel(context.WithoutCancel(ctx))
	defer stopStreams()
	cut := make([]context.CancelFunc, len(p.clients))
	for i, c := range p.clients {
		sctx, cancel := context.WithCancel(streams)
		cut[i] = cancel
		go func() {
			defer cancel()
			err := c.Frames(sctx, func(kind byte, payload []byte) error {
				if kind == MsgFrame {
					frames <- agentFrame{agent: i, frame: append([]byte(nil), payload...)}
				}
				return nil
			})
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
	lose := func(a int, err error) {
		p.mu.Lock()
		p.lost = append(p.lost, Lost{Index: a, Addr: p.clients[a].Addr(), At: time.Since(start), Err: err.Error()})
		p.mu.Unlock()
	}
	gone := make([]bool, len(p.clients)) // lost by a bad frame: its stream's end is not news
	left := len(p.clients)
	stopped := false
	var stoppedAt time.Time
	var giveUp <-chan time.Time
	done := ctx.Done()
	for left > 0 {
		select {
		case f := <-frames:
			switch {
			case gone[f.agent] && !f.end: // after its bad frame
			case !f.end:
				ms, err := m.Add(f.agent, f.frame)
				if err != nil {
					gone[f.agent] = true
					lose(f.agent, fmt.Errorf("a frame: %w", err))
					cut[f.agent]()
					ms = m.End(f.agent)
				}
				hand(ms)
			default:
				left--
				if f.err != nil && !gone[f.agent] {
					lose(f.agent, f.err)
				}
				hand(m.End(f.agent))
			}
		case <-done:
			done, stopped, stoppedAt = nil, true, time.Now()
			_ = p.each(func(_ int, c *Client) error { return c.Stop(context.WithoutCancel(ctx)) })
			drain := p.spec.Drain
			if drain <= 0 {
				drain = engine.DefaultDrain
			}
			giveUp = time.After(drain + endGrace)
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
	if total.Start.IsZero() { // no tick at all
		total.Start, total.End = start, start
	}
	res := &engine.Result{Total: total, Window: window, Closed: p.Closed()}
	if lost := p.Lost(); len(lost) > 0 {
		var names []string
		for _, l := range lost {
			names = append(names, fmt.Sprintf("agent %d (%s) at %.1fs: %s", l.Index, l.Addr, l.At.Seconds(), l.Err))
		}
		return res, fmt.Errorf("lost %s", strings.Join(names, "; "))
	}
	return res, nil
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

// SetRate sets the open loop's total rate, split over the agents.
func (p *Pool) SetRate(r float64) error {
	if p.Closed() {
		return errors.New("the closed loop has no rate: set its connections")
	}
	err := p.each(func(i int, c *Client) error {
		return c.SetRate(context.Background(), Share(r, i, len(p.clients)))
	})
	if err == nil {
		p.mu.Lock()
		p.rate = r
		p.mu.Unlock()
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
// the agents.
func (p *Pool) SetConcurrency(n int) error {
	if !p.Closed() {
		return errors.New("the open loop has no connection count: set its rate")
	}
	err := p.each(func(i int, c *Client) error {
		return c.SetConnections(context.Background(), ShareInt(n, i, len(p.clients)))
	})
	if err == nil {
		p.mu.Lock()
		p.concurrency = n
		p.mu.Unlock()
	}
	return err
}

// Pause pauses every agent's load; each keeps what its Resume restores.
func (p *Pool) Pause() (engine.Paused, error) {
	p.mu.Lock()
	paused := engine.Paused{Rate: p.rate, Concurrency: p.concurrency}
	p.mu.Unlock()
	return paused, p.each(func(_ int, c *Client) error { return c.Pause(context.Background()) })
}

// Resume resumes every agent's load as it was paused.
func (p *Pool) Resume(engine.Paused) error {
	return p.each(func(_ int, c *Client) error { return c.Resume(context.Background()) })
}
