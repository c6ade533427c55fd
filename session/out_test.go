package session

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scalelab/scalelab/engine"
)

// TestOutStreamsSumToTheResult runs a load against a loopback server with
// both --out sinks: each JSONL tick line and CSV row counts the requests
// that ended in its tick, so that they sum exactly to the result's; the
// operator's event is a line of its own.
func TestOutStreamsSumToTheResult(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	var jl, cs bytes.Buffer
	s, err := New(Config{
		Command: "test",
		Target:  engine.Target{Method: "GET", URL: srv.URL},
		Options: []engine.Option{engine.Rate(300), engine.Duration(time.Second)},
		Sinks:   []Sink{JSONL(&jl), CSV(&cs)},
	})
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(400 * time.Millisecond)
		s.Emit(Event{Source: FromOperator, Kind: "note", Message: "mark"})
	}()
	res, err := s.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var sum, failed uint64
	ticks, notes := 0, 0
	lastTS := -1.0
	sc := bufio.NewScanner(&jl)
	for sc.Scan() {
		var head struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &head); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		switch head.Type {
		case "tick":
			var l TickLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			if l.TS <= lastTS {
				t.Fatalf("t_s %.3f after %.3f: not increasing", l.TS, lastTS)
			}
			lastTS = l.TS
			var byStatus uint64
			for _, c := range l.Status {
				byStatus += c
			}
			if byStatus != l.Requests {
				t.Fatalf("tick %+v: statuses sum to %d", l, byStatus)
			}
			sum += l.Requests
			failed += l.Failed
			ticks++
		case "event":
			var l EventLine
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			if l.Source == FromOperator && l.Message == "mark" && l.TS >= 0 && l.TS < 1.5 {
				notes++
			}
		default:
			t.Fatalf("line of type %q: %s", head.Type, sc.Text())
		}
	}
	total := res.Load.Total
	if sum != total.Requests || failed != total.Failed() || sum < 250 {
		t.Fatalf("JSONL ticks sum to %d requests, %d failed; the result %d, %d", sum, failed, total.Requests, total.Failed())
	}
	if notes != 1 || ticks < 2 {
		t.Fatalf("%d ticks, %d operator notes within the run; want ≥2 and 1", ticks, notes)
	}
	rows, err := csv.NewReader(&cs).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != ticks+1 || len(rows[0]) != len(CSVColumns) || rows[0][2] != "requests" {
		t.Fatalf("%d CSV rows for %d ticks, header %v", len(rows), ticks, rows[0])
	}
	var csum uint64
	for _, r := range rows[1:] {
		v, err := strconv.ParseUint(r[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		csum += v
	}
	if csum != total.Requests {
		t.Fatalf("CSV rows sum to %d requests, the result %d", csum, total.Requests)
	}
}
