package probes

import (
	"path/filepath"
	"strings"
)

// cgroupDir is where the process's CPU cgroup lives: its version (1 or 2,
// 0 when none was found) and its directory.
type cgroupDir struct {
	version int
	dir     string
}

// findCgroup locates the CPU cgroup of the process from /proc/self/cgroup
// (its path in each hierarchy) and /proc/self/mountinfo (where each
// hierarchy is mounted), both as read under root. A v1 hierarchy with the
// cpu controller wins over the unified one, which on hybrid systems holds
// no CPU controller.
func findCgroup(root string, cgroupFile, mountinfo []byte) cgroupDir {
	var v1, v2 string
	has1, has2 := false, false
	for _, line := range strings.Split(string(cgroupFile), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2, has2 = parts[2], true
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "cpu" {
				v1, has1 = parts[2], true
			}
		}
	}
	if has1 {
		if mp, mroot, ok := findMount(mountinfo, "cgroup", "cpu"); ok {
			return cgroupDir{1, within(root, mp, mroot, v1)}
		}
	}
	if has2 {
		if mp, mroot, ok := findMount(mountinfo, "cgroup2", ""); ok {
			return cgroupDir{2, within(root, mp, mroot, v2)}
		}
	}
	return cgroupDir{}
}

// within is the directory of cgroup path p in a hierarchy whose root mroot
// is mounted at mp. Inside a cgroup namespace p may already be relative to
// the mount, or lie outside it ("/.."): then the mount itself is the cgroup.
func within(root, mp, mroot, p string) string {
	rel, err := filepath.Rel(mroot, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		rel = "."
	}
	return filepath.Join(root, mp, rel)
}

// findMount finds in mountinfo the mount of file system type fstype, whose
// super options include option when it is not empty, and returns its mount
// point and the root of the hierarchy it shows.
func findMount(mountinfo []byte, fstype, option string) (mountPoint, mroot string, ok bool) {
	for _, line := range strings.Split(string(mountinfo), "\n") {
		pre, post, found := strings.Cut(line, " - ")
		if !found {
			continue
		}
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if len(fields) < 5 || len(tail) < 3 || tail[0] != fstype {
			continue
		}
		if option != "" && !hasOption(tail[2], option) {
			continue
		}
		return fields[4], fields[3], true
	}
	return "", "", false
}

// hasOption reports whether the comma-separated options hold opt.
func hasOption(opts, opt string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}
