package fleet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// childEnv makes this test binary a process replica (RunChild), as
// `scalelab target --fleet-child` is in the real program.
const childEnv = "SCALELAB_FLEET_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		ln, err := net.FileListener(os.NewFile(3, "fleet listener"))
		if err == nil {
			err = RunChild(context.Background(), os.Stdin, os.Stdout, ln)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// processFleet starts a fleet of process replicas (this test binary as
// their program) with opts.
func processFleet(t *testing.T, opts ...Option) *Fleet {
	t.Helper()
	t.Setenv(childEnv, "1")
	f, _ := startFleet(t, append([]Option{ProcessReplicas(os.Args[0])}, opts...)...)
	return f
}

// drive sends GETs to url from workers goroutines for d (bounded), and
// returns how many were answered.
func drive(t *testing.T, url string, workers int, d time.Duration) int {
	t.Helper()
	var mu sync.Mutex
	n := 0
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			c := &http.Client{Timeout: 5 * time.Second}
			for i := 0; i < 100000 && time.Now().Before(end); i++ {
				resp, err := c.Get(url)
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				n++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return n
}

// usageOf waits (up to 5 s) until every live replica of f has a usage
// sample that ok accepts, and returns them.
func usageOf(t *testing.T, f *Fleet, ok func(cluster.Usage) bool) []cluster.Replica {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var live []cluster.Replica
		good := 0
		for _, r := range f.State().Replicas {
			if r.Phase.Live() {
				live = append(live, r)
				if r.Usage != nil && ok(*r.Usage) {
					good++
				}
			}
		}
		if len(live) > 0 && good == len(live) {
			return live
		}
		if time.Now().After(deadline) {
			for _, r := range live {
				t.Logf("%s: %+v", r.Name, r.Usage)
			}
			t.Fatalf("%d of %d replicas with the usage wanted", good, len(live))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestProcessReplicaThrottled: a process replica under a 0.2-core quota,
// loaded with CPU work, shows nr_throttled rising and is marked
// throttled; an unthrottled one under the same load is not.
func TestProcessReplicaThrottled(t *testing.T) {
	limited := processFleet(t, Replicas(1), ReplicaCPU(0.2), ReplicaDefaults(CPUWork(2*time.Millisecond)))
	if notes := limited.State().UsageNotes; len(notes) > 0 {
		t.Skipf("no CPU quota on this machine: %s", notes[0])
	}
	free := processFleet(t, Replicas(1), ReplicaDefaults(CPUWork(2*time.Millisecond)))
	var wg sync.WaitGroup
	var nl, nf int
	wg.Go(func() { nl = drive(t, limited.URL(), 4, 3*time.Second) })
	wg.Go(func() { nf = drive(t, free.URL(), 4, 3*time.Second) })
	time.Sleep(1500 * time.Millisecond)
	first := usageOf(t, limited, func(u cluster.Usage) bool { return u.ThrottledKnown })[0].Usage
	l := usageOf(t, limited, func(u cluster.Usage) bool { return u.ThrottledKnown && u.NrThrottled > first.NrThrottled })[0].Usage
	fr := usageOf(t, free, func(u cluster.Usage) bool { return u.CPUKnown })[0].Usage
	wg.Wait()
	t.Logf("limited (0.2 cores, %d answers): cpu %.2f, throttled %.0f%% of periods, nr_throttled %d→%d, rss %d MB, run delay %s, busy %.2f",
		nl, l.CPU, 100*l.Throttled, first.NrThrottled, l.NrThrottled, l.RSS>>20, l.RunDelay, l.Busy)
	t.Logf("free (%d answers): cpu %.2f, throttling known %v, rss %d MB, run delay %s, busy %.2f", nf, fr.CPU, fr.ThrottledKnown, fr.RSS>>20, fr.RunDelay, fr.Busy)
	if l.Source != "process" || l.CPULimit != 0.2 || l.Throttled < 0.1 || !l.Saturated || !strings.Contains(strings.Join(l.Reasons, "; "), "throttled") {
		t.Errorf("limited replica %+v: want a 0.2 limit, over 10%% of periods throttled, marked throttled", *l)
	}
	if l.CPU > 0.3 {
		t.Errorf("limited replica used %.2f cores: want at most about its 0.2 quota", l.CPU)
	}
	if fr.ThrottledKnown || fr.CPULimit != 0 || strings.Contains(strings.Join(fr.Reasons, "; "), "throttled") || fr.RSS == 0 {
		t.Errorf("free replica %+v: want no quota, not throttled, its RSS", *fr)
	}
	if nf <= nl {
		t.Errorf("the free replica answered %d, the limited one %d: want the quota to slow it", nf, nl)
	}
}

// TestProcessReplicaStop: a fleet of process replicas serves, and its
// Stop leaves no child process and no cgroup behind.
func TestProcessReplicaStop(t *testing.T) {
	t.Setenv(childEnv, "1")
	f, err := New(append(fastOptions(), ProcessReplicas(os.Args[0]), Replicas(2), ReplicaCPU(0.5))...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := f.Start(ctx); err != nil {
		t.Fatal(err)
	}
	if n := drive(t, f.URL(), 2, 300*time.Millisecond); n == 0 {
		t.Fatal("no answer from the process replicas")
	}
	f.mu.Lock()
	var pids []int
	for _, m := range f.members {
		pids = append(pids, m.rep.(*processReplica).Pid())
	}
	cgs := f.cgroups
	f.mu.Unlock()
	if err := f.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("replica process %d after Stop: %v, want gone", pid, err)
		}
	}
	if cgs != nil {
		if _, err := os.Stat(cgs.dir); !os.IsNotExist(err) {
			t.Errorf("cgroup folder %s after Stop: %v, want removed", cgs.dir, err)
		}
	}
}

// TestInProcessReplicaBusy: an in-process replica reports its busy time
// (about rate × latency) and what it has in flight.
func TestInProcessReplicaBusy(t *testing.T) {
	f, _ := startFleet(t, Replicas(1), ReplicaDefaults(Latency(cluster.LatencyRange{Min: 20 * time.Millisecond, Max: 20 * time.Millisecond})))
	done := make(chan int)
	go func() { done <- drive(t, f.URL(), 4, 2500*time.Millisecond) }()
	time.Sleep(1200 * time.Millisecond)
	u := usageOf(t, f, func(u cluster.Usage) bool { return u.BusyKnown && u.Busy > 0 })[0].Usage
	<-done
	if u.Source != "in-process" || u.Busy < 1 || u.Busy > 4.5 || u.CPUKnown {
		t.Errorf("usage %+v: want in-process, busy about 4 (4 workers always waiting 20 ms), no CPU of its own", *u)
	}
}
