package recordings

import (
	"time"

	"github.com/scalelab/scalelab/engine"
)

// Header describes a recorded session. Its values must already be free of
// secrets: build Args, Config and Target with Redact, RedactArgs and
// RedactURL.
type Header struct {
	// Format is the file's format version ("1.4"), set by the reader from
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
	// Load is the load as configured, as data (1.4; nil in older files:
	// Model and Config say it in words and flags).
	Load *Load `json:"load,omitempty"`
	// Steps are the scripted steps' specs in time order (1.4: an empty
	// array without steps; nil in older files, whose steps are in
	// Config["step"], joined with "; ").
	Steps []string `json:"steps"`
	// Histogram is the frames' latency histogram geometry (set by the
	// writer).
	Histogram Geometry `json:"histogram"`
}

// Load is a session's load model and request settings as data.
type Load struct {
	// Rate is the open loop's constant rate (req/s), Stages its ramped
	// plan, Concurrency the closed loop's connections: one of the three.
	Rate        float64 `json:"rate,omitempty"`
	Stages      []Stage `json:"stages,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	// DurationS is the sending window in seconds (0: until stopped).
	DurationS float64 `json:"duration_s"`
	// TimeoutS bounds each request; MaxInflight the open loop's
	// outstanding requests.
	TimeoutS    float64 `json:"timeout_s"`
	MaxInflight int     `json:"max_inflight"`
	// Method is the request method; KeepAlive says whether connections
	// are reused.
	Method    string `json:"method"`
	KeepAlive bool   `json:"keep_alive"`
}

// Stage is one ramp of a stage plan: to Rate req/s over DurationS.
type Stage struct {
	DurationS float64 `json:"duration_s"`
	Rate      float64 `json:"rate"`
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
