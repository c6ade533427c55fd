//go:build k8se2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
)

// agentComponent is the label value of the pods of scalelab's agents
// (k8s.StartAgents): the kubelet runs them as real `scalelab agent`
// processes.
const agentComponent = "agent"

// podService is what the kubelet runs for a pod: the demo service
// in-process (*fleet.Replica) or an agent process.
type podService interface {
	Version() string
	Done() <-chan struct{}
	Stop(ctx context.Context) error
	Kill()
}

// isAgent reports a pod of scalelab's agents.
func isAgent(pod *corev1.Pod) bool {
	return pod.Labels["app.kubernetes.io/component"] == agentComponent && len(pod.Spec.Containers) > 0
}

// agentProc is `SCALELAB_BIN agent` run for a pod on its address, with
// the token of the Secret the pod mounts.
type agentProc struct {
	cmd  *exec.Cmd
	dir  string
	done chan struct{}
}

// startAgentPod starts the agent of pod on ip, on the container's port,
// its token read from the Secret of the pod's volume.
func (k *kubelet) startAgentPod(ctx context.Context, pod *corev1.Pod, ip string) (*agentProc, int32, error) {
	bin := os.Getenv(binEnvCLI)
	if bin == "" {
		return nil, 0, fmt.Errorf("%s is not set: the kubelet runs agents' pods with it", binEnvCLI)
	}
	c := pod.Spec.Containers[0]
	port := int32(7001)
	if len(c.Ports) > 0 {
		port = c.Ports[0].ContainerPort
	}
	var secret string
	for _, v := range pod.Spec.Volumes {
		if v.Secret != nil {
			secret = v.Secret.SecretName
		}
	}
	s, err := k.client.CoreV1().Secrets(pod.Namespace).Get(ctx, secret, metav1.GetOptions{})
	if err != nil {
		return nil, 0, fmt.Errorf("secret %q of the agent's volume: %w", secret, err)
	}
	dir, err := os.MkdirTemp("", "agent-"+pod.Name)
	if err != nil {
		return nil, 0, err
	}
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, s.Data["token"], 0o600); err != nil {
		return nil, 0, err
	}
	cmd := exec.Command(bin, "agent", "--listen", net.JoinHostPort(ip, fmt.Sprint(port)), "--listen-any", "--token-file", tok)
	log, err := os.Create(filepath.Join(dir, "agent.log"))
	if err != nil {
		return nil, 0, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, 0, fmt.Errorf("start agent: %w", err)
	}
	p := &agentProc{cmd: cmd, dir: dir, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		log.Close()
		_ = os.RemoveAll(dir)
		close(p.done)
	}()
	return p, port, nil
}

// Version names the agent as the kubelet's running() counts it.
func (p *agentProc) Version() string { return "agent" }

// Done is closed when the agent exited.
func (p *agentProc) Done() <-chan struct{} { return p.done }

// Stop sends SIGTERM and waits, SIGKILL when ctx ends first.
func (p *agentProc) Stop(ctx context.Context) error {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-ctx.Done():
		p.Kill()
	}
	return nil
}

// Kill kills the agent and waits for it.
func (p *agentProc) Kill() {
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// tcpReady reports whether addr accepts a connection (the agents' TCP
// readiness probe).
func tcpReady(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// bindAgents plays the scheduler for the agents' pods of ns (a Job's
// pods have no node): it binds each to the kubelet's node until ctx ends.
func (k *kubelet) bindAgents(ctx context.Context) {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/component=" + agentComponent,
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", "").String()}
	for {
		if list, err := k.client.CoreV1().Pods(k.ns).List(ctx, sel); err == nil {
			for _, p := range list.Items {
				b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
					Target: corev1.ObjectReference{Kind: "Node", Name: k.node}}
				if err := k.client.CoreV1().Pods(k.ns).Bind(ctx, b, metav1.CreateOptions{}); err != nil && ctx.Err() == nil {
					k.mu.Lock()
					k.errs = append(k.errs, fmt.Errorf("bind pod %s: %w", p.Name, err))
					k.mu.Unlock()
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
