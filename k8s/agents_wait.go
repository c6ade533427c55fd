package k8s

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// agentsPoll is how often the wait for the agents' pods looks.
const agentsPoll = 500 * time.Millisecond

// waitAgentsReady waits up to timeout for count ready pods of job (run's
// label), and returns their names in completion-index order. On timeout
// it names the pods not ready, with their phase and reason; a pod that
// failed fails the wait at once (the Job's backoffLimit is 0).
func waitAgentsReady(ctx context.Context, client kubernetes.Interface, ns, job, run string, count int, timeout time.Duration) ([]string, error) {
	outer := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sel := metav1.ListOptions{LabelSelector: LabelRun + "=" + run}
	tick := time.NewTicker(agentsPoll)
	defer tick.Stop()
	var pods []corev1.Pod
	for {
		list, err := client.CoreV1().Pods(ns).List(ctx, sel)
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("agents: job/%s: %w", job, apiError(err, "list", "pods", ns))
		}
		if err == nil {
			pods = list.Items
			slices.SortFunc(pods, func(a, b corev1.Pod) int {
				return cmp.Or(cmp.Compare(completionIndex(a), completionIndex(b)), cmp.Compare(a.Name, b.Name))
			})
			var ready []string
			for _, p := range pods {
				if p.Status.Phase == corev1.PodFailed {
					return nil, fmt.Errorf("agents: job/%s: pod/%s failed: %s", job, p.Name, podWhy(&p))
				}
				if podReady(&p) {
					ready = append(ready, p.Name)
				}
			}
			if len(ready) >= count {
				return ready[:count], nil
			}
		}
		select {
		case <-ctx.Done():
			if outer.Err() != nil {
				return nil, fmt.Errorf("agents: job/%s: waiting for the pods: %w", job, outer.Err())
			}
			return nil, notReadyError(job, pods, count, timeout)
		case <-tick.C:
		}
	}
}

// notReadyError is the wait's timeout, in one line: how many pods are
// ready, and each not ready with its phase and reason.
func notReadyError(job string, pods []corev1.Pod, count int, timeout time.Duration) error {
	ready := 0
	var not []string
	for i := range pods {
		if podReady(&pods[i]) {
			ready++
			continue
		}
		not = append(not, fmt.Sprintf("pod/%s %s", pods[i].Name, podWhy(&pods[i])))
	}
	if missing := count - len(pods); missing > 0 {
		not = append(not, fmt.Sprintf("%d pods not created", missing))
	}
	return fmt.Errorf("agents: timed out waiting for the condition on job/%s: %d/%d pods ready after %s; not ready: %s",
		job, ready, count, timeout, joinMax(not, 8))
}

// podReady reports the pod's Ready condition true.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// podWhy is a pod's phase and why it is not ready, as kubectl get pods
// would show it: "Pending (ImagePullBackOff)", "Pending (Unschedulable:
// 0/3 nodes are available)", "Running (ContainersNotReady)".
func podWhy(p *corev1.Pod) string {
	phase := cmp.Or(string(p.Status.Phase), "Pending")
	var why []string
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason != "":
			why = append(why, cs.State.Waiting.Reason)
		case cs.State.Terminated != nil:
			why = append(why, cmp.Or(cs.State.Terminated.Reason, "Terminated")+" exit "+strconv.Itoa(int(cs.State.Terminated.ExitCode)))
		}
	}
	if len(why) == 0 {
		for _, c := range p.Status.Conditions {
			if c.Status == corev1.ConditionTrue || c.Reason == "" {
				continue
			}
			r := c.Reason
			if c.Type == corev1.PodScheduled && c.Message != "" {
				r += ": " + oneLine(c.Message)
			}
			why = append(why, r)
			break
		}
	}
	if len(why) == 0 {
		return phase
	}
	return phase + " (" + strings.Join(why, ", ") + ")"
}

// completionIndex is an Indexed Job pod's index, -1 when it has none.
func completionIndex(p corev1.Pod) int {
	s, ok := p.Annotations[batchv1.JobCompletionIndexAnnotation]
	if !ok {
		s = p.Labels[batchv1.JobCompletionIndexAnnotation]
	}
	i, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return i
}
