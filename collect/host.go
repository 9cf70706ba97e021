package collect

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
)

// hash16 returns the first 8 bytes of the SHA-256 of the parts, joined by NUL, as 16 hex digits
// (the length of the spec's HostHash and DiskStats.ID examples).
func hash16(parts ...string) string {
	h := sha256.New()
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// hostIdentity returns the text HostHash is computed from: /etc/machine-id, else the D-Bus
// machine ID, else the host name. Virtual machines cloned without resetting machine-id share it.
func hostIdentity(fs FS, buf []byte, max int) (string, error) {
	var errs []error
	for _, rel := range [...]string{"etc/machine-id", "var/lib/dbus/machine-id", "proc/sys/kernel/hostname"} {
		b, err := fs.readFile(rel, buf, max)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if id := string(bytes.TrimSpace(b)); id != "" {
			return id, nil
		}
		errs = append(errs, errors.New("collect: "+fs.path(rel)+" is empty"))
	}
	return "", errors.Join(errs...)
}

// dmiVirt maps DMI vendor and product names to a virtualisation system, mostly with
// systemd-detect-virt's names. NOTE: QEMU is reported as "kvm" (the spec's example), since QEMU
// guests nearly always run accelerated by KVM.
var dmiVirt = [...]struct{ match, system string }{
	{"KVM", "kvm"}, {"QEMU", "kvm"}, {"VMware", "vmware"}, {"VMW", "vmware"},
	{"innotek GmbH", "oracle"}, {"VirtualBox", "oracle"}, {"Xen", "xen"}, {"Bochs", "bochs"},
	{"Parallels", "parallels"}, {"BHYVE", "bhyve"}, {"Amazon EC2", "amazon"},
	{"Google Compute Engine", "google"}, {"OpenStack", "kvm"}, {"Apple Virtualization", "apple"},
}

// detectVirt makes a best-effort guess at the virtualisation system and this host's role in it:
//
//  1. DMI vendor and product names (/sys/class/dmi/id/sys_vendor, product_name), with Hyper-V
//     recognised as vendor "Microsoft Corporation" and product "Virtual Machine": a guest;
//  2. /proc/xen: a Xen host when capabilities list control_d, a guest otherwise;
//  3. the "hypervisor" CPU flag: a guest of an unnamed hypervisor (/sys/hypervisor/type names
//     it when present);
//  4. /dev/kvm without any guest sign: a KVM host;
//  5. a container marker (/.dockerenv, /run/.containerenv) names the system when none of the
//     above did ("docker", "podman"), role guest.
func detectVirt(fs FS, ci *cpuInfo, buf []byte, max int) (system, role string) {
	read := func(rel string) string {
		b, err := fs.readFile(rel, buf, max)
		if err != nil {
			return ""
		}
		return string(bytes.TrimSpace(b))
	}
	vendor, product := read("sys/class/dmi/id/sys_vendor"), read("sys/class/dmi/id/product_name")
	if vendor == "Microsoft Corporation" && product == "Virtual Machine" {
		return "microsoft", "guest"
	}
	for _, v := range dmiVirt {
		if strings.Contains(vendor, v.match) || strings.Contains(product, v.match) {
			return v.system, "guest"
		}
	}
	if fs.exists("proc/xen") {
		if strings.Contains(read("proc/xen/capabilities"), "control_d") {
			return "xen", "host"
		}
		return "xen", "guest"
	}
	if ci.Hypervisor {
		system, role = read("sys/hypervisor/type"), "guest"
	} else if fs.exists("dev/kvm") {
		return "kvm", "host"
	}
	if system == "" {
		switch {
		case fs.exists(".dockerenv"):
			system, role = "docker", "guest"
		case fs.exists("run/.containerenv"):
			system, role = "podman", "guest"
		}
	}
	return system, role
}
