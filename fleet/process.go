package fleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scalelab/scalelab/cluster"
)

// runner is a member's running replica: in this process (*Replica) or in
// a process of its own (*processReplica).
type runner interface {
	Addr() string
	URL() string
	Stats() ReplicaStats
	Busy() (time.Duration, int)
	Stop(ctx context.Context) error
	Kill()
	Hang()
	Heal()
	AddLatency(l cluster.LatencyRange)
	SetErrorRate(rate float64)
}

var (
	_ runner = (*Replica)(nil)
	_ runner = (*processReplica)(nil)
)

// processReplica is a replica run as a child process (RunChild's other
// side). Its figures are what the child last reported.
type processReplica struct {
	name, addr string
	cmd        *exec.Cmd
	cgroup     string // its CPU cgroup, "" for none

	mu    sync.Mutex // guards stdin
	stdin io.WriteCloser

	status atomic.Pointer[childStatus]
	done   chan struct{} // closed when the process has exited
}

// startProcess starts a replica of cfg as a process of command (the
// executable and its arguments) on a listener of host, in the cgroup at
// cgroup ("" for none; cgs its folder).
func startProcess(command []string, cfg replicaConfig, host string, cgs *cpuCgroups, cgroup string) (*processReplica, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return nil, fmt.Errorf("replica %s: listen: %w", cfg.name, err)
	}
	file, err := ln.(*net.TCPListener).File()
	_ = ln.Close() // the file is a duplicate: the socket stays open
	if err != nil {
		return nil, fmt.Errorf("replica %s: listener: %w", cfg.name, err)
	}
	defer file.Close()
	p := &processReplica{name: cfg.name, addr: ln.Addr().String(), cgroup: cgroup, done: make(chan struct{})}
	p.status.Store(&childStatus{})
	p.cmd = exec.Command(command[0], command[1:]...)
	p.cmd.ExtraFiles = []*os.File{file} // fd 3
	p.cmd.Stderr = os.Stderr
	p.cmd.SysProcAttr = childAttr()
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		return nil, fmt.Errorf("replica %s: %w", cfg.name, err)
	}
	out, err := p.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("replica %s: %w", cfg.name, err)
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("replica %s: start %s: %w", cfg.name, command[0], err)
	}
	if cgroup != "" {
		if err := cgs.add(cgroup, p.cmd.Process.Pid); err != nil {
			p.Kill()
			return nil, fmt.Errorf("replica %s: %w", cfg.name, err)
		}
	}
	go p.read(out, cgs)
	if err := p.send(cfg.child()); err != nil {
		p.Kill()
		return nil, fmt.Errorf("replica %s: configure: %w", cfg.name, err)
	}
	return p, nil
}

// read keeps the child's last status until it exits, then reaps it.
func (p *processReplica) read(out io.Reader, cgs *cpuCgroups) {
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		var st childStatus
		if json.Unmarshal(sc.Bytes(), &st) == nil {
			p.status.Store(&st)
		}
	}
	_ = p.cmd.Wait()
	if p.cgroup != "" {
		cgs.remove(p.cgroup)
	}
	close(p.done)
}

// send writes one line to the child.
func (p *processReplica) send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, err = p.stdin.Write(append(b, '\n'))
	return err
}

// Pid is the child's process ID.
func (p *processReplica) Pid() int { return p.cmd.Process.Pid }

func (p *processReplica) Addr() string { return p.addr }
func (p *processReplica) URL() string  { return "http://" + p.addr }

func (p *processReplica) Stats() ReplicaStats { return p.status.Load().Stats }

func (p *processReplica) Busy() (time.Duration, int) {
	st := p.status.Load()
	return st.Busy, st.InFlight
}

// Stop drains the child (it fails readiness, serves for its drain, then
// exits) and waits for it; when ctx ends first it is killed.
func (p *processReplica) Stop(ctx context.Context) error {
	if err := p.send(childCommand{Op: "stop"}); err != nil {
		p.Kill()
		return nil
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		p.Kill()
		return fmt.Errorf("replica %s: killed: %w", p.name, ctx.Err())
	}
}

// Kill ends the child at once (SIGKILL) and waits for it.
func (p *processReplica) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	if err := p.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		p.mu.Lock()
		_ = p.stdin.Close() // its end of input ends it too
		p.mu.Unlock()
	}
	<-p.done
}

func (p *processReplica) Hang() { _ = p.send(childCommand{Op: "hang"}) }
func (p *processReplica) Heal() { _ = p.send(childCommand{Op: "heal"}) }
func (p *processReplica) AddLatency(l cluster.LatencyRange) {
	_ = p.send(childCommand{Op: "latency", Latency: l})
}
func (p *processReplica) SetErrorRate(rate float64) {
	_ = p.send(childCommand{Op: "error-rate", ErrorRate: rate})
}
