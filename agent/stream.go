package agent

import (
	"encoding/json"
	"net/http"
	"time"
)

// handleFrames streams the latest run's messages from its first frame:
// the frames kept so far at once, each new one as it is made, a heartbeat
// when none went out for HeartbeatEvery, and MsgEnd last. While it is
// open the controller is there. Each write has the orphan timeout as its
// deadline, so that a controller that stopped reading ends the stream.
func (s *Server) handleFrames(w http.ResponseWriter, req *http.Request) {
	s.mu.Lock()
	r := s.run
	if r != nil {
		s.streams++
	}
	s.mu.Unlock()
	if r == nil {
		http.Error(w, "agent: no run", http.StatusConflict)
		return
	}
	defer s.endStream()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	send := func(kind byte, payload []byte) bool {
		_ = rc.SetWriteDeadline(time.Now().Add(s.opts.OrphanTimeout))
		if err := WriteMessage(w, kind, payload); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	if rc.Flush() != nil {
		return
	}
	quiet := time.NewTimer(HeartbeatEvery)
	defer quiet.Stop()
	sent, probed := 0, 0
	for {
		s.mu.Lock()
		frames, probes, ended, notify := r.frames, r.probes, r.ended, r.notify
		end := End{Frames: len(r.frames), Error: r.err, Orphaned: r.orphaned}
		s.mu.Unlock()
		for ; sent < len(frames); sent++ {
			if !send(MsgFrame, frames[sent]) {
				return
			}
			quiet.Reset(HeartbeatEvery)
		}
		for ; probed < len(probes); probed++ {
			if !send(MsgProbe, probes[probed]) {
				return
			}
		}
		if ended {
			payload, _ := json.Marshal(end)
			send(MsgEnd, payload)
			return
		}
		select {
		case <-notify:
		case <-quiet.C:
			if !send(MsgHeartbeat, nil) {
				return
			}
			quiet.Reset(HeartbeatEvery)
		case <-req.Context().Done():
			return
		}
	}
}

// endStream counts a frame stream's end as the controller's last sign of
// presence and wakes the orphan watch.
func (s *Server) endStream() {
	s.mu.Lock()
	s.streams--
	s.lastSeen = time.Now()
	s.mu.Unlock()
	select {
	case s.streamEnded <- struct{}{}:
	default:
	}
}
