package ui

import (
	"bytes"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/scalelab/scalelab/recordings"
)

// hourData is a synthetic one-hour fleet recording (four frames a second
// of 500 requests a second, a cluster event every 10 s), made once.
var hourData = sync.OnceValues(func() ([]byte, error) {
	var buf bytes.Buffer
	w, err := recordings.NewWriter(&buf, recordings.Header{
		Scalelab: "bench", Start: t0, Command: "demo", Target: "http://127.0.0.1:8080/", Model: "open loop, 500 req/s",
		Tick: 250 * time.Millisecond, Cluster: "fleet",
	}, recordings.FlushEvery(time.Hour))
	if err != nil {
		return nil, err
	}
	events := replayEvents()
	q := 250 * time.Millisecond
	for i := range 4 * 3600 {
		from, to := time.Duration(i)*q, time.Duration(i+1)*q
		if i%40 == 0 {
			e := events[(i/40)%len(events)]
			e.Time = t0.Add(from)
			w.Event(recordings.ClusterEvent(e))
		}
		fm := frame(from, to, 125, time.Duration(2000+(i%13)*500)*time.Microsecond, 200, 500)
		st := replayState(i / 4 % 90)
		w.Frame(recordings.Frame{Snapshot: fm.Snapshot, CPU: fm.CPU, CPUKnown: true, Procs: 2, State: &st})
	}
	err = w.Close()
	return buf.Bytes(), err
})

// BenchmarkReplaySeekHour is the replay UI's worst jump in a one-hour
// recording: 10 s back from the end, which starts the screen afresh and
// feeds it the whole hour (the last ten minutes with their histograms).
// The target is well under a second.
func BenchmarkReplaySeekHour(b *testing.B) {
	data, err := hourData()
	if err != nil {
		b.Fatal(err)
	}
	rec, err := recordings.ReadBytes(data)
	if err != nil {
		b.Fatal(err)
	}
	r := NewReplay(ReplayConfig{Recording: rec, Renderer: asciiRenderer(), Paused: true})
	r.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	end := rec.Duration()
	r.Seek(end)
	for b.Loop() {
		r.Seek(end - 10*time.Second) // back: rebuilt from the start
		_ = r.View()
		r.Seek(end) // forward: 10 s fed
	}
}
