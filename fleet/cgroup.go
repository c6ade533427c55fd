package fleet

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// cgroupRoot is where the cgroup filesystems are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cpuCgroups is a folder of CPU cgroups the fleet creates for its process
// replicas, one each with its CPU quota, under the cgroup v1 cpu
// hierarchy or the v2 unified one, and removes at Stop.
type cpuCgroups struct {
	version int    // 1 or 2
	dir     string // the fleet's folder: scalelab-PID-N
}

// newCPUCgroups creates the fleet's folder of CPU cgroups, or says why it
// cannot (no CPU controller, not allowed).
func newCPUCgroups(name string) (*cpuCgroups, error) {
	var c cpuCgroups
	switch {
	case exists(filepath.Join(cgroupRoot, "cgroup.controllers")):
		c.version, c.dir = 2, filepath.Join(cgroupRoot, name)
		ctl, err := os.ReadFile(filepath.Join(cgroupRoot, "cgroup.controllers"))
		if err != nil || !bytes.Contains(ctl, []byte("cpu")) {
			return nil, fmt.Errorf("no cpu controller in %s", cgroupRoot)
		}
	case exists(filepath.Join(cgroupRoot, "cpu", "cpu.cfs_quota_us")):
		c.version, c.dir = 1, filepath.Join(cgroupRoot, "cpu", name)
	default:
		return nil, fmt.Errorf("no CPU cgroup controller under %s", cgroupRoot)
	}
	sweepStale(filepath.Dir(c.dir))
	if err := os.Mkdir(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create a cgroup under %s (%s)", filepath.Dir(c.dir), reason(err))
	}
	if c.version == 2 {
		_ = os.WriteFile(filepath.Join(cgroupRoot, "cgroup.subtree_control"), []byte("+cpu"), 0)
		if err := os.WriteFile(filepath.Join(c.dir, "cgroup.subtree_control"), []byte("+cpu"), 0); err != nil {
			_ = os.Remove(c.dir)
			return nil, fmt.Errorf("cannot enable the cpu controller in %s (%s)", c.dir, reason(err))
		}
	}
	return &c, nil
}

// sweepStale removes the folders that fleets of processes now gone
// (killed before their Stop: SIGKILL) left under parent: scalelab-PID-N
// whose PID does not run. A cgroup that still holds a process is not
// removed (the kernel refuses: EBUSY), nor is anything else.
func sweepStale(parent string) {
	entries, _ := os.ReadDir(parent)
	for _, e := range entries {
		pid, ok := stalePID(e.Name())
		if !e.IsDir() || !ok || exists(filepath.Join("/proc", strconv.Itoa(pid))) {
			continue
		}
		c := cpuCgroups{dir: filepath.Join(parent, e.Name())}
		c.close()
	}
}

// stalePID is the PID in a fleet's cgroup folder name, scalelab-PID-N.
func stalePID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, "scalelab-")
	if !ok {
		return 0, false
	}
	p, n, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(p)
	if _, err2 := strconv.Atoi(n); err != nil || err2 != nil || pid <= 0 {
		return 0, false
	}
	return pid, true
}

// reason is an error's cause without its path: "permission denied".
func reason(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// replica creates the cgroup of one replica with a quota of cores.
func (c *cpuCgroups) replica(name string, cores float64) (string, error) {
	dir := filepath.Join(c.dir, name)
	if err := os.Mkdir(dir, 0o755); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("cgroup %s: %s", dir, reason(err))
	}
	const period = 100000 // µs, the kernel's default
	quota := strconv.Itoa(max(1000, int(cores*period)))
	var err error
	if c.version == 1 {
		err = os.WriteFile(filepath.Join(dir, "cpu.cfs_period_us"), []byte(strconv.Itoa(period)), 0)
		if err == nil {
			err = os.WriteFile(filepath.Join(dir, "cpu.cfs_quota_us"), []byte(quota), 0)
		}
	} else {
		err = os.WriteFile(filepath.Join(dir, "cpu.max"), []byte(quota+" "+strconv.Itoa(period)), 0)
	}
	if err != nil {
		_ = os.Remove(dir)
		return "", fmt.Errorf("cgroup %s: set the quota: %s", dir, reason(err))
	}
	return dir, nil
}

// add moves process pid into the cgroup at dir.
func (c *cpuCgroups) add(dir string, pid int) error {
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("cgroup %s: add process %d: %s", dir, pid, reason(err))
	}
	return nil
}

// remove removes a replica's cgroup, its process gone.
func (c *cpuCgroups) remove(dir string) { _ = os.Remove(dir) }

// close removes the fleet's folder and what replicas' cgroups are left in
// it (their processes gone).
func (c *cpuCgroups) close() {
	entries, _ := os.ReadDir(c.dir)
	for _, e := range entries {
		if e.IsDir() {
			_ = os.Remove(filepath.Join(c.dir, e.Name()))
		}
	}
	_ = os.Remove(c.dir)
}
