//go:build k8se2e

package e2e

import (
	"fmt"
	"net"
)

// podNet is the pod address range the test run puts on lo inside its
// network namespace; pods get addresses from it.
var podNet = &net.IPNet{IP: net.IPv4(10, 244, 0, 0), Mask: net.CIDRMask(24, 32)}

// checkPrivateNetns returns an error unless the process runs in a network
// namespace whose only interface is lo, up, carrying podNet: the namespace
// `make k8s-e2e` creates with unshare -n, from which no packet can leave.
// (/sys/class/net would still show the host's interfaces; net.Interfaces
// asks the kernel about this namespace.)
func checkPrivateNetns() error {
	const how = "run the suite with `make k8s-e2e` (unshare -n, lo up, 10.244.0.0/24 on lo)"
	ifs, err := net.Interfaces()
	if err != nil {
		return fmt.Errorf("list network interfaces: %w", err)
	}
	var lo *net.Interface
	for i := range ifs {
		if ifs[i].Name != "lo" {
			return fmt.Errorf("refusing to start: interface %s is present, so this is not a private network namespace; %s", ifs[i].Name, how)
		}
		lo = &ifs[i]
	}
	if lo == nil || lo.Flags&net.FlagUp == 0 {
		return fmt.Errorf("refusing to start: lo is not up; %s", how)
	}
	addrs, err := lo.Addrs()
	if err != nil {
		return fmt.Errorf("list addresses of lo: %w", err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(podNet.IP) {
			return nil
		}
	}
	return fmt.Errorf("refusing to start: lo does not carry %s; %s", podNet, how)
}
