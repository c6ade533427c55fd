package engine

import (
	"bufio"
	"errors"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// readBufferSize is a worker's read buffer, where most answers' status
// line and headers fit; maxHeaderSize is how much they may take: an
// answer whose headers do not fit the read buffer is read again in a
// buffer of maxHeaderSize of its own (worker.wide), and one whose headers
// do not fit that either is a protocol error (header too large). At
// 100,000 req/s on one core an open loop has a few hundred requests in
// flight, each holding a read buffer: 4 KiB each (fasthttp's default)
// rather than 16 is 4 MiB less for every 340 of them.
const (
	readBufferSize = 4 << 10
	maxHeaderSize  = 16 << 10
)

// worker sends one request at a time on its own connection, with its own
// response object and read buffer, so the per-request path allocates
// nothing.
type worker struct {
	e      *Engine
	id     int
	stripe *stripe
	resp   fasthttp.Response
	br     *bufio.Reader // reads cn; see lendReaders
	// wide, when set, reads br for an answer whose headers did not fit
	// br (see maxHeaderSize), until it holds nothing more: made for such
	// an answer alone, never lent.
	wide *bufio.Reader
	// lendReaders is set for the open loop's workers: each takes a read
	// buffer from the engine's pool for a request and gives it back once
	// the answer is read, so a pool grown by a burst (and not yet reaped)
	// holds buffers only for the requests in flight, 4 KiB each. A
	// closed-loop worker always has one in flight and keeps its own.
	lendReaders bool
	cn          wconn
	res         result
	view        *epView  // Balance: the set's generation last followed
	empty       bool     // Balance: the last request found the set empty
	avoid       *epState // Balance: the endpoint a retry leaves, for its next dial
	// busy is set while a request is in flight, under the stripe's lock;
	// sent is its actual send offset (its intended one until sent), which
	// abandon reads.
	busy bool
	sent atomic.Int64
	// open is set, under the stripe's lock, from a request's begin to its
	// end: across its attempts and the backoffs between them (retries).
	open bool
	// rng draws the backoff's jitter; backoff times it (made at the
	// worker's first retry, then reused).
	rng     uint64
	backoff *time.Timer
}

// newWorker returns a worker of the engine, counted in its stripe until
// exit is called.
func (e *Engine) newWorker(id int) *worker {
	w := &worker{e: e, id: id, stripe: e.rec.stripe(id), rng: uint64(id) ^ uint64(e.start.UnixNano())}
	w.resp.StreamBody = true // bodies are read as they come and discarded
	w.resp.SkipBody = e.client.head
	w.stripe.join(w)
	return w
}

// do sends one request due at offset intended and records its outcome;
// it sends nothing once the engine stopped counting.
func (w *worker) do(intended time.Duration) {
	if w.stripe.begin(w, intended) {
		w.send()
	}
}

// send sends the request begun (see stripe.begin), retrying it as the
// engine's retry policy says, and records its outcome.
func (w *worker) send() {
	rt := w.e.retry
	if rt == nil {
		w.attempt()
		w.stripe.finish(w, true, false)
		return
	}
	rt.budget.deposit(w.res.first)
	for n := 0; ; n++ {
		w.attempt()
		r := &w.res
		wait, again := rt.wait(r, n, &w.rng)
		if !again {
			w.stripe.finish(w, true, false)
			return
		}
		if !rt.budget.withdraw(r.done) {
			w.stripe.finish(w, true, true)
			return
		}
		if !w.stripe.finish(w, false, false) {
			return // abandoned
		}
		due := r.done + wait // timed from here: a late wake is the retry's lag
		if !w.sleep(wait) {
			w.stripe.giveUp(w, w.e.since())
			return
		}
		if !w.stripe.retry(w, due) {
			return
		}
		w.elsewhere()
	}
}

// elsewhere sends a retry under Balance to another endpoint than the
// attempt's, as a client retrying through its balancer does (gRPC's and
// Linkerd's retries pick again; Envoy's previous_hosts predicate): the
// connection is closed and the next dial passes it by, unless it is the
// only endpoint. A replica that refuses or fails every request then costs
// a request one retry, not all of them.
func (w *worker) elsewhere() {
	if w.e.bal == nil || w.cn.ep == nil {
		return
	}
	w.avoid = w.cn.ep
	w.hangUp()
}

// attempt sends the attempt begun and fills in its outcome.
func (w *worker) attempt() {
	r := &w.res
	r.sent = w.e.since()
	r.retryAfter = -1
	w.sent.Store(int64(r.sent))
	if err := w.roundTrip(r); err != nil {
		r.status, r.class = 0, Classify(err)
		if r.class.Detailed() {
			r.cause = Cause(err)
		}
	}
	r.done = w.e.since()
}

// sleep waits d before a retry: false when the run was stopped
// meanwhile (its requests are not retried then).
func (w *worker) sleep(d time.Duration) bool {
	if w.backoff == nil {
		w.backoff = time.NewTimer(d)
	} else {
		w.backoff.Reset(d)
	}
	select {
	case <-w.backoff.C:
		return true
	case <-w.e.halt:
		w.backoff.Stop()
		return false
	}
}

// exit closes the worker's connection and leaves its stripe.
func (w *worker) exit() {
	w.hangUp()
	w.stripe.leave(w)
}

// reader is the worker's read buffer on its connection: its own, or one
// lent by the engine's pool (see lendReaders). Once per worker, not per
// connection: a worker that never connects (a refused port, with up to
// MaxConcurrency of them) holds none.
func (w *worker) reader() *bufio.Reader {
	if w.wide != nil {
		return w.wide
	}
	if w.br == nil {
		if w.lendReaders {
			w.br = w.e.readers.Get().(*bufio.Reader)
		} else {
			w.br = bufio.NewReaderSize(nil, readBufferSize)
		}
		w.br.Reset(&w.cn)
	}
	return w.br
}

// readAnswer reads the answer's status line and headers into w.resp (its
// body streams after them), in the worker's read buffer, or, when they do
// not fit it, again in a wide one (nothing of them was consumed: fasthttp
// peeks until the headers end).
func (w *worker) readAnswer() error {
	br := w.reader()
	err := w.resp.Read(br)
	var small *fasthttp.ErrSmallBuffer
	if err == nil || br.Size() >= maxHeaderSize || !errors.As(err, &small) {
		return err
	}
	w.wide = bufio.NewReaderSize(br, maxHeaderSize)
	return w.resp.Read(w.wide)
}

// giveBackReader drops the wide read buffer, and returns a lent one to the
// pool, once nothing of the connection waits in them.
func (w *worker) giveBackReader() {
	if w.wide != nil {
		if w.wide.Buffered() > 0 {
			return
		}
		w.wide = nil
	}
	if w.lendReaders && w.br != nil && w.br.Buffered() == 0 {
		w.br.Reset(nil)
		w.e.readers.Put(w.br)
		w.br = nil
	}
}

// hangUp closes the worker's connection, if open.
func (w *worker) hangUp() {
	w.cn.close()
	w.wide = nil // what it held was the closed connection's
	if w.br != nil {
		w.br.Reset(&w.cn) // what it held was the closed connection's
		w.giveBackReader()
	}
	if w.cn.ep != nil {
		w.cn.ep.conns.Add(-1)
		w.cn.ep, w.cn.version = nil, nil
	}
}
