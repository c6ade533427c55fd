package engine

import (
	"io"
	"runtime"
	"time"
)

// roundTrip sends the request on the worker's connection, opening one when
// needed, and reads the answer into r, discarding its body as it comes.
// The request's timeout bounds it all, connecting included. Any error
// closes the connection (retries, when on, are the caller's: see send).
func (w *worker) roundTrip(r *result) error {
	cl := w.e.client
	deadline := w.e.start.Add(r.sent + cl.timeout)
	if err := w.connect(r, deadline); err != nil {
		return err
	}
	cn := &w.cn
	r.version = cn.version // Balance: a failure after connecting is its endpoint's
	if err := cn.nc.SetDeadline(deadline); err != nil {
		w.hangUp()
		return err
	}
	if cn.writeInRead() {
		cn.pending = cl.raw // the first read of the answer writes it
	} else {
		if _, err := cn.nc.Write(cl.raw); err != nil {
			w.hangUp()
			return err
		}
		// Let the other workers run first: the answer is rarely there right
		// after the request, and a read that finds nothing costs a system
		// call and a trip through the poller.
		runtime.Gosched()
	}
	if err := w.readAnswer(); err != nil {
		w.hangUp()
		return inPhase(err, errProtocol)
	}
	r.status = w.resp.StatusCode()
	if w.e.retry != nil && (r.status == 429 || r.status == 503) {
		r.retryAfter = parseRetryAfter(w.resp.Header.Peek("Retry-After"))
	}
	if r.version == nil {
		r.version = w.resp.Header.Peek(VersionHeader)
	}
	if body := w.resp.BodyStream(); body != nil {
		n, err := io.Copy(io.Discard, body)
		r.bytesIn = uint64(n)
		_ = w.resp.CloseBodyStream()
		if err != nil {
			w.hangUp()
			return inPhase(err, errProtocol)
		}
	}
	if w.resp.ConnectionClose() || !cl.keepAlive {
		w.hangUp()
	} else {
		cn.lastUsed = w.e.since()
		w.giveBackReader()
	}
	return nil
}

// connect makes sure the worker has a connection to send r on at its
// send offset: its open one, unless that went stale (nothing was sent on
// it, so the request goes out on a new one) or Balance moves it, else a
// new one, whose opening (the dial, and the TLS handshake for https) it
// times into r (see result.connect). A kept-alive request reads no clock
// here.
func (w *worker) connect(r *result, deadline time.Time) error {
	now := r.sent
	var v *epView
	if b := w.e.bal; b != nil {
		if v = b.current(); v != w.view {
			w.follow(v)
		}
		if w.empty = len(v.eps) == 0; w.empty {
			return errNoEndpoints
		}
	}
	if w.cn.nc != nil {
		if !w.cn.stale(now) {
			return nil
		}
		w.hangUp()
	}
	cl := w.e.client
	addr := cl.addr
	var ep *epEntry
	if v != nil {
		ep = v.pick(w.id, now, w.avoid)
		w.avoid = nil
		addr = ep.st.addr
	}
	began := w.e.since()
	nc, rc, err := dial(cl, addr, deadline)
	if err != nil {
		if ep != nil {
			ep.st.conns.Add(-1)
			ep.st.dialFailed(now)
		}
		return err
	}
	r.connect, r.opened = w.e.since()-began, true
	w.cn.open(nc, rc, cl.tls == nil, now)
	if ep != nil {
		w.cn.ep, w.cn.version = ep.st, ep.version
	}
	if w.br != nil {
		w.br.Reset(&w.cn)
	}
	return nil
}

// follow brings the worker in step with a new generation of the balanced
// set, between two of its requests: it leaves an endpoint that left the
// set, and one that holds more than its share of connections, for the
// least loaded at its next dial.
func (w *worker) follow(v *epView) {
	w.view = v
	st := w.cn.ep
	if st == nil {
		return
	}
	e := v.find(st.addr)
	if e == nil {
		w.hangUp()
		return
	}
	w.cn.version = e.version
	share := v.share()
	if st.conns.Load() <= share {
		return
	}
	if st.conns.Add(-1) < share {
		st.conns.Add(1) // others moved first
		return
	}
	w.cn.ep = nil // uncounted already
	w.hangUp()
}
