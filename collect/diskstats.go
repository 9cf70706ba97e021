package collect

import (
	"errors"
	"strings"
)

// sectorSize is the unit of /proc/diskstats sector counts, whatever the device's real sector size.
const sectorSize = 512

// diskCounters are one block device's counters from /proc/diskstats.
type diskCounters struct {
	Major, Minor                uint64
	Name                        string
	SectorsRead, SectorsWritten uint64
}

// parseDiskstats parses /proc/diskstats into dst (reused) and returns it. Each line is
// "major minor name reads merged sectors_read ms writes merged sectors_written …"
// (at least 14 columns; newer kernels add discard and flush columns).
func parseDiskstats(b []byte, dst []diskCounters) ([]diskCounters, error) {
	dst = dst[:0]
	for n := 1; len(b) > 0; n++ {
		var line []byte
		line, b = nextLine(b)
		var fs [10][]byte
		k := fieldsN(line, fs[:])
		if k == 0 {
			continue
		}
		if k < 10 {
			return dst, parseError("/proc/diskstats", n, line, errors.New("fewer than 14 columns"))
		}
		var v [4]uint64
		for i, col := range [...]int{0, 1, 5, 9} {
			x, err := parseUint(fs[col])
			if err != nil {
				return dst, parseError("/proc/diskstats", n, line, err)
			}
			v[i] = x
		}
		dst = append(dst, diskCounters{Major: v[0], Minor: v[1], SectorsRead: v[2], SectorsWritten: v[3]})
		dst[len(dst)-1].Name = string(fs[2])
	}
	return dst, nil
}

// virtualDisk reports whether a device name is a virtual block device (loop, RAM disk, zram,
// device-mapper, md RAID, network block device) whose I/O is counted again on real disks.
func virtualDisk(name string) bool {
	for _, p := range [...]string{"loop", "ram", "zram", "dm-", "md", "nbd", "fd", "sr"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// isPartitionOf reports whether name is a partition of disk: "sda1" of "sda", "nvme0n1p2" of
// "nvme0n1", "mmcblk0p1" of "mmcblk0".
func isPartitionOf(name, disk string) bool {
	if len(name) <= len(disk) || !strings.HasPrefix(name, disk) {
		return false
	}
	rest := name[len(disk):]
	if last := disk[len(disk)-1]; last >= '0' && last <= '9' {
		if rest[0] != 'p' {
			return false
		}
		rest = rest[1:]
	}
	if rest == "" {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}
