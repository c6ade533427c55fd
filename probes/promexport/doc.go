// Package promexport serves a live session's figures to Prometheus: a
// session sink (Sink) that keeps the run's running totals and is a
// prometheus.Collector of them, and the /metrics endpoint it serves on a
// listener (Listen refuses a non-loopback address unless asked).
//
// The series, all under scalelab_ (counters count from the load's start):
//
//	scalelab_requests_total{status_class}       answers by class: 2xx, 3xx, 4xx, 5xx (other: any further code)
//	scalelab_request_errors_total{error_class}  requests that ended without an answer, by engine.ErrorClasses
//	scalelab_version_requests_total{version}    requests by the version that answered (bounded: engine.MaxVersions, unknown, other)
//	scalelab_version_failed_requests_total{version} of those, the failed (transport errors and 5xx)
//	scalelab_request_latency_seconds            latency histogram (from the intended send), classic and native
//	scalelab_request_service_time_seconds       service-time histogram (from the actual send), classic and native
//	scalelab_requests_in_flight                 requests outstanding at the latest tick's end
//	scalelab_sends_dropped_total                open-loop sends never made
//	scalelab_sends_late_total                   open-loop sends made over 1 ms late
//	scalelab_threshold_passing{threshold}       1 while a threshold holds, 0 while it fails
//	scalelab_step_info{step}                    1 for each step in progress (no series when none is)
//
// Labels are bounded: classes, versions, the run's thresholds and steps;
// never a URL or an error's text.
package promexport
