package agent

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// DefaultOrphanTimeout is how long an agent waits without its controller
// (no frame stream, no request) before it stops its load by itself.
const DefaultOrphanTimeout = 10 * time.Second

// DefaultMaxFrameBytes bounds the encoded frames an agent keeps of a run,
// so that a stream connecting late (or again) gets every frame from the
// first: 256 MiB. A frame is a few KB (one version's histograms), so at 4
// frames a second an hour is 14,400 frames, about 70 MB: the bound holds
// hours of a run. A run that would pass it is stopped, its End saying
// why, rather than lose a frame.
const DefaultMaxFrameBytes = 256 << 20

// maxSpecBytes bounds a control request's body: a Spec carries the
// target's body.
const maxSpecBytes = MaxMessage

// ServerOptions configure a Server.
type ServerOptions struct {
	// Token is the run's token every request must carry in TokenHeader
	// (required).
	Token string
	// OrphanTimeout is how long a running load goes on without its
	// controller (DefaultOrphanTimeout when 0).
	OrphanTimeout time.Duration
	// MaxFrameBytes bounds the frames kept of a run (DefaultMaxFrameBytes
	// when 0).
	MaxFrameBytes int
	// Log gets one line per refused request and per run's start and end
	// (nil: none).
	Log io.Writer
}

// Server is an agent: an http.Handler serving the control API (Paths)
// that runs one engine at a time under a controller's direction. Close
// stops it.
type Server struct {
	opts ServerOptions
	mux  *http.ServeMux
	log  *lineLog

	base   context.Context // cancelled by Close: every run's parent
	cancel context.CancelFunc
	wg     sync.WaitGroup // the runs' goroutines

	mu       sync.Mutex
	run      *run      // the latest run, nil before the first
	lastSeen time.Time // the last authenticated request, or a stream's end
	streams  int       // frame streams open
	closed   bool
	// streamEnded wakes the orphan watch when a frame stream ends.
	streamEnded chan struct{}
}

var _ http.Handler = (*Server)(nil)

// NewServer returns an agent serving with opts, or says what is wrong
// with them.
func NewServer(opts ServerOptions) (*Server, error) {
	if opts.Token == "" {
		return nil, errors.New("agent: no token")
	}
	if opts.OrphanTimeout < 0 {
		return nil, fmt.Errorf("agent: orphan timeout %s: must be positive", opts.OrphanTimeout)
	}
	if opts.OrphanTimeout == 0 {
		opts.OrphanTimeout = DefaultOrphanTimeout
	}
	if opts.MaxFrameBytes < 0 {
		return nil, fmt.Errorf("agent: frame memory %d bytes: must be positive", opts.MaxFrameBytes)
	}
	if opts.MaxFrameBytes == 0 {
		opts.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), log: &lineLog{w: opts.Log}, lastSeen: time.Now(), streamEnded: make(chan struct{}, 1)}
	s.base, s.cancel = context.WithCancel(context.Background())
	s.mux.HandleFunc("GET "+PathStatus, s.handleStatus)
	s.mux.HandleFunc("POST "+PathRun, s.handleRun)
	s.mux.HandleFunc("GET "+PathFrames, s.handleFrames)
	s.mux.HandleFunc("POST "+PathRate, setting(s, "setting", func(r *run, v Setting) error { return r.setRate(v.Rate) }))
	s.mux.HandleFunc("POST "+PathConnections, setting(s, "setting", func(r *run, v Setting) error { return r.setConcurrency(v.Connections) }))
	s.mux.HandleFunc("POST "+PathPause, s.handlePause)
	s.mux.HandleFunc("POST "+PathResume, s.handleResume)
	s.mux.HandleFunc("POST "+PathStop, s.handleStop)
	s.mux.HandleFunc("POST "+PathEndpoints, setting(s, "endpoints", func(r *run, v EndpointSet) error { return r.setEndpoints(v.Endpoints) }))
	return s, nil
}

// ServeHTTP serves the control API to requests that carry the token; the
// others get 401 and a log line.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if why := s.refusal(r); why != "" {
		s.log.printf("agent: refused %s %s from %s: %s", r.Method, r.URL.Path, r.RemoteAddr, why)
		http.Error(w, "agent: "+why, http.StatusUnauthorized)
		return
	}
	s.mu.Lock()
	s.lastSeen = time.Now()
	s.mu.Unlock()
	s.mux.ServeHTTP(w, r)
}

// refusal is why r may not be served ("": it may).
func (s *Server) refusal(r *http.Request) string {
	got := r.Header.Values(TokenHeader)
	switch {
	case len(got) == 0:
		return "no token (" + TokenHeader + ")"
	case len(got) > 1 || subtle.ConstantTimeCompare([]byte(got[0]), []byte(s.opts.Token)) != 1:
		return "wrong token"
	}
	return ""
}

// Close stops any load and waits for its engine to return. Requests
// after it are refused with 503.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
}

// Status is the agent's state now.
func (s *Server) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.statusLocked()
}

// statusLocked is Status with s.mu held.
func (s *Server) statusLocked() Status {
	r := s.run
	if r == nil {
		return Status{State: Idle}
	}
	return Status{State: r.state, RunID: r.spec.RunID, Index: r.spec.Index, Count: r.spec.Count,
		Target: r.spec.Target.URL, Frames: len(r.frames), Error: r.err}
}

func (s *Server) handleStatus(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Status())
}

func (s *Server) handleRun(w http.ResponseWriter, req *http.Request) {
	var spec Spec
	if err := decodeStrict(w, req, &spec); err != nil {
		http.Error(w, "agent: spec: "+oneLine(err), http.StatusBadRequest)
		return
	}
	if err := spec.Check(); err != nil {
		http.Error(w, "agent: spec: "+oneLine(err), http.StatusBadRequest)
		return
	}
	code, err := s.arm(spec)
	if err != nil {
		http.Error(w, "agent: "+oneLine(err), code)
		return
	}
	writeJSON(w, http.StatusOK, s.Status())
}

// setting is a control request of a body of type T: decoded strictly
// (400 naming what is wrong), then applied to the run as control does.
func setting[T any](s *Server, what string, apply func(*run, T) error) http.HandlerFunc {
	return func(w http.ResponseWriter, req *http.Request) {
		var v T
		if err := decodeStrict(w, req, &v); err != nil {
			http.Error(w, "agent: "+what+": "+oneLine(err), http.StatusBadRequest)
			return
		}
		s.control(w, func(r *run) error { return apply(r, v) })
	}
}

func (s *Server) handlePause(w http.ResponseWriter, _ *http.Request) {
	s.control(w, (*run).pause)
}

func (s *Server) handleResume(w http.ResponseWriter, _ *http.Request) {
	s.control(w, (*run).resume)
}

func (s *Server) handleStop(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	r := s.run
	live := r != nil && (r.state == Armed || r.state == Running)
	s.mu.Unlock()
	if !live {
		http.Error(w, "agent: no run armed or running", http.StatusConflict)
		return
	}
	r.stop()
	writeJSON(w, http.StatusOK, s.Status())
}

// control applies f to the run armed or running (409 without one; 400
// with f's error) and answers the Status.
func (s *Server) control(w http.ResponseWriter, f func(*run) error) {
	s.mu.Lock()
	r := s.run
	live := r != nil && (r.state == Armed || r.state == Running)
	s.mu.Unlock()
	if !live {
		http.Error(w, "agent: no run armed or running", http.StatusConflict)
		return
	}
	if err := f(r); err != nil {
		code := http.StatusBadRequest
		if errors.As(err, new(errConflict)) {
			code = http.StatusConflict
		}
		http.Error(w, "agent: "+oneLine(err), code)
		return
	}
	writeJSON(w, http.StatusOK, s.Status())
}

// errConflict is a control request the run's state refuses (409).
type errConflict struct{ error }

// decodeStrict decodes the request's JSON body into v: one value, no
// unknown field, at most maxSpecBytes.
func decodeStrict(w http.ResponseWriter, req *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, req.Body, maxSpecBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	if dec.More() {
		return errors.New("bad JSON: more than one value")
	}
	return nil
}

// writeJSON answers v in JSON with code.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// oneLine is err's message on one line.
func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// lineLog writes whole lines to w, one at a time.
type lineLog struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format+"\n", args...)
}
