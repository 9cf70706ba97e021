package collect

import (
	"errors"
	"math"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// Config configures a Collector. The zero value collects this machine's figures.
type Config struct {
	// FS is the root of proc/, sys/ and etc/. Default "/".
	FS FS
	// Statfs returns the size of the file system mounted at path (a mount point under FS.Root).
	// Default: statfs(2) (Linux only).
	Statfs func(path string) (FSUsage, error)
	// CPUCount returns the number of online logical CPUs. Default: go-sysconf's
	// SC_NPROCESSORS_ONLN when FS is this machine's root, else the processors of FS's
	// proc/cpuinfo.
	CPUCount func() (int, error)
	// BuildInfo is reported in every HostSysStats.
	BuildInfo wire.BuildInfo
	// MaxFileSize bounds each file read under FS. Default 4 MiB (a mountinfo with thousands
	// of container mounts stays well below it).
	MaxFileSize int
}

// FSUsage is the size of one file system in bytes.
type FSUsage struct {
	Total uint64 // size
	Free  uint64 // free blocks, including those reserved for root
	Avail uint64 // free blocks available to unprivileged users
}

// Collector samples the figures of this machine for sysDesc and sysStats (PROTOCOL.md §2.2,
// §2.4). It is safe for concurrent use; rates are deltas between consecutive calls to Sample,
// whoever makes them, so one Collector should have one sampler (a Hub).
type Collector struct {
	cfg Config

	mu  sync.Mutex
	buf []byte // read buffer, reused

	once       sync.Once // identity
	cpuCount   int
	hostHash   string
	virtSystem string
	virtRole   string
	identErr   error

	prev     reading // the last reading of the counters
	prevNet  []ifaceCounters
	curNet   []ifaceCounters
	prevDisk []diskCounters
	curDisk  []diskCounters
	physical map[string]bool // whole physical disk, by device name
	mounts   []mountInfo
	diskIDs  map[[2]string]string

	disks []wire.DiskStats // returned by Sample, reused
	io    []wire.DiskIO    // returned by Sample, reused
}

// NewCollector returns a Collector and takes a first reading of the cumulative counters, so
// that the first Sample already reports rates over the time since NewCollector.
func NewCollector(cfg Config) *Collector {
	if cfg.Statfs == nil {
		cfg.Statfs = statfs
	}
	if cfg.MaxFileSize <= 0 {
		cfg.MaxFileSize = 4 << 20
	}
	c := &Collector{cfg: cfg, physical: map[string]bool{}, diskIDs: map[[2]string]string{}}
	c.mu.Lock()
	c.readCounters(time.Now())
	c.mu.Unlock()
	return c
}

func (c *Collector) read(rel string) ([]byte, error) {
	b, err := c.cfg.FS.readFile(rel, c.buf, c.cfg.MaxFileSize)
	if cap(b) > cap(c.buf) {
		c.buf = b[:0]
	}
	return b, err
}

// identity reads, once, the figures that do not change while the process runs: CPU count,
// HostHash and virtualisation. c.mu must be held.
func (c *Collector) identity() {
	c.once.Do(func() {
		var errs []error
		ci, err := c.cpuInfo()
		if err != nil {
			errs = append(errs, err)
		}
		if c.cpuCount, err = c.onlineCPUs(&ci); err != nil {
			errs = append(errs, err)
		}
		id, err := hostIdentity(c.cfg.FS, c.buf, c.cfg.MaxFileSize)
		if err != nil {
			errs = append(errs, err)
		} else {
			c.hostHash = hash16(id)
		}
		c.virtSystem, c.virtRole = detectVirt(c.cfg.FS, &ci, c.buf, c.cfg.MaxFileSize)
		c.identErr = errors.Join(errs...)
	})
}

func (c *Collector) cpuInfo() (cpuInfo, error) {
	b, err := c.read("proc/cpuinfo")
	if err != nil {
		return cpuInfo{}, err
	}
	return parseCPUInfo(b)
}

func (c *Collector) onlineCPUs(ci *cpuInfo) (int, error) {
	if c.cfg.CPUCount != nil {
		return c.cfg.CPUCount()
	}
	if c.cfg.FS.isHost() {
		n, err := sysconfCPUs()
		if err == nil && n > 0 {
			return int(n), nil
		}
	}
	if ci.Processors > 0 {
		return ci.Processors, nil
	}
	return 0, errors.New("collect: cannot count the online CPUs")
}

// SysDesc describes this machine for sysDesc (PROTOCOL.md §2.2): CPU count, model, MHz, cache
// and BogoMIPS, total memory, kernel version and virtualisation. Host is left empty. Anything
// that could not be read is named in Error, the rest is still filled in.
func (c *Collector) SysDesc() wire.SysInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.identity()
	var errs []error
	if c.identErr != nil {
		errs = append(errs, c.identErr)
	}
	si := wire.SysInfo{CPUCount: c.cpuCount, VirtSystem: c.virtSystem, VirtRole: c.virtRole}
	if ci, err := c.cpuInfo(); err != nil {
		errs = append(errs, err)
	} else {
		si.CPUModel, si.CPUMhz, si.CPUCache, si.CPUMIPS = ci.Model, ci.MHz, ci.Cache, ci.BogoMIPS
	}
	if si.CPUMhz == "" {
		// arm64 and others print no MHz in cpuinfo; cpufreq knows the maximum in kHz.
		if b, err := c.read("sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"); err == nil {
			if khz, err := parseUint(trimSpace(b)); err == nil {
				si.CPUMhz = strconv.FormatUint((khz+500)/1000, 10)
			}
		}
	}
	if b, err := c.read("proc/meminfo"); err != nil {
		errs = append(errs, err)
	} else if m, err := parseMeminfo(b); err != nil {
		errs = append(errs, err)
	} else {
		si.TotalMemoryMB = m.Total >> 20
	}
	if b, err := c.read("proc/sys/kernel/osrelease"); err != nil {
		errs = append(errs, err)
	} else {
		si.SystemVersion = string(trimSpace(b))
	}
	if err := errors.Join(errs...); err != nil {
		si.Error = err.Error()
	}
	return si
}

// Sample returns the figures of this machine at now (PROTOCOL.md §2.4): uptime, memory, the
// process heap (runtime.ReadMemStats, once per call), disks, load average, and the rates
// CPUUsage, Iowait, Net and IO over the time since the previous Sample (or NewCollector). The
// Disks and IO slices belong to the Collector and are valid until the next call to Sample.
// The error joins every figure that could not be read; the others are still filled in.
func (c *Collector) Sample(now time.Time) (wire.HostSysStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.identity()
	var errs []error
	if c.identErr != nil {
		errs = append(errs, c.identErr)
	}
	s := wire.HostSysStats{CPUCount: c.cpuCount, HostHash: c.hostHash, VirtSystem: c.virtSystem,
		VirtRole: c.virtRole, BuildInfo: c.cfg.BuildInfo}

	if b, err := c.read("proc/uptime"); err != nil {
		errs = append(errs, err)
	} else if s.Uptime, err = parseUptime(b); err != nil {
		errs = append(errs, err)
	}
	if b, err := c.read("proc/meminfo"); err != nil {
		errs = append(errs, err)
	} else if m, err := parseMeminfo(b); err != nil {
		errs = append(errs, err)
	} else {
		s.TotalMemory, s.FreeMemory, s.CachedMemory = m.Total, m.Free, m.Cached
		if m.Total > 0 {
			s.MemoryUsedPercent = round2(float64(m.used()) / float64(m.Total) * 100)
		}
	}
	if b, err := c.read("proc/loadavg"); err != nil {
		errs = append(errs, err)
	} else if s.LoadAverage, err = parseLoadavg(b); err != nil {
		errs = append(errs, err)
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	s.ProcessHeapAllocation, s.ProcessSysReserved = ms.HeapAlloc, ms.Sys

	prev := c.prev
	c.prevNet, c.curNet = c.curNet, c.prevNet
	c.prevDisk, c.curDisk = c.curDisk, c.prevDisk
	cur, cpuErr, netErr, diskErr := c.readCounters(now)
	errs = append(errs, cpuErr, netErr, diskErr)
	secs := now.Sub(prev.at).Seconds()
	if cpuErr == nil {
		s.CPUUsage, s.Iowait = cpuPercent(&prev.cpu, &cur.cpu, prev.cpuOK)
	}
	if netErr == nil && prev.netOK && secs > 0 {
		s.Net = netRates(c.prevNet, c.curNet, secs)
	}
	s.IO = c.io[:0]
	if diskErr == nil {
		s.IO = c.diskRates(s.IO, secs, prev.diskOK)
	}
	c.io = s.IO
	var err error
	s.Disks, err = c.diskUsage(c.disks[:0], s.HostHash)
	c.disks = s.Disks
	errs = append(errs, err)
	return s, errors.Join(errs...)
}

// reading is one reading of the cumulative counters; the network and disk counters themselves
// are in prevNet/curNet and prevDisk/curDisk.
type reading struct {
	at                   time.Time
	cpu                  cpuTimes
	cpuOK, netOK, diskOK bool
}

// readCounters reads the cumulative counters of /proc/stat, /proc/net/dev and /proc/diskstats
// at time now: the CPU times into the returned reading, which also becomes c.prev, and the
// interface and disk counters into c.curNet and c.curDisk.
func (c *Collector) readCounters(now time.Time) (r reading, cpuErr, netErr, diskErr error) {
	r.at = now
	var b []byte
	if b, cpuErr = c.read("proc/stat"); cpuErr == nil {
		r.cpu, cpuErr = parseStat(b)
	}
	if b, netErr = c.read("proc/net/dev"); netErr == nil {
		c.curNet, netErr = parseNetDev(b, c.curNet)
	}
	if b, diskErr = c.read("proc/diskstats"); diskErr == nil {
		c.curDisk, diskErr = parseDiskstats(b, c.curDisk)
	}
	r.cpuOK, r.netOK, r.diskOK = cpuErr == nil, netErr == nil, diskErr == nil
	c.prev = r
	return r, cpuErr, netErr, diskErr
}

// cpuPercent returns the busy and iowait percentages between two readings. Without a previous
// reading it returns the averages since boot. NOTE: the ratio of tick deltas needs no CLK_TCK;
// counters that run backwards (iowait may, on some kernels) count as zero.
func cpuPercent(prev, cur *cpuTimes, havePrev bool) (usage, iowait float64) {
	var p cpuTimes
	if havePrev {
		p = *prev
	}
	total := sub(cur.total(), p.total())
	if total == 0 {
		return 0, 0
	}
	busy := sub(cur.total()-cur.idle(), p.total()-p.idle())
	usage = math.Min(100, float64(busy)/float64(total)*100)
	iowait = math.Min(100, float64(sub(cur.Iowait, p.Iowait))/float64(total)*100)
	return round2(usage), round2(iowait)
}

// netRates returns bytes/s sent and received over every interface but loopback. An interface
// that is new or whose counters went backwards (reset) contributes nothing this time.
func netRates(prev, cur []ifaceCounters, secs float64) wire.NetStats {
	var up, down uint64
	for i := range cur {
		if cur[i].Name == "lo" {
			continue
		}
		for j := range prev {
			if prev[j].Name == cur[i].Name {
				up += sub(cur[i].Tx, prev[j].Tx)
				down += sub(cur[i].Rx, prev[j].Rx)
				break
			}
		}
	}
	return wire.NetStats{Up: rate(up, secs), Down: rate(down, secs)}
}

// diskRates appends the read and write rates of every whole physical disk to dst.
func (c *Collector) diskRates(dst []wire.DiskIO, secs float64, havePrev bool) []wire.DiskIO {
	for i := range c.curDisk {
		d := &c.curDisk[i]
		if !c.wholeDisk(d.Name) {
			continue
		}
		io := wire.DiskIO{Device: d.Name}
		if havePrev && secs > 0 {
			for j := range c.prevDisk {
				if p := &c.prevDisk[j]; p.Name == d.Name {
					io.Read = rate(sub(d.SectorsRead, p.SectorsRead)*sectorSize, secs)
					io.Write = rate(sub(d.SectorsWritten, p.SectorsWritten)*sectorSize, secs)
					break
				}
			}
		}
		dst = append(dst, io)
	}
	return dst
}

// wholeDisk reports whether the diskstats device name is a whole physical disk: listed in
// /sys/block (partitions are not) with a device link (virtual devices have none). Without
// /sys/block it falls back to names: no loop, RAM, zram, device-mapper, md, nbd, floppy or
// optical device, and no partition of another listed device.
func (c *Collector) wholeDisk(name string) bool {
	if v, ok := c.physical[name]; ok {
		return v
	}
	var v bool
	if c.cfg.FS.exists("sys/block") {
		v = c.cfg.FS.exists("sys/block/" + name + "/device")
	} else {
		v = !virtualDisk(name)
		for i := range c.curDisk {
			if isPartitionOf(name, c.curDisk[i].Name) {
				v = false
				break
			}
		}
	}
	c.physical[name] = v
	return v
}

// diskUsage appends the size and use of every selected mount (see selectDisks) to dst.
func (c *Collector) diskUsage(dst []wire.DiskStats, hostHash string) ([]wire.DiskStats, error) {
	b, err := c.read("proc/self/mountinfo")
	if err == nil {
		c.mounts, err = parseMountinfo(b, c.mounts)
	} else if b, err2 := c.read("proc/mounts"); err2 != nil {
		err = errors.Join(err, err2)
	} else {
		c.mounts, err = parseMounts(b, c.mounts)
	}
	if err != nil {
		return dst, err
	}
	var errs []error
	for _, m := range selectDisks(c.mounts) {
		u, err := c.cfg.Statfs(c.cfg.FS.path(m.MountPoint))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		key := [2]string{m.MountPoint, m.Source}
		id, ok := c.diskIDs[key]
		if !ok {
			id = hash16(hostHash, m.MountPoint, m.Source)
			c.diskIDs[key] = id
		}
		dst = append(dst, wire.DiskStats{Mount: m.MountPoint, Partition: m.Source, Total: u.Total, Used: sub(u.Total, u.Free), ID: id})
	}
	return dst, errors.Join(errs...)
}

// sub returns a−b, or 0 when b > a.
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// rate returns n per second over secs, rounded.
func rate(n uint64, secs float64) uint64 {
	if secs <= 0 {
		return 0
	}
	return uint64(math.Round(float64(n) / secs))
}

// round2 rounds a percentage to two decimals, which is all a dashboard shows and keeps the
// JSON short.
func round2(f float64) float64 { return math.Round(f*100) / 100 }

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
