package k8s

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Defaults of AgentsOptions.
const (
	// DefaultMaxAgents is the most agents StartAgents runs when
	// MaxAgents is 0 (--max-agents).
	DefaultMaxAgents = 10
	// DefaultAgentPort is the agents' control port.
	DefaultAgentPort = 7001
	// DefaultAgentImage is the scalelab image deploy/ runs (it holds all
	// of scalelab).
	DefaultAgentImage = "scalelab/target:v1"
	// DefaultAgentsReadyTimeout bounds the wait for the agents' pods.
	DefaultAgentsReadyTimeout = 60 * time.Second
	// AgentsTTL is the Job's ttlSecondsAfterFinished: the Job controller
	// deletes a finished Job (and, by owner reference, its Secret and
	// pods) after it.
	AgentsTTL = 300
	// agentTokenDir is where the Secret is mounted in the agents' pods.
	agentTokenDir = "/etc/scalelab-agent"
	// agentTokenKey is the Secret's key holding the token.
	agentTokenKey = "token"
	// LabelRun is the label naming a run's agents' objects.
	LabelRun = "scalelab.dev/run"
)

// AgentsOptions chooses the agents StartAgents runs as an Indexed Job.
type AgentsOptions struct {
	// Namespace is where the Job runs (required).
	Namespace string
	// Count is how many agents (1..MaxAgents).
	Count int
	// MaxAgents caps Count (--max-agents); 0 means DefaultMaxAgents.
	MaxAgents int
	// Image is the agents' image; empty means DefaultAgentImage.
	Image string
	// Port is the agents' control port; 0 means DefaultAgentPort.
	Port int32
	// RequestsCPU, RequestsMemory, LimitsCPU and LimitsMemory are the
	// agent container's resources as quantities ("500m", "256Mi"); empty
	// means none.
	RequestsCPU, RequestsMemory, LimitsCPU, LimitsMemory string
	// Token is the run's token; empty means a random one (crypto/rand).
	Token string
	// ReadyTimeout bounds the wait for Count ready pods; 0 means
	// DefaultAgentsReadyTimeout.
	ReadyTimeout time.Duration
	// DryRun creates the objects with server-side dry run, does not wait
	// and returns them (Agents.Objects) to be printed.
	DryRun bool
	// Labels are added to the objects' and the pods' labels.
	Labels map[string]string
	// ActiveDeadline (optional) is the Job's activeDeadlineSeconds: the
	// pods are stopped after it even if nobody deletes the Job (the
	// controller killed), and the TTL then deletes it.
	ActiveDeadline time.Duration
}

// Agents are the agents' Job, once its pods are ready: their addresses
// through the API server's pod proxy and a client for them.
type Agents struct {
	client kubernetes.Interface
	ns     string
	job    *batchv1.Job
	secret *corev1.Secret
	token  string
	pods   []string
	addrs  []string
	http   *http.Client
	dryRun bool
}

// Addrs are the agents' base URLs, the API server's pod proxy of each
// pod's control port (https://APISERVER/api/v1/namespaces/NS/pods/NAME:PORT/proxy),
// in completion-index order.
func (a *Agents) Addrs() []string { return slices.Clone(a.addrs) }

// HTTP is a client authenticated for the API server, to reach Addrs.
func (a *Agents) HTTP() *http.Client { return a.http }

// Pods are the agents' pod names, in completion-index order.
func (a *Agents) Pods() []string { return slices.Clone(a.pods) }

// Token is the run's token the agents require.
func (a *Agents) Token() string { return a.token }

// Job is the Job's name.
func (a *Agents) Job() string { return a.job.Name }

// Objects are the Secret and the Job as created (with DryRun: as they
// would be), to be printed.
func (a *Agents) Objects() (*corev1.Secret, *batchv1.Job) { return a.secret, a.job }

// Delete deletes the Job with its pods (propagation Background) and the
// Secret (which the Job owns: deleted with it anyway). Objects already
// gone are not an error; with DryRun there is nothing to delete.
func (a *Agents) Delete(ctx context.Context) error {
	if a.dryRun {
		return nil
	}
	bg := metav1.DeletePropagationBackground
	var errs []error
	if a.job != nil {
		if err := a.client.BatchV1().Jobs(a.ns).Delete(ctx, a.job.Name, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("agents: delete job/%s: %w", a.job.Name, apiError(err, "delete", "jobs", a.ns)))
		}
	}
	if err := a.client.CoreV1().Secrets(a.ns).Delete(ctx, a.secret.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		errs = append(errs, fmt.Errorf("agents: delete secret/%s: %w", a.secret.Name, apiError(err, "delete", "secrets", a.ns)))
	}
	return errors.Join(errs...)
}

// validate checks o and fills its defaults.
func (o *AgentsOptions) validate() error {
	if o.MaxAgents <= 0 {
		o.MaxAgents = DefaultMaxAgents
	}
	switch {
	case o.Namespace == "":
		return errors.New("agents: no namespace")
	case o.Count < 1:
		return fmt.Errorf("agents: --agents %d: want at least 1", o.Count)
	case o.Count > o.MaxAgents:
		return fmt.Errorf("agents: --agents %d refused: above the cap of %d (--max-agents)", o.Count, o.MaxAgents)
	case o.Port < 0 || o.Port > 65535:
		return fmt.Errorf("agents: port %d: want 1..65535", o.Port)
	}
	if _, err := o.resources(); err != nil {
		return err
	}
	if o.Image == "" {
		o.Image = DefaultAgentImage
	}
	if o.Port == 0 {
		o.Port = DefaultAgentPort
	}
	if o.ReadyTimeout <= 0 {
		o.ReadyTimeout = DefaultAgentsReadyTimeout
	}
	return nil
}

// StartAgents runs opts.Count agents (`scalelab agent`) as an Indexed Job
// in opts.Namespace: a Secret with the token, the Job, the Secret then
// owned by the Job; it waits for the pods to be ready. rc is the client's
// REST configuration: the agents are reached through the API server's pod
// proxy. On any failure, what it created is deleted. RBAC: create and
// delete on jobs; create, update and delete on secrets; list on pods;
// get and create on pods/proxy (deploy/rbac.yaml).
func StartAgents(ctx context.Context, client kubernetes.Interface, rc *rest.Config, opts AgentsOptions) (*Agents, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if opts.Token == "" {
		opts.Token = randomHex(16)
	}
	run := randomHex(4)
	secret, job := agentObjects(run, opts)
	a := &Agents{client: client, ns: opts.Namespace, token: opts.Token, dryRun: opts.DryRun}
	create := metav1.CreateOptions{}
	if opts.DryRun {
		create.DryRun = []string{metav1.DryRunAll}
	}
	s, err := client.CoreV1().Secrets(opts.Namespace).Create(ctx, secret, create)
	if err != nil {
		return nil, fmt.Errorf("agents: create secret/%s: %w", secret.Name, apiError(err, "create", "secrets", opts.Namespace))
	}
	s.TypeMeta = secret.TypeMeta // the server's answer has none
	a.secret = s
	j, err := client.BatchV1().Jobs(opts.Namespace).Create(ctx, job, create)
	if err != nil {
		if !apierrors.IsForbidden(err) && !apierrors.IsInvalid(err) && !apierrors.IsAlreadyExists(err) {
			a.job = job // it may exist all the same (a timeout): delete it too
		}
		err = fmt.Errorf("agents: create job/%s: %w", job.Name, apiError(err, "create", "jobs", opts.Namespace))
		return nil, errors.Join(err, a.cleanup())
	}
	j.TypeMeta = job.TypeMeta
	a.job = j
	own := metav1.OwnerReference{APIVersion: "batch/v1", Kind: "Job", Name: j.Name, UID: j.UID}
	if opts.DryRun {
		a.secret.OwnerReferences = []metav1.OwnerReference{own}
		return a, nil
	}
	s = s.DeepCopy()
	s.OwnerReferences = append(s.OwnerReferences, own)
	if a.secret, err = client.CoreV1().Secrets(opts.Namespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		a.secret = s
		err = fmt.Errorf("agents: own secret/%s by job/%s: %w", s.Name, j.Name, apiError(err, "update", "secrets", opts.Namespace))
		return nil, errors.Join(err, a.cleanup())
	}
	if a.http, err = rest.HTTPClientFor(rc); err != nil {
		return nil, errors.Join(fmt.Errorf("agents: client for the API server: %w", err), a.cleanup())
	}
	a.http.Transport = proxyErrors{next: a.http.Transport, ns: opts.Namespace}
	base, err := apiServerBase(rc)
	if err != nil {
		return nil, errors.Join(err, a.cleanup())
	}
	pods, err := waitAgentsReady(ctx, client, opts.Namespace, j.Name, run, opts.Count, opts.ReadyTimeout)
	if err != nil {
		return nil, errors.Join(err, a.cleanup())
	}
	for _, p := range pods {
		a.pods = append(a.pods, p)
		a.addrs = append(a.addrs, fmt.Sprintf("%s/api/v1/namespaces/%s/pods/%s:%d/proxy", base, opts.Namespace, p, opts.Port))
	}
	return a, nil
}

// cleanup deletes what StartAgents created, bounded in time: it runs when
// the caller's context may be done.
func (a *Agents) cleanup() error {
	if a.dryRun {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return a.Delete(ctx)
}

// apiServerBase is the API server's base URL of rc, without a trailing
// slash.
func apiServerBase(rc *rest.Config) (string, error) {
	if rc == nil || rc.Host == "" {
		return "", errors.New("agents: no API server address in the client configuration")
	}
	u, _, err := rest.DefaultServerUrlFor(rc)
	if err != nil {
		return "", fmt.Errorf("agents: API server %s: %w", rc.Host, err)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// randomHex is n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// agentLabels are the labels of a run's objects and pods.
func agentLabels(run string, extra map[string]string) map[string]string {
	l := maps.Clone(extra)
	if l == nil {
		l = map[string]string{}
	}
	l["app.kubernetes.io/name"] = "scalelab"
	l["app.kubernetes.io/component"] = "agent"
	l[LabelRun] = run
	return l
}

// agentObjects are the Secret and the Indexed Job of run.
func agentObjects(run string, o AgentsOptions) (*corev1.Secret, *batchv1.Job) {
	name := "scalelab-agents-" + run
	labels := agentLabels(run, o.Labels)
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: o.Namespace, Labels: labels},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{agentTokenKey: []byte(o.Token)},
	}
	count := int32(o.Count)
	indexed := batchv1.IndexedCompletion
	res, _ := o.resources() // validated
	port := strconv.Itoa(int(o.Port))
	job := &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: o.Namespace, Labels: labels},
		Spec: batchv1.JobSpec{
			CompletionMode: &indexed,
			Completions:    &count,
			Parallelism:    &count,
			// A lost agent is not replaced (its share went to the others),
			// and its failed index does not fail the Job: the others'
			// pods keep running (a Job that fails kills them all).
			BackoffLimitPerIndex:    ptrTo(int32(0)),
			MaxFailedIndexes:        &count,
			TTLSecondsAfterFinished: ptrTo(int32(AgentsTTL)),
			ActiveDeadlineSeconds:   deadline(o.ActiveDeadline),
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:                corev1.RestartPolicyNever,
					AutomountServiceAccountToken: ptrTo(false),
					EnableServiceLinks:           ptrTo(false),
					TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
						MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway,
						LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelRun: run}},
					}},
					Volumes: []corev1.Volume{{Name: "token", VolumeSource: corev1.VolumeSource{
						Secret: &corev1.SecretVolumeSource{SecretName: name, DefaultMode: ptrTo(int32(0o400))}}}},
					Containers: []corev1.Container{{
						Name:  "agent",
						Image: o.Image,
						Command: []string{"scalelab", "agent", "--listen", "0.0.0.0:" + port, "--listen-any",
							"--token-file", agentTokenDir + "/" + agentTokenKey},
						Ports:        []corev1.ContainerPort{{Name: "agent", ContainerPort: o.Port, Protocol: corev1.ProtocolTCP}},
						Resources:    res,
						VolumeMounts: []corev1.VolumeMount{{Name: "token", MountPath: agentTokenDir, ReadOnly: true}},
						// the control API wants the token even for its
						// status: the probe only checks it listens
						ReadinessProbe: &corev1.Probe{
							ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(o.Port)}},
							PeriodSeconds: 2,
						},
					}},
				},
			},
		},
	}
	return secret, job
}

// deadline is d in whole seconds (rounded up), nil when d is 0.
func deadline(d time.Duration) *int64 {
	if d <= 0 {
		return nil
	}
	return ptrTo(int64((d + time.Second - 1) / time.Second))
}

// ptrTo returns a pointer to v.
func ptrTo[T any](v T) *T { return &v }
