package common

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every key binding of the UI, in one place.
type KeyMap struct {
	// Load.
	RateUp, RateDown, RateSet, Pause key.Binding
	// Cluster.
	ScaleUp, ScaleDown, Upgrade, Rollback, Fault key.Binding
	// Canary starts a canary (a cluster that runs canaries).
	Canary key.Binding
	// Optional cluster actions (a Kubernetes Deployment has them): enabled
	// only where the cluster offers them (see With).
	PauseRollout, ResumeRollout, Restart key.Binding
	// View.
	Note, ToggleThroughput, ToggleLatency, ToggleErrors, ToggleMax key.Binding
	// General.
	Help, Close, Quit key.Binding
	// Prompts and menus.
	Confirm, Up, Down, Yes, No key.Binding
}

// DefaultKeyMap returns the default bindings, every one enabled.
func DefaultKeyMap() *KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return &KeyMap{
		RateUp:           b([]string{"up", "k"}, "↑/k", "more load"),
		RateDown:         b([]string{"down", "j"}, "↓/j", "less load"),
		RateSet:          b([]string{"r"}, "r", "type a rate"),
		Pause:            b([]string{"p", " "}, "p", "pause"),
		ScaleUp:          b([]string{"+", "="}, "+", "scale up"),
		ScaleDown:        b([]string{"-", "_"}, "-", "scale down"),
		Upgrade:          b([]string{"u"}, "u", "upgrade"),
		Rollback:         b([]string{"b"}, "b", "rollback"),
		Fault:            b([]string{"f"}, "f", "faults"),
		Canary:           b([]string{"c"}, "c", "canary"),
		PauseRollout:     b([]string{"P"}, "P", "pause rollout"),
		ResumeRollout:    b([]string{"P"}, "P", "resume rollout"),
		Restart:          b([]string{"R"}, "R", "restart"),
		Note:             b([]string{"n"}, "n", "note"),
		ToggleThroughput: b([]string{"1"}, "1", "throughput chart"),
		ToggleLatency:    b([]string{"2"}, "2", "latency chart"),
		ToggleErrors:     b([]string{"3"}, "3", "errors chart"),
		ToggleMax:        b([]string{"m"}, "m", "max latency"),
		Help:             b([]string{"?"}, "?", "help"),
		Close:            b([]string{"esc"}, "esc", "close"),
		Quit:             b([]string{"q", "ctrl+c"}, "q", "quit"),
		Confirm:          b([]string{"enter"}, "enter", "confirm"),
		Up:               b([]string{"up", "k"}, "↑", "up"),
		Down:             b([]string{"down", "j"}, "↓", "down"),
		Yes:              b([]string{"y", "Y"}, "y", "yes"),
		No:               b([]string{"n", "N"}, "n", "no"),
	}
}

// ClusterKeys are the bindings that need a cluster.
func (k *KeyMap) ClusterKeys() []key.Binding {
	return []key.Binding{k.ScaleUp, k.ScaleDown, k.Upgrade, k.Rollback, k.Fault, k.Canary, k.PauseRollout, k.ResumeRollout, k.Restart}
}

// OptionalKeys are the bindings of the optional cluster actions.
func (k *KeyMap) OptionalKeys() []key.Binding {
	return []key.Binding{k.PauseRollout, k.ResumeRollout, k.Restart}
}

// Optional says which optional actions the attached cluster offers now.
type Optional struct {
	// Pause: the cluster pauses and resumes rollouts (cluster.RolloutPauser);
	// Paused: its rollout is paused now, so the pause key resumes it.
	Pause, Paused bool
	// Restart: the cluster restarts its replicas (cluster.Restarter).
	Restart bool
	// Canary: the cluster runs canaries (cluster.Canary) and a canary
	// judge is attached.
	Canary bool
}

// With returns a copy of k whose optional keys are enabled only when o
// offers their action: a disabled key matches nothing and bubbles/help
// leaves it out.
func (k KeyMap) With(o Optional) *KeyMap {
	k.PauseRollout.SetEnabled(o.Pause && !o.Paused)
	k.ResumeRollout.SetEnabled(o.Pause && o.Paused)
	k.Restart.SetEnabled(o.Restart)
	k.Canary.SetEnabled(o.Canary)
	return &k
}

// Help is the key map as bubbles/help shows it. Without a cluster the help
// bar leaves the cluster actions out; disabled optional keys are left out
// everywhere.
type Help struct {
	Keys    *KeyMap
	Cluster bool
	// Narrow leaves the less used keys out of the help bar.
	Narrow bool
}

// describe is b with another description, enabled as b is.
func describe(b key.Binding, desc string) key.Binding {
	d := key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, desc))
	d.SetEnabled(b.Enabled())
	return d
}

// pair shows two bindings as one entry of the help bar.
func pair(a, b key.Binding, k, desc string) key.Binding {
	return key.NewBinding(key.WithKeys(append(a.Keys(), b.Keys()...)...), key.WithHelp(k, desc))
}

// ShortHelp is the one-line help bar.
func (h Help) ShortHelp() []key.Binding {
	k := h.Keys
	out := []key.Binding{pair(k.RateUp, k.RateDown, "↑/↓", "load")}
	if !h.Narrow || !h.Cluster {
		out = append(out, k.Pause)
	}
	if h.Cluster {
		out = append(out, pair(k.ScaleUp, k.ScaleDown, "+/-", "scale"), k.Upgrade, k.Rollback, k.Fault)
		if !h.Narrow {
			out = append(out, k.Canary)
			out = append(out, k.OptionalKeys()...)
		}
	} else {
		out = append(out, k.RateSet, k.Note)
	}
	return append(out, k.Help, k.Quit)
}

// FullHelp is the help screen, one column per group.
func (h Help) FullHelp() [][]key.Binding {
	k := h.Keys
	cl := []key.Binding{k.ScaleUp, k.ScaleDown, k.Upgrade, k.Rollback,
		describe(k.Fault, "faults: kill, hang, latency,"), key.NewBinding(key.WithKeys(""), key.WithHelp(" ", "errors, bad version, heal"))}
	cl = append(cl, describe(k.Canary, "canary: judge a new version"), k.PauseRollout, k.ResumeRollout, describe(k.Restart, "rolling restart"))
	return [][]key.Binding{
		{k.RateUp, k.RateDown, k.RateSet, describe(k.Pause, "pause / resume")},
		cl,
		{k.Note, k.ToggleThroughput, k.ToggleLatency, k.ToggleErrors, k.ToggleMax},
		{k.Help, k.Close, k.Quit},
	}
}
