package common

import "github.com/charmbracelet/bubbles/key"

// ReplayKeyMap holds the keys of a replay, which replace the load and
// cluster keys (a recording cannot be changed); the view keys of KeyMap
// stay.
type ReplayKeyMap struct {
	PlayPause, Faster, Slower         key.Binding
	Back, Forward, PrevMark, NextMark key.Binding
	Start, End                        key.Binding
}

// DefaultReplayKeyMap returns the default replay bindings.
func DefaultReplayKeyMap() *ReplayKeyMap {
	b := func(keys []string, k, desc string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(k, desc))
	}
	return &ReplayKeyMap{
		PlayPause: b([]string{" ", "p"}, "space/p", "play / pause"),
		Faster:    b([]string{">", "."}, ">", "faster (1× 2× 4× 10×)"),
		Slower:    b([]string{"<", ","}, "<", "slower"),
		Back:      b([]string{"left", "h"}, "←/h", "back 10 s"),
		Forward:   b([]string{"right", "l"}, "→/l", "forward 10 s"),
		PrevMark:  b([]string{"["}, "[", "previous event marker"),
		NextMark:  b([]string{"]"}, "]", "next event marker"),
		Start:     b([]string{"home", "g"}, "home/g", "start"),
		End:       b([]string{"end", "G"}, "end/G", "end"),
	}
}

// Bindings lists the replay keys in help order.
func (k *ReplayKeyMap) Bindings() []key.Binding {
	return []key.Binding{k.PlayPause, k.Faster, k.Slower, k.Back, k.Forward, k.PrevMark, k.NextMark, k.Start, k.End}
}
