package recordings

import (
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Header describes a recorded session. Its values must already be free of
// secrets: build Args, Config and Target with Redact, RedactArgs and
// RedactURL.
type Header struct {
	// Format is the file's format version ("1.3"), set by the reader from
	// the version line; the writer ignores it.
	Format string `json:"format,omitempty"`
	// Scalelab is the version of scalelab that recorded.
	Scalelab string `json:"scalelab"`
	// Start is when the session started.
	Start time.Time `json:"start"`
	// Command names the command ("demo", "load", "run"); Args is its
	// command line (redacted); Config its settings by flag name (redacted).
	Command string            `json:"command"`
	Args    []string          `json:"args"`
	Config  map[string]string `json:"config,omitempty"`
	// Target is the URL under load (redacted); Model the load model in
	// words; Closed reports the closed-loop model.
	Target string `json:"target"`
	Model  string `json:"model"`
	Closed bool   `json:"closed_loop"`
	// Window is the sending window (0 when unbounded), Tick the engine's
	// snapshot interval.
	Window time.Duration `json:"window_ns"`
	Tick   time.Duration `json:"tick_ns"`
	// Cluster is the kind of cluster attached ("fleet", "kubernetes"),
	// empty when none, "unknown" when a damaged header lost it (see
	// Recording.HeaderDamage).
	Cluster string `json:"cluster,omitempty"`
	// Histogram is the frames' latency histogram geometry (set by the
	// writer).
	Histogram Geometry `json:"histogram"`
}

// Geometry is an HdrHistogram's range and precision; frames store bucket
// indexes, which only mean something with it.
type Geometry struct {
	Lowest  int64 `json:"lowest"`
	Highest int64 `json:"highest"`
	Digits  int64 `json:"digits"`
}

// engineGeometry is the geometry of the engine's histograms.
func engineGeometry() Geometry {
	h := engine.NewHistogram()
	return Geometry{Lowest: h.LowestTrackableValue(), Highest: h.HighestTrackableValue(), Digits: h.SignificantFigures()}
}
