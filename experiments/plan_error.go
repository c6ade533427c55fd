package experiments

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with a plan file, at a line.
type Problem struct {
	// File is the plan's name.
	File string
	// Line is the line it is on (0: the file as a whole).
	Line int
	// Reason is one line saying what is wrong.
	Reason string
}

// String is "FILE:LINE: reason" ("FILE: reason" without a line).
func (p Problem) String() string {
	if p.Line <= 0 {
		return fmt.Sprintf("%s: %s", p.File, p.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
}

// PlanError is every problem found in a plan file, in line order.
type PlanError struct {
	Problems []Problem
}

// Error is the problems, one a line.
func (e *PlanError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// planError returns the problems as a *PlanError sorted by line (stable:
// the problems of one line keep their order), or nil when there are none.
func planError(problems []Problem) error {
	if len(problems) == 0 {
		return nil
	}
	ps := append([]Problem(nil), problems...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Line < ps[j].Line })
	return &PlanError{Problems: ps}
}
