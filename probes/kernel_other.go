//go:build !linux

package probes

// notAvailable is the note of the kernel probes on systems other than
// Linux.
const notAvailable = "not available: the probes read Linux's /proc"

// kernel reads nothing outside Linux: every group reports not available.
type kernel struct{}

func newKernel(string) *kernel { return &kernel{} }

func (k *kernel) sample(s *GeneratorSample, _ bool) {
	s.RunQueue.Note = notAvailable
	s.Pressure.Note = notAvailable
	s.Cgroup.Note = notAvailable
	s.Network.Note = notAvailable
	s.Network.PortsLeft = -1
}

func (k *kernel) close() {}
