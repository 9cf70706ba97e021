package collect

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/wire"
)

func readFixture(t testing.TB, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + rel)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCPUInfoSuccess(t *testing.T) {
	f := func(in string, want cpuInfo) {
		t.Helper()
		got, err := parseCPUInfo([]byte(in))
		if err != nil {
			t.Fatalf("parseCPUInfo(%q): %v", in, err)
		}
		if got != want {
			t.Fatalf("parseCPUInfo(%q)\ngot  %+v\nwant %+v", in, got, want)
		}
	}
	f(string(readFixture(t, "proc/cpuinfo")), cpuInfo{Processors: 2, Model: "Intel(R) Xeon(R) E-2288G CPU @ 3.70GHz",
		MHz: "3700", Cache: "16384", BogoMIPS: "7399.99", Hypervisor: true})
	// AMD guest as on the build machine
	f("processor\t: 0\nmodel name\t: AMD EPYC\ncpu MHz\t\t: 2445.430\ncache size\t: 512 KB\nflags\t\t: fpu hypervisor lahf_lm\nbogomips\t: 4890.86\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n",
		cpuInfo{Processors: 2, Model: "AMD EPYC", MHz: "2445", Cache: "512", BogoMIPS: "4890.86", Hypervisor: true})
	// arm64: no model name, no MHz, BogoMIPS capitalised
	f("processor\t: 0\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd evtstrm\nCPU implementer\t: 0x41\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n",
		cpuInfo{Processors: 2, BogoMIPS: "50.00"})
	// arm32: "Processor" names the model
	f("Processor\t: ARMv7 Processor rev 4 (v7l)\nprocessor\t: 0\nBogoMIPS\t: 38.40\n",
		cpuInfo{Processors: 1, Model: "ARMv7 Processor rev 4 (v7l)", BogoMIPS: "38.40"})
	// ppc64le: "cpu" and "clock"
	f("processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: 3800.000000MHz\n",
		cpuInfo{Processors: 1, Model: "POWER9 (architected), altivec supported", MHz: "3800"})
	// MB caches and odd values are kept readable
	f("processor : 0\nmodel name : X\ncache size : 2 MB\ncpu MHz : fast\n", cpuInfo{Processors: 1, Model: "X", Cache: "2048", MHz: "fast"})
	f("processor : 0\ncache size : 12 GB\n", cpuInfo{Processors: 1, Cache: "12 GB"})
	// no hypervisor flag; "hypervisorx" is not it
	f("processor : 0\nflags : fpu hypervisorx\n", cpuInfo{Processors: 1})
}

func TestParseCPUInfoFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		if _, err := parseCPUInfo([]byte(in)); err == nil {
			t.Fatalf("parseCPUInfo(%q): no error", in)
		}
	}
	f("")
	f("\n\n")
	f("garbage without colons\n")
	f("flags : fpu\n")
}

func TestParseMeminfoSuccess(t *testing.T) {
	var m memInfo // parse twice into the same variable
	f := func(in string, want memInfo, used uint64) {
		t.Helper()
		var err error
		m, err = parseMeminfo([]byte(in))
		if err != nil {
			t.Fatalf("parseMeminfo(%q): %v", in, err)
		}
		if m != want {
			t.Fatalf("parseMeminfo\ngot  %+v\nwant %+v", m, want)
		}
		if got := m.used(); got != used {
			t.Fatalf("used() = %d, want %d", got, used)
		}
	}
	const k = 1024
	f(string(readFixture(t, "proc/meminfo")), memInfo{Total: 32765448 * k, Free: 20971520 * k, Available: 28672000 * k,
		Buffers: 524288 * k, Cached: 6291456 * k, HasAvailable: true}, (32765448-28672000)*k)
	// Linux < 3.14: no MemAvailable
	f("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n", memInfo{Total: 1000 * k, Free: 100 * k, Buffers: 50 * k, Cached: 250 * k}, 600*k)
	// unit-less values and an available figure above the total
	f("MemTotal: 10\nMemAvailable: 20\nHugePages_Total: 0\n", memInfo{Total: 10, Available: 20, HasAvailable: true}, 0)
}

func TestParseMeminfoFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		if _, err := parseMeminfo([]byte(in)); err == nil {
			t.Fatalf("parseMeminfo(%q): no error", in)
		}
	}
	f("")
	f("MemFree: 100 kB\n")
	f("MemTotal: x kB\n")
	f("MemTotal: 10 MB\n")
	f("MemTotal: -1 kB\n")
	f("MemTotal: 99999999999999999999999 kB\n")
}

func TestParseStatSuccess(t *testing.T) {
	f := func(in string, want cpuTimes) {
		t.Helper()
		got, err := parseStat([]byte(in))
		if err != nil {
			t.Fatalf("parseStat(%q): %v", in, err)
		}
		if got != want {
			t.Fatalf("parseStat\ngot  %+v\nwant %+v", got, want)
		}
	}
	f(string(readFixture(t, "proc/stat")), cpuTimes{User: 100000, Nice: 500, System: 50000, Idle: 800000, Iowait: 2000, SoftIRQ: 1000})
	f("cpu  1 2 3 4 5 6 7 8 9 10 11\n", cpuTimes{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
	f("cpu0 9 9 9 9\ncpu 1 2 3 4\n", cpuTimes{User: 1, Nice: 2, System: 3, Idle: 4})
}

func TestParseStatFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		if _, err := parseStat([]byte(in)); err == nil {
			t.Fatalf("parseStat(%q): no error", in)
		}
	}
	f("")
	f("cpu0 1 2 3 4\n")
	f("cpu 1 2 3\n")
	f("cpu 1 2 3 x\n")
}

func TestParseNetDevSuccess(t *testing.T) {
	var dst []ifaceCounters
	f := func(in string, want []ifaceCounters) {
		t.Helper()
		var err error
		dst, err = parseNetDev([]byte(in), dst) // reused
		if err != nil {
			t.Fatalf("parseNetDev(%q): %v", in, err)
		}
		if len(dst) != len(want) || len(want) > 0 && !reflect.DeepEqual(dst, want) {
			t.Fatalf("parseNetDev\ngot  %+v\nwant %+v", dst, want)
		}
	}
	f(string(readFixture(t, "proc/net/dev")), []ifaceCounters{{"lo", 3193, 3193}, {"eth0", 58003012, 288148}, {"docker0", 1000, 2000}})
	hdr := "Inter-|   Receive   |  Transmit\n face |bytes    packets|bytes    packets\n"
	f(hdr, nil)
	// old kernels glue large counters to the colon
	f(hdr+"eth0:4294967296 1 0 0 0 0 0 0 77 1 0 0 0 0 0 0\n", []ifaceCounters{{"eth0", 4294967296, 77}})
}

func TestParseNetDevFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		if _, err := parseNetDev([]byte(in), nil); err == nil {
			t.Fatalf("parseNetDev(%q): no error", in)
		}
	}
	hdr := "Inter-|   Receive   |  Transmit\n face |bytes    packets|bytes    packets\n"
	f(hdr + "eth0: 1 2 3\n")
	f(hdr + "eth0: x 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0\n")
	f(hdr + ": 1 0 0 0 0 0 0 0 1 0 0 0 0 0 0 0\n")
	f(hdr + "no colon here\n")
}

func TestParseDiskstatsSuccess(t *testing.T) {
	var dst []diskCounters
	f := func(in string, want []diskCounters) {
		t.Helper()
		var err error
		dst, err = parseDiskstats([]byte(in), dst)
		if err != nil {
			t.Fatalf("parseDiskstats(%q): %v", in, err)
		}
		if len(dst) != len(want) || len(want) > 0 && !reflect.DeepEqual(dst, want) {
			t.Fatalf("parseDiskstats\ngot  %+v\nwant %+v", dst, want)
		}
	}
	fix, err := parseDiskstats(readFixture(t, "proc/diskstats"), nil)
	if err != nil || len(fix) != 10 || fix[1] != (diskCounters{8, 0, "sda", 790066, 737480}) {
		t.Fatalf("fixture: %v %+v", err, fix)
	}
	f("", nil)
	f(" 254 0 vda 13379 3545 790066 6967 2315 10070 737480 1963 0 5300 9257\n\n", []diskCounters{{254, 0, "vda", 790066, 737480}})
}

func TestParseDiskstatsFailure(t *testing.T) {
	f := func(in string) {
		t.Helper()
		if _, err := parseDiskstats([]byte(in), nil); err == nil {
			t.Fatalf("parseDiskstats(%q): no error", in)
		}
	}
	f("8 0 sda 1 2 3\n")
	f("8 0 sda 1 2 x 4 5 6 7 8 9 10 11\n")
	f("a 0 sda 1 2 3 4 5 6 7 8 9 10 11\n")
}

func TestParseLoadavgUptime(t *testing.T) {
	la, err := parseLoadavg(readFixture(t, "proc/loadavg"))
	if err != nil || la != (wire.LoadAverage{Load1: 0.42, Load5: 0.37, Load15: 0.30}) {
		t.Fatalf("parseLoadavg: %+v %v", la, err)
	}
	up, err := parseUptime(readFixture(t, "proc/uptime"))
	if err != nil || up != 1237164 {
		t.Fatalf("parseUptime: %d %v", up, err)
	}
	for _, in := range []string{"", "0.1 0.2", "a b c", "-1 0 0", "NaN 0 0", "0 +Inf 0"} {
		if _, err := parseLoadavg([]byte(in)); err == nil {
			t.Fatalf("parseLoadavg(%q): no error", in)
		}
	}
	for _, in := range []string{"", "x 1", "-5 1", "1e300 1", "NaN 1"} {
		if _, err := parseUptime([]byte(in)); err == nil {
			t.Fatalf("parseUptime(%q): no error", in)
		}
	}
}

func TestParseMountinfo(t *testing.T) {
	ms, err := parseMountinfo(readFixture(t, "proc/self/mountinfo"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 16 {
		t.Fatalf("%d mounts, want 16", len(ms))
	}
	want := mountInfo{MountPoint: "/mnt/data disk", Root: "/@data", FSType: "btrfs", Source: "/dev/nvme0n1p1"}
	if ms[13] != want {
		t.Fatalf("mount 13: %+v, want %+v", ms[13], want)
	}
	// optional fields, none or several, and escapes in every path
	ms, err = parseMountinfo([]byte("1 0 8:1 /a\\134b /x\\011y rw - ext4 /dev/sd\\040a rw\n2 1 8:2 / /z rw shared:1 master:2 - xfs /dev/sdb rw\n"), ms)
	if err != nil || len(ms) != 2 || ms[0] != (mountInfo{"/x\ty", `/a\b`, "ext4", "/dev/sd a"}) || ms[1].FSType != "xfs" {
		t.Fatalf("%+v %v", ms, err)
	}
	for _, in := range []string{"1 0 8:1 / /x\n", "1 0 8:1 / /x rw ext4 /dev/sda rw\n", "1 0 8:1 / /x rw -\n"} {
		if _, err := parseMountinfo([]byte(in), nil); err == nil {
			t.Fatalf("parseMountinfo(%q): no error", in)
		}
	}
	mm, err := parseMounts([]byte("/dev/sda2 / ext4 rw 0 0\nproc /proc proc rw 0 0\n/dev/sdb1 /mnt/a\\040b xfs rw 0 0\n"), nil)
	if err != nil || len(mm) != 3 || mm[2] != (mountInfo{"/mnt/a b", "/", "xfs", "/dev/sdb1"}) {
		t.Fatalf("parseMounts: %+v %v", mm, err)
	}
	if _, err := parseMounts([]byte("/dev/sda2 /\n"), nil); err == nil {
		t.Fatal("parseMounts: no error for a short line")
	}
}

func TestSelectDisks(t *testing.T) {
	f := func(mountinfo string, want ...string) {
		t.Helper()
		ms, err := parseMountinfo([]byte(mountinfo), nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range selectDisks(ms) {
			got = append(got, m.MountPoint+"="+m.Source)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Fatalf("selectDisks\ngot  %q\nwant %q", got, want)
		}
	}
	f(string(readFixture(t, "proc/self/mountinfo")),
		"/=/dev/sda2", "/boot/efi=/dev/sda1", "/var/lib/sluice=/dev/sdb1", "/mnt/data disk=/dev/nvme0n1p1")
	// this build machine: a VM whose root is a whole virtio disk
	f("22 27 0:21 / /proc rw - proc proc rw\n27 1 254:0 / / rw - ext4 /dev/vda rw\n25 24 0:23 / /dev/shm rw - tmpfs tmpfs rw\n", "/=/dev/vda")
	// a Docker container: overlay root; the host disk appears only as bind mounts of files
	docker := "500 450 0:50 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/u,workdir=/w\n" +
		"501 500 0:52 / /proc rw - proc proc rw\n" +
		"510 500 8:1 /var/lib/docker/containers/abc/resolv.conf /etc/resolv.conf rw - ext4 /dev/sda1 rw\n" +
		"511 500 8:1 /var/lib/docker/containers/abc/hostname /etc/hostname rw - ext4 /dev/sda1 rw\n"
	f(docker, "/=overlay")
	// the same container with a dedicated volume device mounted whole
	f(docker+"512 500 8:32 / /data rw - xfs /dev/sdc rw\n", "/=overlay", "/data=/dev/sdc")
	// btrfs root on a subvolume and a second subvolume of the same device
	f("1 0 0:30 /@ / rw - btrfs /dev/sda2 rw\n2 1 0:30 /@home /home rw - btrfs /dev/sda2 rw\n", "/=/dev/sda2")
	// a later mount on the same point hides the earlier one (initramfs rootfs)
	f("1 0 0:1 / / rw - rootfs rootfs rw\n2 1 8:1 / / rw - ext4 /dev/sda1 rw\n", "/=/dev/sda1")
	// device mounted twice: the shorter mount point wins among equal roots
	f("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 8:17 / /srv/data/x rw - ext4 /dev/sdb1 rw\n3 1 8:17 / /srv rw - ext4 /dev/sdb1 rw\n",
		"/=/dev/sda1", "/srv=/dev/sdb1")
	f("")
}

func TestDiskNames(t *testing.T) {
	for _, c := range []struct {
		name, disk string
		want       bool
	}{{"sda1", "sda", true}, {"sda", "sda", false}, {"sdab", "sda", false}, {"nvme0n1p2", "nvme0n1", true},
		{"nvme0n12", "nvme0n1", false}, {"mmcblk0p1", "mmcblk0", true}, {"vda15", "vda", true}, {"sdb1", "sda", false}} {
		if got := isPartitionOf(c.name, c.disk); got != c.want {
			t.Errorf("isPartitionOf(%q, %q) = %v", c.name, c.disk, got)
		}
	}
	for name, want := range map[string]bool{"loop0": true, "dm-0": true, "zram0": true, "md127": true, "sda": false, "nvme0n1": false, "vda": false, "mmcblk0": false} {
		if virtualDisk(name) != want {
			t.Errorf("virtualDisk(%q) != %v", name, want)
		}
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{`a\040b`: "a b", `\134`: `\`, `\011\012`: "\t\n", `a\04`: `a\04`, `\999`: `\999`, `\400`: `\400`, `plain`: "plain"} {
		if got := unescapeOctal([]byte(in)); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}
