// Package common holds what every part of scalelab's terminal UI shares: the
// screen size, the styles and the key map.
package common

// Common is the shared context handed to each component.
type Common struct {
	// Width and Height are the terminal's size in cells.
	Width, Height int
	// Styles are the UI's styles.
	Styles *Styles
	// Keys are the UI's key bindings.
	Keys *KeyMap
}

// SetSize records the terminal's size.
func (c *Common) SetSize(w, h int) { c.Width, c.Height = w, h }
