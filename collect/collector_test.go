package collect

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/wire"
)

// fixtureUsage is the statfs answer for each fixture mount point.
var fixtureUsage = map[string]FSUsage{
	"/":               {Total: 243347922944, Free: 213069598720, Avail: 200000000000},
	"/boot/efi":       {Total: 535805952, Free: 529534976},
	"/var/lib/sluice": {Total: 284401197056, Free: 69774303232},
	"/mnt/data disk":  {Total: 1000204886016, Free: 1000204886016 - 4096},
}

// copyFixture copies testdata (without later/) into a temporary root that the test can change.
func copyFixture(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	err := filepath.WalkDir("testdata", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		if rel == "later" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(root, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(root, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// advance overlays the "5 seconds later" counters of testdata/later on root.
func advance(t testing.TB, root string) {
	t.Helper()
	for _, rel := range []string{"proc/stat", "proc/net/dev", "proc/diskstats"} {
		b, err := os.ReadFile(filepath.Join("testdata/later", rel))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, rel), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fixtureConfig(root string) Config {
	return Config{
		FS: FS{Root: root},
		Statfs: func(path string) (FSUsage, error) {
			rel := "/" + strings.TrimPrefix(strings.TrimPrefix(path, root), "/")
			u, ok := fixtureUsage[rel]
			if !ok {
				return FSUsage{}, errors.New("no such mount " + rel)
			}
			return u, nil
		},
		BuildInfo: wire.BuildInfo{Major: 0, Minor: 1, BuildDate: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
	}
}

func wantHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:8])
}

func TestCollectorSysDesc(t *testing.T) {
	c := NewCollector(fixtureConfig("testdata"))
	got := c.SysDesc()
	want := wire.SysInfo{VirtSystem: "kvm", VirtRole: "guest", CPUCount: 2,
		CPUModel: "Intel(R) Xeon(R) E-2288G CPU @ 3.70GHz", CPUMhz: "3700", CPUCache: "16384", CPUMIPS: "7399.99",
		TotalMemoryMB: 31997, SystemVersion: "6.1.0-18-amd64"}
	if got != want {
		t.Fatalf("SysDesc\ngot  %+v\nwant %+v", got, want)
	}
	// an injected CPU count wins
	cfg := fixtureConfig("testdata")
	cfg.CPUCount = func() (int, error) { return 64, nil }
	if n := NewCollector(cfg).SysDesc().CPUCount; n != 64 {
		t.Fatalf("CPUCount %d, want 64", n)
	}
}

func TestCollectorSample(t *testing.T) {
	root := copyFixture(t)
	c := NewCollector(fixtureConfig(root))
	t0 := time.Now().Add(time.Second)
	s0, err := c.Sample(t0)
	if err != nil {
		t.Fatal(err)
	}
	// no counter moved since NewCollector
	if s0.CPUUsage != 0 || s0.Net != (wire.NetStats{}) || s0.IO[0].Read != 0 {
		t.Fatalf("first sample has rates: %+v", s0)
	}
	advance(t, root)
	s, err := c.Sample(t0.Add(5 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if s.ProcessHeapAllocation == 0 || s.ProcessSysReserved < s.ProcessHeapAllocation {
		t.Fatalf("process figures %d %d", s.ProcessHeapAllocation, s.ProcessSysReserved)
	}
	s.ProcessHeapAllocation, s.ProcessSysReserved = 0, 0
	hh := wantHash("5c0b4ad0e5c94b0b9e3c1d2f8a7b6c5d")
	want := wire.HostSysStats{
		Uptime: 1237164, TotalMemory: 32765448 << 10, FreeMemory: 20971520 << 10, CachedMemory: 6291456 << 10,
		MemoryUsedPercent: 12.49, // (32765448−28672000)/32765448
		Disks: []wire.DiskStats{
			{Mount: "/", Partition: "/dev/sda2", Total: 243347922944, Used: 243347922944 - 213069598720, ID: wantHash(hh, "/", "/dev/sda2")},
			{Mount: "/boot/efi", Partition: "/dev/sda1", Total: 535805952, Used: 535805952 - 529534976, ID: wantHash(hh, "/boot/efi", "/dev/sda1")},
			{Mount: "/var/lib/sluice", Partition: "/dev/sdb1", Total: 284401197056, Used: 284401197056 - 69774303232, ID: wantHash(hh, "/var/lib/sluice", "/dev/sdb1")},
			{Mount: "/mnt/data disk", Partition: "/dev/nvme0n1p1", Total: 1000204886016, Used: 4096, ID: wantHash(hh, "/mnt/data disk", "/dev/nvme0n1p1")},
		},
		// ticks +1000: user 200, system 100, softirq 10 busy; iowait 40
		CPUUsage: 31, Iowait: 4, CPUCount: 2, HostHash: hh,
		// eth0 rx +50000 tx +25000, docker0 rx +500, lo ignored, new veth ignored; over 5 s
		Net: wire.NetStats{Up: 5000, Down: 10100},
		// whole physical disks only; sectors of 512 bytes over 5 s
		IO:         []wire.DiskIO{{Device: "sda", Read: 102400, Write: 204800}, {Device: "sdb", Write: 8192}, {Device: "nvme0n1", Read: 819}},
		VirtSystem: "kvm", VirtRole: "guest",
		BuildInfo:   wire.BuildInfo{Minor: 1, BuildDate: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)},
		LoadAverage: wire.LoadAverage{Load1: 0.42, Load5: 0.37, Load15: 0.30},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("Sample\ngot  %+v\nwant %+v", s, want)
	}
	// counters that go backwards (a reset) give zero rates, not huge ones
	b, _ := os.ReadFile("testdata/proc/net/dev")
	os.WriteFile(filepath.Join(root, "proc/net/dev"), b, 0o644)
	s, err = c.Sample(t0.Add(10 * time.Second))
	if err != nil || s.Net != (wire.NetStats{}) {
		t.Fatalf("after a counter reset: %+v %v", s.Net, err)
	}
}

func TestCollectorErrors(t *testing.T) {
	root := copyFixture(t)
	for _, rel := range []string{"proc/diskstats", "proc/loadavg", "proc/self/mountinfo", "etc/machine-id"} {
		if err := os.Remove(filepath.Join(root, rel)); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "proc/meminfo"), []byte("MemTotal: lots\n"), 0o644)
	c := NewCollector(fixtureConfig(root))
	s, err := c.Sample(time.Now())
	if err == nil {
		t.Fatal("no error")
	}
	for _, part := range []string{"diskstats", "loadavg", "proc/self/mountinfo", "proc/mounts", "meminfo"} {
		if !strings.Contains(err.Error(), part) {
			t.Errorf("error does not name %s: %v", part, err)
		}
	}
	// what could be read is still there: hostname stands in for machine-id
	if s.Uptime != 1237164 || s.HostHash != wantHash("idx01") || s.CPUCount != 2 {
		t.Fatalf("partial sample %+v", s)
	}
	if len(s.Disks) != 0 || len(s.IO) != 0 {
		t.Fatalf("disks or IO without their files: %+v %+v", s.Disks, s.IO)
	}
	d := c.SysDesc()
	if !strings.Contains(d.Error, "meminfo") || d.CPUModel == "" || d.SystemVersion != "6.1.0-18-amd64" {
		t.Fatalf("SysDesc %+v", d)
	}
	// a statfs failure drops that mount and says so
	cfg := fixtureConfig(copyFixture(t))
	cfg.Statfs = func(path string) (FSUsage, error) {
		return FSUsage{}, errors.New("collect: cannot statfs " + path + ": EIO")
	}
	s, err = NewCollector(cfg).Sample(time.Now())
	if err == nil || !strings.Contains(err.Error(), "EIO") || len(s.Disks) != 0 {
		t.Fatalf("statfs failure: %v %+v", err, s.Disks)
	}
	// the file size limit is enforced and named
	cfg = fixtureConfig("testdata")
	cfg.MaxFileSize = 100
	_, err = NewCollector(cfg).Sample(time.Now())
	var tl *FileTooLargeError
	if !errors.As(err, &tl) || !strings.Contains(err.Error(), "Config.MaxFileSize") {
		t.Fatalf("MaxFileSize: %v", err)
	}
}

func TestCollectorWholeDiskFallback(t *testing.T) {
	root := copyFixture(t)
	os.RemoveAll(filepath.Join(root, "sys/block"))
	c := NewCollector(fixtureConfig(root))
	s, err := c.Sample(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range s.IO {
		got = append(got, d.Device)
	}
	if strings.Join(got, ",") != "sda,sdb,nvme0n1" {
		t.Fatalf("devices %v", got)
	}
}

func TestDetectVirt(t *testing.T) {
	f := func(files map[string]string, hypervisor bool, system, role string) {
		t.Helper()
		root := t.TempDir()
		for rel, content := range files {
			p := filepath.Join(root, rel)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		s, r := detectVirt(FS{Root: root}, &cpuInfo{Hypervisor: hypervisor}, nil, 1<<20)
		if s != system || r != role {
			t.Fatalf("detectVirt(%v, %v) = %q %q, want %q %q", files, hypervisor, s, r, system, role)
		}
	}
	dmi := "sys/class/dmi/id/"
	f(map[string]string{dmi + "sys_vendor": "QEMU\n", dmi + "product_name": "Standard PC (i440FX + PIIX, 1996)\n"}, true, "kvm", "guest")
	f(map[string]string{dmi + "sys_vendor": "VMware, Inc.\n"}, true, "vmware", "guest")
	f(map[string]string{dmi + "sys_vendor": "Microsoft Corporation\n", dmi + "product_name": "Virtual Machine\n"}, true, "microsoft", "guest")
	f(map[string]string{dmi + "sys_vendor": "Microsoft Corporation\n", dmi + "product_name": "Surface Pro\n"}, false, "", "")
	f(map[string]string{dmi + "sys_vendor": "Amazon EC2\n"}, false, "amazon", "guest")
	f(map[string]string{dmi + "sys_vendor": "Dell Inc.\n", "dev/kvm": ""}, false, "kvm", "host")
	f(map[string]string{"proc/xen/capabilities": "control_d\n"}, false, "xen", "host")
	f(map[string]string{"proc/xen/capabilities": ""}, true, "xen", "guest")
	f(map[string]string{"sys/hypervisor/type": "xen\n"}, true, "xen", "guest")
	// this build machine: a Firecracker guest without DMI, inside Docker
	f(map[string]string{".dockerenv": ""}, true, "docker", "guest")
	f(map[string]string{"run/.containerenv": ""}, false, "podman", "guest")
	f(nil, true, "", "guest")
	f(nil, false, "", "")
}

// TestCollectorHost samples this machine: the figures must agree with /proc read here.
func TestCollectorHost(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc")
	}
	c := NewCollector(Config{})
	d := c.SysDesc()
	if d.Error != "" || d.CPUCount <= 0 || d.TotalMemoryMB == 0 || d.SystemVersion == "" {
		t.Fatalf("SysDesc %+v", d)
	}
	rel, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	if d.SystemVersion != strings.TrimSpace(string(rel)) {
		t.Fatalf("SystemVersion %q, /proc says %q", d.SystemVersion, rel)
	}
	m, _ := os.ReadFile("/proc/meminfo")
	mi, err := parseMeminfo(m)
	if err != nil || d.TotalMemoryMB != mi.Total>>20 {
		t.Fatalf("TotalMemoryMB %d, /proc says %d (%v)", d.TotalMemoryMB, mi.Total>>20, err)
	}
	time.Sleep(50 * time.Millisecond)
	s, err := c.Sample(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if s.TotalMemory != mi.Total || s.Uptime == 0 || s.HostHash == "" || s.CPUUsage < 0 || s.CPUUsage > 100 {
		t.Fatalf("Sample %+v", s)
	}
	t.Logf("SysDesc %+v", d)
	t.Logf("Sample %+v", s)
	if len(s.Disks) == 0 {
		t.Fatalf("no disks on this machine")
	}
	for _, d := range s.Disks {
		if d.Total == 0 || d.Used > d.Total {
			t.Fatalf("disk %+v", d)
		}
	}
}
