package agent

import (
	"math"
	"slices"
	"sort"

	"github.com/scalelab/scalelab/probes"
)

// HeadroomCPU is the part of its CPU limit an agent may be loaded to when
// a lost agent's share is moved to it: past about 80% a generator's
// sends start to run late (its run delay grows), and its figures would
// then be the generator's, not the target's.
const HeadroomCPU = 0.8

// capacity is the open-loop rate an agent now sending rate could carry,
// judged from its probes' last second pr: no more than rate when it
// spent its CPU (saturated by its CPU or its throttling) or could not
// send all it was given (dropped sends); otherwise rate scaled to
// HeadroomCPU of its CPU limit by the CPU it used for it (never below
// rate): a second saturated only by run delay or late sends (the
// machine's other work taking the cores) is judged by its CPU too. It is
// unbounded (+Inf) before the agent's first probe or without a CPU
// figure.
func capacity(rate float64, pr *Probe) float64 {
	switch {
	case pr == nil:
		return math.Inf(1)
	case pr.Saturated && (slices.Contains(pr.Kinds, probes.KindCPU) || slices.Contains(pr.Kinds, probes.KindThrottled) ||
		slices.Contains(pr.Kinds, probes.KindDropped)):
		return rate
	case pr.CPU <= 0 || pr.CPULimit <= 0 || rate <= 0:
		return math.Inf(1)
	}
	return max(rate, rate*HeadroomCPU*pr.CPULimit/pr.CPU)
}

// fill splits total over agents of the capacities caps, as evenly as
// they allow (water-filling): each gets min(its capacity, a level) with
// the level set so the shares add up to total; when the capacities add
// up to less, each gets its capacity and the rest is unplaced.
func fill(total float64, caps []float64) (shares []float64, unplaced float64) {
	shares = make([]float64, len(caps))
	if len(caps) == 0 {
		return shares, total
	}
	order := make([]int, len(caps))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return caps[order[a]] < caps[order[b]] })
	left := total
	for k, i := range order {
		even := left / float64(len(caps)-k)
		shares[i] = min(caps[i], even)
		left -= shares[i]
	}
	if left < 1e-9*max(total, 1) {
		left = 0
	}
	return shares, left
}
