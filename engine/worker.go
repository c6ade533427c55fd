package engine

import (
	"bufio"
	"time"

	"github.com/valyala/fasthttp"
)

// readBufferSize is a worker's read buffer: an answer's headers must fit.
const readBufferSize = 16 << 10

// worker sends one request at a time on its own connection, with its own
// response object and read buffer, so the per-request path allocates
// nothing.
type worker struct {
	e      *Engine
	id     int
	stripe *stripe
	resp   fasthttp.Response
	br     *bufio.Reader // reads cn
	cn     wconn
	res    result
	view   *epView // Balance: the set's generation last followed
	empty  bool    // Balance: the last request found the set empty
}

func (e *Engine) newWorker(id int) *worker {
	w := &worker{e: e, id: id, stripe: e.rec.stripe(id)}
	w.resp.StreamBody = true // bodies are read as they come and discarded
	w.resp.SkipBody = e.client.head
	w.br = bufio.NewReaderSize(&w.cn, readBufferSize)
	return w
}

// do sends one request due at offset intended and records its outcome.
func (w *worker) do(intended time.Duration) {
	r := &w.res
	*r = result{intended: intended, bytesOut: w.e.client.bodySize}
	w.stripe.inflight.Add(1)
	r.sent = w.e.since()
	if err := w.roundTrip(r); err != nil {
		r.status, r.class = 0, Classify(err)
	}
	r.done = w.e.since()
	w.stripe.inflight.Add(-1)
	w.stripe.record(r)
}

// hangUp closes the worker's connection, if open.
func (w *worker) hangUp() {
	w.cn.close()
	if w.cn.ep != nil {
		w.cn.ep.conns.Add(-1)
		w.cn.ep, w.cn.version = nil, nil
	}
}
