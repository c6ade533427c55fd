package engine_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/engine/enginetest"
)

// checkConnects checks that total counts want connections opened, as many
// as the server accepted, each with its opening time, and that the summary
// reports them.
func checkConnects(t *testing.T, total *engine.Snapshot, want, accepted uint64) {
	t.Helper()
	if total.ConnectionsOpened != want || accepted != want {
		t.Errorf("connections opened %d, server accepted %d, want %d (%d requests)",
			total.ConnectionsOpened, accepted, want, total.Requests)
	}
	if total.Connect == nil || uint64(total.Connect.TotalCount()) != total.ConnectionsOpened {
		t.Fatalf("connect histogram %v, want %d opening times", total.Connect, total.ConnectionsOpened)
	}
	s := engine.Summarize(total, 1)
	if s.ConnectionsOpened != want || s.ConnectMs == nil || s.ConnectMs.Max <= 0 || s.ConnectMs.P50 > s.LatencyMs.Max {
		t.Errorf("summary: connections_opened %d, connect_ms %+v (latency max %g ms)", s.ConnectionsOpened, s.ConnectMs,
			s.LatencyMs.Max)
	}
}

// TestConnectionsOpenedWithoutKeepAlive opens one connection per request
// and times each. (The server's delay keeps these tests light: the
// package's timing tests run beside them.)
func TestConnectionsOpenedWithoutKeepAlive(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Delay(2*time.Millisecond))
	res, _ := runLoad(t, srv.URL, engine.KeepAlive(false), engine.Concurrency(2), engine.Duration(200*time.Millisecond))
	if res.Total.Requests < 20 || res.Total.Status[200] != res.Total.Requests {
		t.Fatalf("requests %d, status %v, errors %v", res.Total.Requests, res.Total.Status, res.Total.Errors)
	}
	checkConnects(t, res.Total, res.Total.Requests, srv.Conns())
}

// TestConnectionsOpenedWithKeepAlive opens one connection per worker,
// however many requests they send.
func TestConnectionsOpenedWithKeepAlive(t *testing.T) {
	t.Parallel()
	srv := enginetest.NewServer(t, enginetest.Delay(2*time.Millisecond))
	res, _ := runLoad(t, srv.URL, engine.Concurrency(3), engine.Duration(200*time.Millisecond))
	if res.Total.Requests < 30 || res.Total.Status[200] != res.Total.Requests {
		t.Fatalf("requests %d, status %v, errors %v", res.Total.Requests, res.Total.Status, res.Total.Errors)
	}
	checkConnects(t, res.Total, 3, srv.Conns())
}

// TestConnectTimesTheTLSHandshake counts HTTPS connections, each opened
// by a dial and a handshake, and no connection for a refused dial.
func TestConnectTimesTheTLSHandshake(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	res, _ := runLoad(t, srv.URL, engine.KeepAlive(false), engine.Insecure(true), engine.Rate(100),
		engine.Duration(150*time.Millisecond))
	if res.Total.Requests == 0 || res.Total.Status[200] != res.Total.Requests {
		t.Fatalf("requests %d, status %v, errors %v", res.Total.Requests, res.Total.Status, res.Total.Errors)
	}
	checkConnects(t, res.Total, res.Total.Requests, res.Total.Requests)

	refused, _ := runLoad(t, enginetest.ClosedURL(t), engine.Rate(50), engine.Duration(100*time.Millisecond))
	if refused.Total.Requests == 0 || refused.Total.ConnectionsOpened != 0 {
		t.Errorf("refused dials: %d requests, %d connections opened, want none opened", refused.Total.Requests,
			refused.Total.ConnectionsOpened)
	}
}

// TestSummaryConnectFieldsPresence checks that connect_ms and
// connections_opened are in the JSON when a connection was opened, and
// absent otherwise (as in a summary of a recording, which keeps neither).
func TestSummaryConnectFieldsPresence(t *testing.T) {
	t.Parallel()
	s := window(0, 1)
	s.Requests, s.Status[200] = 10, 10
	for range 10 {
		_ = s.Latency.RecordValue(900)
	}
	for name, tc := range map[string]struct {
		opened uint64
		want   bool
	}{"none opened": {0, false}, "two opened": {2, true}} {
		c := s.Clone()
		if tc.opened > 0 {
			c.ConnectionsOpened, c.Connect = tc.opened, engine.NewHistogram()
			_ = c.Connect.RecordValue(250)
			_ = c.Connect.RecordValue(750)
		}
		raw, err := json.Marshal(engine.Summarize(c, 1))
		if err != nil {
			t.Fatal(err)
		}
		js := string(raw)
		for _, field := range []string{`"connect_ms":`, `"connections_opened":`} {
			if strings.Contains(js, field) != tc.want {
				t.Errorf("%s: %s present %v, want %v in %s", name, field, !tc.want, tc.want, js)
			}
		}
		if tc.want && (!strings.Contains(js, `"connections_opened":2`) ||
			!strings.Contains(js, `"connect_ms":{"p50":0.25,`) || !strings.Contains(js, `"max":0.75`)) {
			t.Errorf("%s: want 2 connections, p50 0.25 ms and max 0.75 ms in %s", name, js)
		}
	}
}

// TestMergeConnects merges and copies the connections opened and their
// opening times exactly, packed or not.
func TestMergeConnects(t *testing.T) {
	t.Parallel()
	all := engine.NewHistogram()
	parts := []*engine.Snapshot{window(0, 1), window(1, 2), window(2, 3)}
	for i, p := range parts {
		if i == 1 {
			continue // a tick that opened none: nil histogram
		}
		p.Connect = engine.NewHistogram()
		for v := range int64(500) {
			us := 1 + v*v*int64(i+1) // from 1 µs to about half a second
			_ = p.Connect.RecordValue(us)
			_ = all.RecordValue(us)
			p.ConnectionsOpened++
		}
	}
	merged, packed, counted := engine.NewSnapshot(), engine.NewSnapshot(), engine.NewSnapshot()
	var pk engine.Packed
	for _, p := range parts {
		merged.Merge(p)
		pk.Pack(p)
		packed.MergePacked(p, &pk)
		counted.MergeCounts(p)
	}
	for name, s := range map[string]*engine.Snapshot{"merged": merged, "packed": packed, "clone": merged.Clone()} {
		if s.ConnectionsOpened != 1000 || s.Connect == nil || !s.Connect.Equals(all) {
			t.Errorf("%s: %d connections opened, histogram equal to all values %v", name, s.ConnectionsOpened,
				s.Connect != nil && s.Connect.Equals(all))
		}
	}
	if counted.ConnectionsOpened != 1000 {
		t.Errorf("MergeCounts: %d connections opened, want 1000", counted.ConnectionsOpened)
	}
	reused := merged.Clone()
	reused.CopyFrom(parts[1])
	if reused.ConnectionsOpened != 0 || (reused.Connect != nil && reused.Connect.TotalCount() != 0) {
		t.Errorf("a copy of a tick that opened none kept %d connections", reused.ConnectionsOpened)
	}
}
