package engine

import (
	"time"

	"io"

	"github.com/valyala/fasthttp"
)

// worker sends one request at a time with its own request and response
// objects, so the per-request path allocates nothing of its own.
type worker struct {
	e      *Engine
	stripe *stripe
	req    *fasthttp.Request
	resp   *fasthttp.Response
	res    result
}

func (e *Engine) newWorker(id int) *worker {
	w := &worker{e: e, stripe: e.rec.stripe(id), req: &fasthttp.Request{}, resp: &fasthttp.Response{}}
	e.client.tmpl.CopyTo(w.req)
	if body := e.client.tmpl.Body(); len(body) > 0 {
		w.req.SetBodyRaw(body) // share the body instead of a copy per worker
	}
	return w
}

// do sends one request due at offset intended and records its outcome.
func (w *worker) do(intended time.Duration) {
	c := w.e.client
	r := &w.res
	*r = result{intended: intended, bytesOut: c.bodySize}
	w.stripe.inflight.Add(1)
	r.sent = w.e.since()
	err := c.hc.DoTimeout(w.req, w.resp, c.timeout)
	if err == nil {
		r.status = w.resp.StatusCode()
		if body := w.resp.BodyStream(); body != nil {
			n, rerr := io.Copy(io.Discard, body)
			r.bytesIn = uint64(n)
			_ = w.resp.CloseBodyStream()
			if rerr != nil {
				r.status, err = 0, rerr
			}
		} else {
			r.bytesIn = uint64(len(w.resp.Body()))
		}
	}
	if err != nil {
		r.class = Classify(err)
	}
	r.done = w.e.since()
	w.stripe.inflight.Add(-1)
	w.stripe.record(r)
}
