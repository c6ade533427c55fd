package cli

import (
	"encoding/json"
	"path/filepath"
	"testing"
)

// TestKeepAliveExample runs experiments/examples/keepalive.yaml (3 s at
// 200/s on the local fleet) as it is and with --no-keepalive: without
// keep-alive every request that ended opened its own connection
// (connections_opened equals requests less those that failed before a
// connection was made: refused, dns, unreachable, address; dropped sends were
// never requests), with keep-alive a few connections carried them all;
// connect_ms is there in both.
func TestKeepAliveExample(t *testing.T) {
	t.Parallel()
	bin := buildBinary(t)
	plan := filepath.Join("..", "experiments", "examples", "keepalive.yaml")
	type run struct {
		Requests          uint64             `json:"requests"`
		Dropped           uint64             `json:"dropped"`
		Errors            map[string]uint64  `json:"errors"`
		ConnectionsOpened uint64             `json:"connections_opened"`
		ConnectMs         map[string]float64 `json:"connect_ms"`
		LatencyMs         map[string]float64 `json:"latency_ms"`
	}
	get := func(extra ...string) run {
		out, errOut, code := runBin(t, bin, append([]string{"demo", "--headless", "--no-record", "--json", "--plan", plan}, extra...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s", extra, code, errOut)
		}
		var r run
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("summary: %v\n%s", err, out)
		}
		return r
	}
	kept, fresh := get(), get("--no-keepalive")
	for name, r := range map[string]run{"keep-alive": kept, "no keep-alive": fresh} {
		if r.Requests < 300 || r.ConnectMs["max"] <= 0 || r.ConnectMs["p99"] > r.ConnectMs["max"] {
			t.Errorf("%s: %d requests, connect_ms %v; want 300 or more and connect times", name, r.Requests, r.ConnectMs)
		}
	}
	noConn := fresh.Errors["refused"] + fresh.Errors["dns"] + fresh.Errors["unreachable"] + fresh.Errors["address"]
	if fresh.ConnectionsOpened != fresh.Requests-noConn {
		t.Errorf("no keep-alive: connections_opened %d for %d requests (%d never connected, errors %v); want one per request",
			fresh.ConnectionsOpened, fresh.Requests, noConn, fresh.Errors)
	}
	if kept.ConnectionsOpened < 1 || kept.ConnectionsOpened*10 > kept.Requests {
		t.Errorf("keep-alive: connections_opened %d for %d requests; want a few carrying them all", kept.ConnectionsOpened, kept.Requests)
	}
	t.Logf("keep-alive: %d connections, p99.9 %v ms, connect p99 %v ms; no keep-alive: %d connections, p99.9 %v ms, connect p99.9 %v ms",
		kept.ConnectionsOpened, kept.LatencyMs["p999"], kept.ConnectMs["p99"], fresh.ConnectionsOpened, fresh.LatencyMs["p999"], fresh.ConnectMs["p999"])
}
