package fleet

import (
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// watchLoop checks liveness, measures traffic shares and forgets replicas
// that left long enough ago, every liveness interval.
func (f *Fleet) watchLoop() {
	defer f.background.Done()
	client := &fasthttp.Client{
		DialDualStack:             true,
		MaxIdemponentCallAttempts: 1,
		RetryIfErr:                func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
		NoDefaultUserAgentHeader:  true,
	}
	t := time.NewTicker(f.cfg.livenessInterval)
	defer t.Stop()
	for {
		select {
		case <-f.lifeCtx.Done():
			return
		case <-t.C:
		}
		f.checkLiveness(client)
		f.measureShares()
		f.prune(time.Now())
	}
}

// checkLiveness asks every live replica's /healthz (waiting up to the
// interval, and at least a second: a busy machine is not a dead replica)
// and kills those that failed too many times in a row, as a kubelet
// restarts a container.
func (f *Fleet) checkLiveness(client *fasthttp.Client) {
	f.mu.Lock()
	var ms []*member
	for _, m := range f.members {
		if m.phase.Live() {
			ms = append(ms, m)
		}
	}
	f.mu.Unlock()
	ok := make([]bool, len(ms))
	var wg sync.WaitGroup
	for i, m := range ms {
		wg.Go(func() {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(m.rep.URL() + "/healthz")
			err := client.DoTimeout(req, resp, max(f.cfg.livenessInterval, time.Second))
			ok[i] = err == nil && resp.StatusCode() == fasthttp.StatusOK
		})
	}
	wg.Wait()
	f.mu.Lock()
	defer f.mu.Unlock()
	killed := false
	for i, m := range ms {
		if ok[i] {
			m.livenessFails = 0
			continue
		}
		m.livenessFails++
		if m.livenessFails >= f.cfg.livenessFailures && m.phase.Live() && !f.stopping {
			f.killMember(m, "killed: liveness check failed")
			killed = true
		}
	}
	if killed {
		f.poke()
	}
}

// measureShares sets each replica's share of the requests the balancer
// routed since the last measure.
func (f *Fleet) measureShares() {
	backends := f.bal.Backends()
	f.mu.Lock()
	defer f.mu.Unlock()
	var total uint64
	delta := map[string]uint64{}
	for _, b := range backends {
		d := b.Routed - f.lastRouted[b.Name]
		f.lastRouted[b.Name] = b.Routed
		delta[b.Name] = d
		total += d
	}
	f.shares = map[string]float64{}
	if total == 0 {
		return
	}
	for name, d := range delta {
		f.shares[name] = float64(d) / float64(total)
	}
}

// prune forgets replicas that left more than the retention ago, keeping
// their counts.
func (f *Fleet) prune(now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	kept := f.members[:0]
	for _, m := range f.members {
		if !m.left.IsZero() && now.Sub(m.left) > f.cfg.retainStopped {
			f.retired[m.version] = f.retired[m.version].add(m.rep.Stats())
			delete(f.lastRouted, m.name)
			continue
		}
		kept = append(kept, m)
	}
	clear(f.members[len(kept):])
	f.members = kept
}
