package experiments

import (
	"fmt"
	"github.com/scalelab/scalelab/internal/loopback"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scalelab/scalelab/cluster"
	"github.com/scalelab/scalelab/engine"
	"github.com/scalelab/scalelab/fleet"
	"go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/util/validation"
)

// target decodes target: exactly one of fleet, url and k8s.
func (d *decoder) target(t *Target, n *yaml.Node) {
	t.Line = n.Line
	var given []string
	ok := d.fields(n, "target", []field{
		{"fleet", func(v *yaml.Node) {
			given = append(given, "fleet")
			f := defaultFleet()
			d.fleet(&f, v)
			t.Fleet = &f
		}},
		{"url", func(v *yaml.Node) {
			given = append(given, "url")
			if s, ok := d.text(v, "target.url"); ok {
				if err := checkTargetURL(s); err != nil {
					d.bad(v, "target.url: %v", err)
				} else {
					t.URL = s
				}
			}
		}},
		{"k8s", func(v *yaml.Node) {
			given = append(given, "k8s")
			k := &K8sTarget{}
			d.k8s(k, v)
			t.K8s = k
		}},
	})
	switch {
	case !ok:
	case len(given) == 0:
		d.bad(n, "target: give one of fleet, url or k8s")
	case len(given) > 1:
		d.bad(n, "target: %s: choose one (the target is one service)", strings.Join(given, " and "))
	}
}

// checkTargetURL checks a target URL as scalelab run's argument: an
// absolute http or https URL, a port other than 0, an ASCII host.
func checkTargetURL(s string) error {
	u, err := engine.ParseURL(s)
	if err != nil {
		return err
	}
	if u.Port() == "0" {
		return fmt.Errorf("url %q: port 0: no server listens there; give the target's port", s)
	}
	for _, r := range u.Hostname() {
		if r >= 0x80 {
			return fmt.Errorf("url %q: host %q is not ASCII: write an internationalized name in its ASCII form (xn--…)", s, u.Hostname())
		}
	}
	return nil
}

// fleet decodes target.fleet, with the checks of scalelab demo's flags.
func (d *decoder) fleet(f *FleetTarget, n *yaml.Node) {
	max := fleet.DefaultMaxReplicas
	var surgeNode, cpuNode *yaml.Node
	processOff := false // replica_process: false, as written
	delay := func(dst *time.Duration, key string) func(*yaml.Node) {
		return func(v *yaml.Node) {
			if x, ok := d.duration(v, "target.fleet."+key, false); ok {
				if x > fleet.MaxReplicaDelay {
					d.bad(v, "target.fleet.%s %s: want 0..%s", key, x, fleet.MaxReplicaDelay)
					return
				}
				*dst = x
			}
		}
	}
	if !d.fields(n, "target.fleet", []field{
		{"replicas", func(v *yaml.Node) {
			f.Replicas, _ = d.intOr(v, "target.fleet.replicas", 1, max, "the fleet's cap", f.Replicas)
		}},
		{"version", func(v *yaml.Node) {
			if s, ok := d.text(v, "target.fleet.version"); ok {
				if err := cluster.CheckVersion(s); err != nil {
					d.bad(v, "target.fleet.version: %v", err)
				} else {
					f.Version = s
				}
			}
		}},
		{"max_surge", func(v *yaml.Node) {
			surgeNode = v
			f.MaxSurge, _ = d.intOr(v, "target.fleet.max_surge", 0, max, "replicas above the desired number", f.MaxSurge)
		}},
		{"max_unavailable", func(v *yaml.Node) {
			if surgeNode == nil {
				surgeNode = v
			}
			f.MaxUnavailable, _ = d.intOr(v, "target.fleet.max_unavailable", 0, max, "replicas below the desired number", f.MaxUnavailable)
		}},
		{"drain", delay(&f.Drain, "drain")},
		{"no_drain", func(v *yaml.Node) { f.NoDrain, _ = d.boolean(v, "target.fleet.no_drain") }},
		{"startup_delay", delay(&f.StartupDelay, "startup_delay")},
		{"cpu_work", delay(&f.CPUWork, "cpu_work")},
		{"latency", func(v *yaml.Node) {
			if s, ok := d.text(v, "target.fleet.latency"); ok {
				if _, err := cluster.ParseLatency(s); err != nil {
					d.bad(v, "target.fleet.latency: %v", err)
				} else {
					f.Latency = s
				}
			}
		}},
		{"bad_versions", func(v *yaml.Node) {
			d.list(v, "target.fleet.bad_versions", "[v3]", func(i int, item *yaml.Node) {
				what := fmt.Sprintf("target.fleet.bad_versions[%d]", i)
				if s, ok := d.text(item, what); ok {
					if err := cluster.CheckVersion(s); err != nil {
						d.bad(item, "%s: %v", what, err)
					} else {
						f.BadVersions = append(f.BadVersions, s)
					}
				}
			})
		}},
		{"replica_process", func(v *yaml.Node) {
			if b, ok := d.boolean(v, "target.fleet.replica_process"); ok {
				f.ReplicaProcess, processOff = b, !b
			}
		}},
		{"replica_cpu", func(v *yaml.Node) {
			if c, ok := d.number(v, "target.fleet.replica_cpu"); ok {
				if c < 0 || c > fleet.MaxReplicaCPU || (c > 0 && c < fleet.MinReplicaCPU) {
					d.bad(v, "target.fleet.replica_cpu %s: want %g..%g cores (0 for no quota)", v.Value, fleet.MinReplicaCPU, float64(fleet.MaxReplicaCPU))
					return
				}
				f.ReplicaCPU, cpuNode = c, v
			}
		}},
		{"listen", func(v *yaml.Node) {
			if s, ok := d.text(v, "target.fleet.listen"); ok {
				if err := checkLoopback(s); err != nil {
					d.bad(v, "target.fleet.listen: %v", err)
				} else {
					f.Listen = s
				}
			}
		}},
	}) {
		return
	}
	if f.ReplicaCPU > 0 {
		// As --replica-cpu: a quota implies process replicas (its cgroup is
		// a process's), unless the file says otherwise.
		if processOff {
			d.bad(cpuNode, "target.fleet.replica_cpu %s: a CPU quota is a process replica's, and replica_process is false: set it true or drop it", cpuNode.Value)
		}
		f.ReplicaProcess = true
	}
	if f.MaxSurge == 0 && f.MaxUnavailable == 0 {
		at := surgeNode
		if at == nil {
			at = n
		}
		d.bad(at, "target.fleet: max_surge 0 and max_unavailable 0: a rolling upgrade could never progress; give one of them 1 or more")
	}
}

// intOr reads an integer in lo..hi, or returns def.
func (d *decoder) intOr(n *yaml.Node, what string, lo, hi int, why string, def int) (int, bool) {
	v, ok := d.integer(n, what, lo, hi, why)
	if !ok {
		return def, false
	}
	return v, true
}

// checkLoopback checks a fleet's listen address: HOST:PORT on loopback.
func checkLoopback(addr string) error {
	if err := fleet.CheckAddr(addr); err != nil {
		return err
	}
	if ok, _ := loopback.Addr(addr); !ok {
		return fmt.Errorf("%q: not a loopback address; the fleet serves only this machine (127.0.0.1:0 or [::1]:0)", addr)
	}
	return nil
}

// k8s decodes target.k8s.
func (d *decoder) k8s(k *K8sTarget, n *yaml.Node) {
	seen := false
	if !d.fields(n, "target.k8s", []field{
		{"deployment", func(v *yaml.Node) {
			seen = true
			s, ok := d.text(v, "target.k8s.deployment")
			if !ok {
				return
			}
			name := s
			if kind, rest, cut := strings.Cut(s, "/"); cut {
				switch strings.ToLower(kind) {
				case "deployment", "deployments", "deploy", "deployment.apps", "deployments.apps":
					name = rest
				default:
					d.bad(v, "target.k8s.deployment %q: %q is not a Deployment: want NAME or deployment/NAME", s, kind)
					return
				}
			}
			if len(validation.IsDNS1123Subdomain(name)) > 0 {
				d.bad(v, "target.k8s.deployment %q: want a Deployment name: lower case letters, digits, '-' and '.', starting and ending with a letter or digit", s)
				return
			}
			k.Deployment = name
		}},
		{"namespace", func(v *yaml.Node) {
			k.Namespace = d.dnsName(v, "target.k8s.namespace", validation.IsDNS1123Label, "a DNS label: at most 63 lower case letters, digits and '-', starting and ending with a letter or digit")
		}},
		{"context", func(v *yaml.Node) { k.Context, _ = d.line(v, "target.k8s.context") }},
		{"service", func(v *yaml.Node) {
			k.Service = d.dnsName(v, "target.k8s.service", validation.IsDNS1035Label, "a Service name: at most 63 lower case letters, digits and '-', starting with a letter and ending with a letter or digit")
		}},
	}) {
		return
	}
	if !seen {
		d.bad(n, "target.k8s: no deployment: give deployment: NAME")
	}
}

// dnsName reads a name that check accepts.
func (d *decoder) dnsName(n *yaml.Node, what string, check func(string) []string, want string) string {
	s, ok := d.text(n, what)
	if !ok {
		return ""
	}
	if len(check(s)) > 0 {
		d.bad(n, "%s %q: want %s", what, s, want)
		return ""
	}
	return s
}

// load decodes load: the model, the window and the request.
func (d *decoder) load(l *Load, n *yaml.Node, dir string) {
	l.Line = n.Line
	var rateNode, stagesNode, connNode, durNode *yaml.Node
	bodySet := false
	if !d.fields(n, "load", []field{
		{"rate", func(v *yaml.Node) {
			rateNode = v
			if r, ok := d.number(v, "load.rate"); ok {
				if err := engine.CheckRate(r, false); err != nil {
					d.bad(v, "load.rate %s: %v", v.Value, err)
				} else {
					l.Rate = r
				}
			}
		}},
		{"stages", func(v *yaml.Node) { stagesNode = v; l.Stages = d.stages(v) }},
		{"connections", func(v *yaml.Node) {
			connNode = v
			l.Connections, _ = d.intOr(v, "load.connections", 1, engine.MaxConcurrency, "connections, the most one engine keeps open", 0)
		}},
		{"duration", func(v *yaml.Node) { durNode = v; l.Duration, _ = d.duration(v, "load.duration", true) }},
		{"method", func(v *yaml.Node) {
			if s, ok := d.text(v, "load.method"); ok {
				if err := engine.CheckMethod(s); err != nil {
					d.bad(v, "load.method %q: %v", s, err)
				} else {
					l.Method = s
				}
			}
		}},
		{"path", func(v *yaml.Node) {
			if s, ok := d.text(v, "load.path"); ok {
				if err := checkPath(s); err != nil {
					d.bad(v, "load.path %q: %v", s, err)
				} else {
					l.Path = s
				}
			}
		}},
		{"headers", func(v *yaml.Node) { l.Headers = d.headers(v) }},
		{"retry", func(v *yaml.Node) { l.Retry = d.retry(v) }},
		{"keepalive", func(v *yaml.Node) {
			if b, ok := d.boolean(v, "load.keepalive"); ok {
				l.KeepAlive = &b
			}
		}},
		{"body", func(v *yaml.Node) {
			if bodySet {
				d.bad(v, "load: body and body_file: choose one")
			}
			bodySet = true
			if s, ok := d.text(v, "load.body"); ok {
				l.Body = []byte(s)
			}
		}},
		{"body_file", func(v *yaml.Node) {
			if bodySet {
				d.bad(v, "load: body and body_file: choose one")
			}
			bodySet = true
			if s, ok := d.text(v, "load.body_file"); ok {
				d.bodyFile(l, v, s, dir)
			}
		}},
	}) {
		return
	}
	switch {
	case rateNode != nil && connNode != nil:
		d.bad(connNode, "load: rate and connections: choose one (open or closed loop)")
	case stagesNode != nil && connNode != nil:
		d.bad(stagesNode, "load: stages with connections: the closed loop's connections cannot ramp yet; use rate stages (open loop) or a fixed number of connections")
	case stagesNode != nil && rateNode != nil:
		d.bad(stagesNode, "load: stages set the rate: drop rate")
	}
	if stagesNode != nil && durNode != nil {
		d.bad(durNode, "load: stages set the duration: drop duration")
	}
}

// bodyFile reads load.body_file (relative to the plan's folder): a
// regular file, as --body-file.
func (d *decoder) bodyFile(l *Load, v *yaml.Node, s, dir string) {
	path := s
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	st, err := os.Stat(path)
	if err != nil {
		d.bad(v, "load.body_file %q: %v", s, statReason(err))
		return
	}
	if !st.Mode().IsRegular() {
		d.bad(v, "load.body_file %q: not a regular file", s)
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		d.bad(v, "load.body_file %q: %v", s, statReason(err))
		return
	}
	l.Body, l.BodyFile = b, path
}

// statReason is a file error's reason without the path.
func statReason(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// stages decodes load.stages: [{duration, target}], as k6's
// ramping-arrival-rate; every target 0 is refused (nothing would be sent).
func (d *decoder) stages(n *yaml.Node) []engine.Stage {
	var stages []engine.Stage
	anyRate := false
	allOK := true
	ok := d.list(n, "load.stages", "[{duration: 10s, target: 100}]", func(i int, item *yaml.Node) {
		what := fmt.Sprintf("load.stages[%d]", i+1)
		var st engine.Stage
		durSeen, targetSeen, good := false, false, true
		if !d.fields(item, what, []field{
			{"duration", func(v *yaml.Node) {
				durSeen = true
				x, ok := d.duration(v, what+".duration", true)
				st.Duration, good = x, good && ok
			}},
			{"target", func(v *yaml.Node) {
				targetSeen = true
				r, ok := d.number(v, what+".target")
				if ok {
					if err := engine.CheckRate(r, true); err != nil {
						d.bad(v, "%s.target %s: %v", what, v.Value, err)
						ok = false
					}
				}
				st.Rate, good = r, good && ok
			}},
		}) {
			allOK = false
			return
		}
		if !durSeen {
			d.bad(item, "%s: no duration: give duration: 10s", what)
			good = false
		}
		if !targetSeen {
			d.bad(item, "%s: no target: give the rate it ramps to, target: 100", what)
			good = false
		}
		allOK = allOK && good
		anyRate = anyRate || st.Rate > 0
		stages = append(stages, st)
	})
	if !ok {
		return nil
	}
	if len(n.Content) == 0 {
		d.bad(n, "load.stages: empty: give at least one {duration, target}")
		return nil
	}
	if allOK && !anyRate {
		d.bad(n, "load.stages: every stage's target is 0: nothing would be sent")
	}
	if !allOK {
		return nil
	}
	return stages
}

// checkPath checks load.path: an origin-form request target (a path
// starting with /, an optional query) without spaces or control
// characters.
func checkPath(s string) error {
	if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("want a path starting with /, such as /api?x=1")
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r >= 0x80 {
			return fmt.Errorf("%q is not allowed in a request path: escape it (%%20 for a space)", r)
		}
	}
	if strings.Contains(s, "#") {
		return fmt.Errorf("a fragment (#) is never sent: drop it")
	}
	if _, err := url.ParseRequestURI(s); err != nil {
		return fmt.Errorf("not a request path such as /api?x=1")
	}
	return nil
}

// headers decodes load.headers: a mapping Name: value, or a list of
// "Name: value" strings as --header.
func (d *decoder) headers(n *yaml.Node) []engine.Header {
	var hs []engine.Header
	add := func(at *yaml.Node, s string) {
		h, err := engine.ParseHeader(s)
		if err != nil {
			d.bad(at, "load.headers %q: %v", s, err)
			return
		}
		hs = append(hs, h)
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
			name, ok1 := d.text(k, "load.headers: a header name")
			value, ok2 := d.text(v, "load.headers."+k.Value)
			if !ok1 || !ok2 {
				continue
			}
			if strings.Contains(name, ":") {
				d.bad(k, "load.headers: header name %q: %q is not allowed (letters, digits and !#$%%&'*+-.^_`|~ only)", name, ':')
				continue
			}
			add(k, name+": "+value)
		}
	case yaml.SequenceNode:
		for _, item := range n.Content {
			if s, ok := d.text(resolve(item), "load.headers: a header"); ok {
				add(item, s)
			}
		}
	default:
		d.bad(n, "load.headers: want a mapping such as {Accept: application/json} or a list of \"Name: value\", got %s", kindOf(n))
	}
	return hs
}
