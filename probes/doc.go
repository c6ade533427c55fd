// Package probes measures saturation, so that a run can tell whether the
// generator or the target set its pace. It follows the USE method:
//
//	for every resource (CPU, memory, network) look at Utilisation (how busy it is),
//	Saturation (how much work waits for it: run delay, throttling, pressure, retransmits)
//	and Errors (failed opens, resets, drops); saturation, not utilisation, finds the bottleneck.
//
// A Generator probes the generator's own process; it reads only /proc and
// the cgroup file system (v1 or v2), needs no root, and costs about 0.1 ms
// and no allocation per sample (BenchmarkGeneratorSample). On systems other
// than Linux its kernel figures report "not available". Judge turns a
// sample into a Saturation: whether the run is generator-bound, and why.
package probes
