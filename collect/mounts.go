package collect

import (
	"bytes"
	"errors"
	"strings"
)

// mountInfo is one mounted file system.
type mountInfo struct {
	MountPoint string // where it is mounted
	Root       string // the directory of the file system mounted there ("/" unless a bind mount or subvolume)
	FSType     string
	Source     string // device, e.g. "/dev/sda2", or a pseudo name such as "proc" or "overlay"
}

// parseMountinfo parses /proc/self/mountinfo into dst (reused) and returns it. A line is
// "id parent major:minor root mountpoint options [optional fields…] - fstype source superoptions"
// with spaces, tabs, newlines and backslashes in paths written as \ooo.
func parseMountinfo(b []byte, dst []mountInfo) ([]mountInfo, error) {
	dst = dst[:0]
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var fs [6][]byte
		if fieldsN(line, fs[:]) < 6 {
			return dst, parseError("/proc/self/mountinfo", n, line, errors.New("fewer than 6 columns"))
		}
		sep := bytes.Index(line, []byte(" - "))
		if sep < 0 {
			return dst, parseError("/proc/self/mountinfo", n, line, errors.New(`no " - " separator`))
		}
		var tail [2][]byte
		if fieldsN(line[sep+3:], tail[:]) < 2 {
			return dst, parseError("/proc/self/mountinfo", n, line, errors.New("no file system type and source"))
		}
		dst = append(dst, mountInfo{
			Root:       unescapeOctal(fs[3]),
			MountPoint: unescapeOctal(fs[4]),
			FSType:     unescapeOctal(tail[0]),
			Source:     unescapeOctal(tail[1]),
		})
	}
	return dst, nil
}

// parseMounts parses /proc/mounts ("source mountpoint fstype options 0 0"), the fallback when
// mountinfo is unavailable. It does not know bind-mount roots, so Root is "/" throughout.
func parseMounts(b []byte, dst []mountInfo) ([]mountInfo, error) {
	dst = dst[:0]
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var fs [3][]byte
		if fieldsN(line, fs[:]) < 3 {
			return dst, parseError("/proc/mounts", n, line, errors.New("fewer than 3 columns"))
		}
		dst = append(dst, mountInfo{Root: "/", Source: unescapeOctal(fs[0]), MountPoint: unescapeOctal(fs[1]), FSType: unescapeOctal(fs[2])})
	}
	return dst, nil
}

// pseudoFS are file system types that never hold user data on a disk of this host, even when
// their source looks like a device.
var pseudoFS = map[string]bool{
	"proc": true, "sysfs": true, "tmpfs": true, "devtmpfs": true, "devpts": true, "cgroup": true,
	"cgroup2": true, "overlay": true, "squashfs": true, "autofs": true, "mqueue": true,
	"hugetlbfs": true, "debugfs": true, "tracefs": true, "securityfs": true, "pstore": true,
	"bpf": true, "configfs": true, "fusectl": true, "binfmt_misc": true, "nsfs": true, "ramfs": true,
	"efivarfs": true, "rpc_pipefs": true, "iso9660": true, "selinuxfs": true,
}

// selectDisks picks the file systems sysStats reports as Disks, one per device, in mount order:
//
//   - only the last mount on a mount point, which hides the ones before it;
//   - a real block device: Source under /dev/ (not a /dev/loop* image such as a snap), and a
//     file system type that is not a pseudo file system;
//   - the root "/" whatever it is, so that a container whose root is an overlay still reports
//     the disk it writes to (NOTE: overlay is reported only as "/", never elsewhere);
//   - one entry per device: the mount with the shortest Root wins (the file system itself over
//     a bind mount or btrfs subvolume of it), then the shortest mount point, then mount order;
//   - inside a container (the root is not a block device), a device seen only through bind
//     mounts of files or subdirectories (root other than "/", e.g. Docker's /etc/hosts) is left
//     out: it is the disk under the overlay, already counted as "/".
func selectDisks(mounts []mountInfo) []mountInfo {
	var out []mountInfo
	last := make(map[string]int, len(mounts))
	for i := range mounts {
		last[mounts[i].MountPoint] = i
	}
	rootIsDevice := true
	if i, ok := last["/"]; ok {
		rootIsDevice = blockDevice(&mounts[i])
	}
	for i := range mounts {
		m := &mounts[i]
		if last[m.MountPoint] != i || !blockDevice(m) && m.MountPoint != "/" {
			continue
		}
		j := -1
		for k := range out {
			if out[k].Source == m.Source {
				j = k
				break
			}
		}
		if j < 0 {
			out = append(out, *m)
			continue
		}
		o := &out[j]
		if o.MountPoint == "/" {
			continue
		}
		if m.MountPoint == "/" || len(m.Root) < len(o.Root) || len(m.Root) == len(o.Root) && len(m.MountPoint) < len(o.MountPoint) {
			*o = *m
		}
	}
	if !rootIsDevice {
		n := 0
		for _, m := range out {
			if m.MountPoint == "/" || m.Root == "/" {
				out[n] = m
				n++
			}
		}
		out = out[:n]
	}
	return out
}

// blockDevice reports whether m is a real block-device file system.
func blockDevice(m *mountInfo) bool {
	return strings.HasPrefix(m.Source, "/dev/") && !strings.HasPrefix(m.Source, "/dev/loop") && !pseudoFS[m.FSType]
}
