package agent

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TokenHeader is the request header that carries the run's token.
const TokenHeader = "X-Scalelab-Token"

// The control API's paths. Every request carries TokenHeader.
const (
	// PathStatus (GET) answers the agent's Status.
	PathStatus = "/v1/status"
	// PathRun (POST, a Spec) arms the agent: its engine starts at
	// Spec.StartAt. 409 when a run is armed or running already.
	PathRun = "/v1/run"
	// PathFrames (GET) streams the run's messages (Message) from its
	// first tick; while it is open the controller is there.
	PathFrames = "/v1/frames"
	// PathRate (POST, a Setting) sets the open loop's rate, PathConnections
	// the closed loop's connections: this agent's share.
	PathRate        = "/v1/rate"
	PathConnections = "/v1/connections"
	// PathEndpoints (POST, an EndpointSet) replaces the endpoints a
	// balancing run sends to (a Deployment's ready pods as they change);
	// 409 for a run armed without endpoints.
	PathEndpoints = "/v1/endpoints"
	// PathPause, PathResume and PathStop (POST, no body) pause, resume
	// and stop the load.
	PathPause  = "/v1/pause"
	PathResume = "/v1/resume"
	PathStop   = "/v1/stop"
)

// Setting is the body of a rate or connections change.
type Setting struct {
	Rate        float64 `json:"rate,omitempty"`
	Connections int     `json:"connections,omitempty"`
}

// EndpointSet is the body of an endpoints change.
type EndpointSet struct {
	Endpoints []engine.Endpoint `json:"endpoints"`
}

// State is an agent's state.
type State string

// The agent's states.
const (
	Idle     State = "idle"     // no run
	Armed    State = "armed"    // a run waits for its start
	Running  State = "running"  // the load runs (paused or not)
	Ended    State = "ended"    // the load ended (its window, a stop)
	Orphaned State = "orphaned" // the load was stopped: no controller for the orphan timeout
)

// Status is what PathStatus answers.
type Status struct {
	State  State  `json:"state"`
	RunID  string `json:"run_id,omitempty"`
	Index  int    `json:"index"`
	Count  int    `json:"count,omitempty"`
	Target string `json:"target,omitempty"`
	// Frames is how many ticks the run has made so far.
	Frames int `json:"frames"`
	// Error is why the run ended with an error (the engine's), if it did.
	Error string `json:"error,omitempty"`
}

// The kinds of a frame stream's messages.
const (
	// MsgFrame is a tick's snapshot: recordings.AppendSnapshot relative
	// to the run's StartAt.
	MsgFrame byte = 'F'
	// MsgHeartbeat says the agent is there (about once a second when no
	// frame goes out); its payload is empty.
	MsgHeartbeat byte = 'H'
	// MsgEnd is the run's end, the stream's last message: its payload
	// is an End in JSON.
	MsgEnd byte = 'E'
	// MsgProbe is a second of the agent's own generator probes: a Probe
	// in JSON.
	MsgProbe byte = 'P'
)

// Probe is one second of an agent's generator probes (its own process:
// CPU against what it may use, run delay) and their judgement, as the
// local generator panel has them.
type Probe struct {
	// End is the judged second's end from the run's start (StartAt), Span
	// its length.
	End       time.Duration `json:"end_ns"`
	Span      time.Duration `json:"span_ns"`
	CPU       float64       `json:"cpu_cores"`
	CPULimit  float64       `json:"cpu_limit"`
	RunDelay  float64       `json:"run_delay_ms_per_s"`
	Saturated bool          `json:"saturated"`
	Reasons   []string      `json:"reasons"`
	// Kinds are the reasons' kinds (probes.KindCPU...), in their order.
	Kinds []string `json:"kinds,omitempty"`
}

// End is the payload of MsgEnd: how the run ended and how many frames
// it streamed, so that a controller knows it missed none.
type End struct {
	Frames int    `json:"frames"`
	Error  string `json:"error,omitempty"`
	// Orphaned is set when the agent stopped its load for want of a
	// controller.
	Orphaned bool `json:"orphaned,omitempty"`
}

// MaxMessage bounds a message's payload: a frame of many versions'
// histograms is a few tens of KB.
const MaxMessage = 16 << 20

// HeartbeatEvery is how often an agent says it is there between frames.
const HeartbeatEvery = time.Second

// WriteMessage writes one message: its kind, the payload's length
// (uvarint) and the payload.
func WriteMessage(w io.Writer, kind byte, payload []byte) error {
	var head [1 + binary.MaxVarintLen64]byte
	head[0] = kind
	n := binary.PutUvarint(head[1:], uint64(len(payload)))
	if _, err := w.Write(head[:1+n]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// ReadMessage reads one message WriteMessage wrote, its payload in buf's
// storage when it fits; io.EOF at the stream's clean end.
func ReadMessage(r *bufio.Reader, buf []byte) (kind byte, payload []byte, err error) {
	kind, err = r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return 0, nil, fmt.Errorf("agent stream: message length: %w", unexpected(err))
	}
	if n > MaxMessage {
		return 0, nil, fmt.Errorf("agent stream: a message of %d bytes (at most %d)", n, MaxMessage)
	}
	if uint64(cap(buf)) < n {
		buf = make([]byte, n)
	}
	payload = buf[:n]
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, fmt.Errorf("agent stream: message of %d bytes: %w", n, unexpected(err))
	}
	return kind, payload, nil
}

// unexpected is io.ErrUnexpectedEOF for an EOF inside a message.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}
