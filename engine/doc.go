// Package engine is scalelab's HTTP load engine, usable as a library without
// the terminal UI.
//
// An Engine sends requests to one target in one of two load models:
//
//   - open loop: requests are scheduled at a target rate (constant, or ramped
//     through stages) whatever the target does. Latency is measured from each
//     request's intended send time, so a stalled target shows in the
//     percentiles (no coordinated omission); the service time, measured from
//     the actual send, is kept beside it. A send more than 1 ms behind its
//     intended time is counted as late; a send that cannot happen because
//     MaxInflight requests are outstanding, or that the generator did not
//     reach before the sending window closed, is counted as dropped.
//   - closed loop: N workers each send as soon as their previous answer came.
//
// Both models can be changed while running (SetRate, SetConcurrency).
//
// Each worker sends one request at a time on its own kept-alive connection,
// allocating nothing per request; nothing is retried, except a request not
// yet sent on a connection the server had closed while idle. With Balance,
// connections go to a changing set of endpoints (Endpoints) instead of the
// URL's host, spread as a client-side balancer spreads them.
//
// Every request ends in an HTTP status or a transport error (an
// ErrorClass); it failed when it ended in a transport error or a 5xx.
// Stopping a run (its context) ends the sending window; the requests still
// in flight after Drain are counted as abandoned, so every request sent is
// counted.
//
// Results come out as Snapshots, one per tick, each holding exact counters
// and HdrHistograms of latency (of all requests, and of the failed ones
// apart) that merge exactly with Snapshot.Merge. A snapshot also splits
// them by the version of the service that answered (Snapshot.ByVersion,
// from the answer's VersionHeader or, with Balance, the endpoint's
// version; UnknownVersion for requests without one), so that a rollout
// shows the old and the new version side by side.
package engine
