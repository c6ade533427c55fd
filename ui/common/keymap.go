package common

import "github.com/charmbracelet/bubbles/key"

// KeyMap holds every key binding of the UI, in one place.
type KeyMap struct {
	// Load.
	RateUp, RateDown, RateSet, Pause key.Binding
	// Cluster.
	ScaleUp, ScaleDown, Upgrade, Rollback, Fault key.Binding
	// View.
	Note, ToggleThroughput, ToggleLatency, ToggleErrors, ToggleMax key.Binding
	// General.
	Help, Close, Quit key.Binding
	// Prompts and menus.
	Confirm, Up, Down, Yes, No key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() *KeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return &KeyMap{
		RateUp:           b([]string{"up", "k"}, "↑/k", "more load"),
		RateDown:         b([]string{"down", "j"}, "↓/j", "less load"),
		RateSet:          b([]string{"r"}, "r", "type a rate"),
		Pause:            b([]string{"p", " "}, "p", "pause/resume"),
		ScaleUp:          b([]string{"+", "="}, "+", "scale up"),
		ScaleDown:        b([]string{"-", "_"}, "-", "scale down"),
		Upgrade:          b([]string{"u"}, "u", "upgrade"),
		Rollback:         b([]string{"b"}, "b", "rollback"),
		Fault:            b([]string{"f"}, "f", "faults (kill…)"),
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
	return []key.Binding{k.ScaleUp, k.ScaleDown, k.Upgrade, k.Rollback, k.Fault}
}

// Help is the key map as bubbles/help shows it. Without a cluster the
// cluster actions are listed as unavailable.
type Help struct {
	Keys    *KeyMap
	Cluster bool
}

// ShortHelp is the one-line help bar.
func (h Help) ShortHelp() []key.Binding {
	k := h.Keys
	out := []key.Binding{k.RateUp, k.RateDown, k.Pause}
	if h.Cluster {
		out = append(out, k.ScaleUp, k.ScaleDown, k.Upgrade, k.Rollback, k.Fault)
	}
	return append(out, k.Note, k.Help, k.Quit)
}

// FullHelp is the help screen, one column per group.
func (h Help) FullHelp() [][]key.Binding {
	k := h.Keys
	cl := k.ClusterKeys()
	if !h.Cluster {
		for i, b := range cl {
			cl[i] = key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(b.Help().Key, b.Help().Desc+" (no cluster)"))
		}
	}
	return [][]key.Binding{
		{k.RateUp, k.RateDown, k.RateSet, k.Pause},
		cl,
		{k.Note, k.ToggleThroughput, k.ToggleLatency, k.ToggleErrors, k.ToggleMax},
		{k.Help, k.Close, k.Quit},
	}
}
