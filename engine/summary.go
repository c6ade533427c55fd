package engine

import (
	"strconv"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Percentiles are latency figures in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// PercentilesOf reads the percentiles of a histogram in microseconds.
func PercentilesOf(h *hdrhistogram.Histogram) Percentiles {
	if h == nil || h.TotalCount() == 0 {
		return Percentiles{}
	}
	ms := func(us int64) float64 { return round3(float64(us) / 1000) }
	return Percentiles{
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P95:  ms(h.ValueAtQuantile(95)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
		Mean: round3(h.Mean() / 1000),
	}
}

// round3 rounds to three decimals (microseconds when in milliseconds).
func round3(v float64) float64 {
	return float64(int64(v*1000+0.5)) / 1000
}

// Summary is a run's report, as printed by `scalelab load --json`.
type Summary struct {
	// Requests is the sum of Status and Errors; dropped sends are not in it.
	Requests uint64 `json:"requests"`
	// DurationS is the sending window in seconds, and RPS Requests over it.
	DurationS float64 `json:"duration_s"`
	RPS       float64 `json:"rps"`
	// Status counts responses by status code; Errors the transport errors
	// (requests without an HTTP answer) by class.
	Status map[string]uint64 `json:"status"`
	Errors map[string]uint64 `json:"errors"`
	// ErrorDetail splits the classes that do not say why by themselves
	// (protocol, other) by cause: class → cause → count, each class's
	// causes summing to its Errors count; absent when there were none.
	ErrorDetail map[string]map[string]uint64 `json:"error_detail,omitempty"`
	// Failed counts the requests that failed: transport errors and 5xx
	// answers.
	Failed uint64 `json:"failed"`
	// Dropped counts open-loop requests due in the window but never sent
	// (MaxInflight reached, or the generator fell behind until the window
	// closed); Late those sent more than 1 ms behind schedule.
	Dropped uint64 `json:"dropped"`
	Late    uint64 `json:"late"`
	// LatencyMs is every request's latency, timed from the intended send
	// in open loop; ServiceMs from the actual send. OKLatencyMs and
	// FailedLatencyMs split LatencyMs between the requests that did not
	// fail and those that failed (timed the same way).
	LatencyMs       Percentiles `json:"latency_ms"`
	ServiceMs       Percentiles `json:"service_ms"`
	OKLatencyMs     Percentiles `json:"ok_latency_ms"`
	FailedLatencyMs Percentiles `json:"failed_latency_ms"`
	// Availability is (Requests - Failed) / Requests (0 when there were no
	// requests).
	Availability float64 `json:"availability"`
	// BytesIn and BytesOut count response and request body bytes.
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
	// LagMaxMs is the largest scheduling lag (actual minus intended send).
	LagMaxMs float64 `json:"lag_max_ms"`
	// ConnectionsOpened counts the connections the requests opened (see
	// Snapshot.ConnectionsOpened), ConnectMs their opening times (the
	// dial, and the TLS handshake for https), part of those requests'
	// latency. Both absent when no connection was opened, and in a
	// summary of a recording (recordings do not keep them).
	ConnectionsOpened uint64       `json:"connections_opened,omitempty"`
	ConnectMs         *Percentiles `json:"connect_ms,omitempty"`
	// ByVersion splits the requests by the version that answered them
	// (see Snapshot.ByVersion), those without one under UnknownVersion, so
	// that the entries sum to Requests; absent when no request had a
	// version.
	ByVersion map[string]VersionSummary `json:"by_version,omitempty"`
	// RetrySummary holds the effective figures, nil without retries (its
	// fields are then absent from the JSON). With retries every figure
	// above is raw: Requests counts attempts.
	*RetrySummary
}

// RetrySummary is what the retries did: each attempt counts in the raw
// figures, each request (its retries in it) in the effective ones.
type RetrySummary struct {
	// EffectiveRequests counts the requests, EffectiveFailed those whose
	// last attempt failed; EffectiveAvailability is (EffectiveRequests -
	// EffectiveFailed) / EffectiveRequests, RawAvailability the share of
	// attempts that did not fail (the summary's Availability).
	EffectiveRequests     uint64  `json:"effective_requests"`
	EffectiveFailed       uint64  `json:"effective_failed"`
	EffectiveAvailability float64 `json:"effective_availability"`
	RawAvailability       float64 `json:"raw_availability"`
	// Attempts counts every attempt (the summary's Requests), Retries
	// those after a request's first, Amplification the attempts per
	// request; RetriesBudgetExhausted the requests whose retry the budget
	// refused.
	Attempts               uint64  `json:"attempts"`
	Retries                uint64  `json:"retries"`
	Amplification          float64 `json:"amplification"`
	RetriesBudgetExhausted uint64  `json:"retries_budget_exhausted"`
	// EffectiveLatencyMs is the requests' latency, timed from their first
	// attempt's intended send (open loop) to their last attempt's end.
	EffectiveLatencyMs Percentiles `json:"effective_latency_ms"`
}

// summarizeRetries reports the effective figures, nil when the snapshot
// has none (no retries).
func summarizeRetries(total *Snapshot) *RetrySummary {
	if total.EffectiveRequests == 0 {
		return nil
	}
	return &RetrySummary{
		EffectiveRequests:      total.EffectiveRequests,
		EffectiveFailed:        total.EffectiveFailed,
		EffectiveAvailability:  total.EffectiveAvailability(),
		RawAvailability:        availability(total.Requests, total.Failed()),
		Attempts:               total.Requests,
		Retries:                total.Retries,
		Amplification:          round3(total.Amplification()),
		RetriesBudgetExhausted: total.RetriesBudgetExhausted,
		EffectiveLatencyMs:     PercentilesOf(total.Effective),
	}
}

// VersionSummary is what one version of the service answered over a run.
type VersionSummary struct {
	// Requests counts the requests it answered; Errors the transport
	// errors among them, Failed those that failed (transport errors and
	// 5xx answers).
	Requests uint64 `json:"requests"`
	Errors   uint64 `json:"errors"`
	Failed   uint64 `json:"failed"`
	// Availability is (Requests - Failed) / Requests.
	Availability float64 `json:"availability"`
	// LatencyMs is its requests' latency, timed as the summary's.
	LatencyMs Percentiles `json:"latency_ms"`
}

// summarizeVersions reports each version of a total snapshot (nil when no
// request had a version: no entry, or only UnknownVersion's).
func summarizeVersions(total *Snapshot) map[string]VersionSummary {
	if _, only := total.ByVersion[UnknownVersion]; len(total.ByVersion) == 0 || (only && len(total.ByVersion) == 1) {
		return nil
	}
	out := make(map[string]VersionSummary, len(total.ByVersion))
	for name, vs := range total.ByVersion {
		out[name] = VersionSummary{
			Requests:     vs.Requests,
			Errors:       vs.Errors,
			Failed:       vs.Failed,
			Availability: availability(vs.Requests, vs.Failed),
			LatencyMs:    PercentilesOf(vs.Latency),
		}
	}
	return out
}

// availability is the share of requests that did not fail (0 without
// requests).
func availability(requests, failed uint64) float64 {
	if requests == 0 {
		return 0
	}
	return float64(requests-failed) / float64(requests)
}

// Summarize reports a run's total snapshot over its sending window in
// seconds.
func Summarize(total *Snapshot, windowS float64) Summary {
	s := Summary{
		Requests:  total.Requests,
		DurationS: round3(windowS),
		Status:    map[string]uint64{},
		Errors:    map[string]uint64{},
		Dropped:   total.Dropped,
		Late:      total.Late,
		Failed:    total.Failed(),
		LatencyMs: PercentilesOf(total.Latency),
		ServiceMs: PercentilesOf(total.Service),
		// OKLatency is nil only with Latency: then both are empty.
		OKLatencyMs:     PercentilesOf(total.OKLatency()),
		FailedLatencyMs: PercentilesOf(total.FailedLatency),
		BytesIn:         total.BytesIn,
		BytesOut:        total.BytesOut,
		LagMaxMs:        round3(float64(total.LagMax.Microseconds()) / 1000),
		ByVersion:       summarizeVersions(total),
		RetrySummary:    summarizeRetries(total),
	}
	if total.ConnectionsOpened > 0 && total.Connect != nil && total.Connect.TotalCount() > 0 {
		s.ConnectionsOpened = total.ConnectionsOpened
		p := PercentilesOf(total.Connect)
		s.ConnectMs = &p
	}
	if s.DurationS > 0 {
		s.RPS = round3(float64(total.Requests) / s.DurationS)
	}
	for code, n := range total.Status {
		s.Status[strconv.Itoa(code)] = n
	}
	for _, c := range ErrorClasses() {
		if n := total.Errors[c]; n > 0 {
			s.Errors[c.String()] = n
		}
	}
	s.ErrorDetail = summarizeCauses(total)
	s.Availability = availability(total.Requests, s.Failed)
	return s
}

// summarizeCauses reports the Detailed classes' errors by cause (nil when
// there are none); what a snapshot does not split (one read from a
// recording made before causes were kept) is unclassified.
func summarizeCauses(total *Snapshot) map[string]map[string]uint64 {
	var out map[string]map[string]uint64
	for _, c := range ErrorClasses() {
		if !c.Detailed() || total.Errors[c] == 0 {
			continue
		}
		byCause := map[string]uint64{}
		var split uint64
		for _, k := range ErrorCauses() {
			if n := total.Causes[c][k]; n > 0 {
				byCause[k.String()] += n
				split += n
			}
		}
		if total.Errors[c] > split {
			byCause[CauseUnclassified.String()] += total.Errors[c] - split
		}
		if out == nil {
			out = map[string]map[string]uint64{}
		}
		out[c.String()] = byCause
	}
	return out
}
