package wire

import (
	"encoding/json"
	"strconv"
)

// Encoders of the current stats payload shapes (/api/ws/stats, PROTOCOL.md §2.2–§2.6). Each
// appends the "data" value only; wrap it with BeginMessage/EndMessage. None allocates when dst
// has room. Fields marked "omit when empty" in the spec are left out when zero, the others are
// always written, and empty arrays that the spec wants as [] are never null.

// nilUUID replaces an IdxStats.UUID that is not a canonical UUID.
const nilUUID = "00000000-0000-0000-0000-000000000000"

// statsKey appends a separating comma when needed and the object key name (a constant that
// needs no escaping), then the colon.
func statsKey(dst []byte, name string) []byte {
	dst = statsSep(dst)
	dst = append(dst, '"')
	dst = append(dst, name...)
	return append(dst, '"', ':')
}

// statsMapKey appends a separating comma when needed and the escaped map key k with its colon.
func statsMapKey(dst []byte, k string) []byte {
	dst = statsSep(dst)
	dst = AppendString(dst, k)
	return append(dst, ':')
}

// statsSep appends a comma unless dst ends with the start of an object or array.
func statsSep(dst []byte) []byte {
	if n := len(dst); n > 0 && dst[n-1] != '{' && dst[n-1] != '[' {
		dst = append(dst, ',')
	}
	return dst
}

func statsUint(dst []byte, name string, v uint64) []byte {
	return strconv.AppendUint(statsKey(dst, name), v, 10)
}

func statsInt(dst []byte, name string, v int64) []byte {
	return strconv.AppendInt(statsKey(dst, name), v, 10)
}

func statsFloat(dst []byte, name string, v float64) []byte {
	return AppendFloat(statsKey(dst, name), v)
}

func statsStr(dst []byte, name, v string) []byte {
	return AppendString(statsKey(dst, name), v)
}

func statsUintOmit(dst []byte, name string, v uint64) []byte {
	if v == 0 {
		return dst
	}
	return statsUint(dst, name, v)
}

func statsStrOmit(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	return statsStr(dst, name, v)
}

func statsStrings(dst []byte, name string, v []string) []byte {
	dst = append(statsKey(dst, name), '[')
	for i := range v {
		dst = AppendString(statsSep(dst), v[i])
	}
	return append(dst, ']')
}

func statsUints(dst []byte, name string, v []uint64) []byte {
	dst = append(statsKey(dst, name), '[')
	for i, x := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendUint(dst, x, 10)
	}
	return append(dst, ']')
}

// validUUID reports whether s is a canonical 8-4-4-4-12 hexadecimal UUID.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if c != '-' {
				return false
			}
			continue
		}
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// AppendSysDesc appends the sysDesc data of /api/ws/stats (PROTOCOL.md §2.2): an object keyed
// by SysInfo.Host whose values omit every empty field ({} when all are empty). CPUMIPS is not
// written (current clients do not read it).
func AppendSysDesc(dst []byte, hosts []SysInfo) []byte {
	dst = append(dst, '{')
	for o := newKeyOrder(hosts, sysInfoKey); ; {
		i := o.next()
		if i < 0 {
			break
		}
		h := &hosts[i]
		dst = append(statsMapKey(dst, h.Host), '{')
		dst = statsStrOmit(dst, "VirtSystem", h.VirtSystem)
		dst = statsStrOmit(dst, "VirtRole", h.VirtRole)
		if h.CPUCount != 0 {
			dst = statsInt(dst, "CPUCount", int64(h.CPUCount))
		}
		dst = statsStrOmit(dst, "CPUModel", h.CPUModel)
		dst = statsStrOmit(dst, "CPUMhz", h.CPUMhz)
		dst = statsStrOmit(dst, "CPUCache", h.CPUCache)
		dst = statsUintOmit(dst, "TotalMemoryMB", h.TotalMemoryMB)
		dst = statsStrOmit(dst, "SystemVersion", h.SystemVersion)
		dst = statsStrOmit(dst, "Error", h.Error)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// AppendPing appends the ping data of /api/ws/stats (PROTOCOL.md §2.3):
// {"States":{"<addr>":"<state>"},"Error":"…"}, both keys omitted when empty.
func AppendPing(dst []byte, p *PingPayload) []byte {
	dst = append(dst, '{')
	if len(p.States) > 0 {
		dst = append(statsKey(dst, "States"), '{')
		for o := newKeyOrder(p.States, pingStateKey); ; {
			i := o.next()
			if i < 0 {
				break
			}
			dst = AppendString(statsMapKey(dst, p.States[i].Addr), p.States[i].State)
		}
		dst = append(dst, '}')
	}
	dst = statsStrOmit(dst, "Error", p.Error)
	return append(dst, '}')
}

// AppendSysStats appends the sysStats data of /api/ws/stats (PROTOCOL.md §2.4):
// {"Stats":{"<host>":{"Stats":{HostSysStats},"Error":"…"}},"Error":"…"}.
func AppendSysStats(dst []byte, p *SysStatsPayload) []byte {
	dst = append(dst, '{')
	if len(p.Hosts) > 0 {
		dst = append(statsKey(dst, "Stats"), '{')
		for o := newKeyOrder(p.Hosts, sysStatsKey); ; {
			i := o.next()
			if i < 0 {
				break
			}
			h := &p.Hosts[i]
			dst = append(statsMapKey(dst, h.Host), '{')
			if h.Stats != nil {
				dst = AppendHostSysStats(statsKey(dst, "Stats"), h.Stats)
			}
			dst = statsStrOmit(dst, "Error", h.Error)
			dst = append(dst, '}')
		}
		dst = append(dst, '}')
	}
	dst = statsStrOmit(dst, "Error", p.Error)
	return append(dst, '}')
}

// AppendHostSysStats appends one HostSysStats object of the current shape (PROTOCOL.md §2.4).
// Uptime, TotalMemory, the process figures, MemoryUsedPercent, CPUCount, VirtSystem and
// VirtRole are omitted when zero; Disks and IO are [] when empty; FreeMemory and CachedMemory
// are not written.
func AppendHostSysStats(dst []byte, s *HostSysStats) []byte {
	dst = append(dst, '{')
	dst = statsUintOmit(dst, "Uptime", s.Uptime)
	dst = statsUintOmit(dst, "TotalMemory", s.TotalMemory)
	dst = statsUintOmit(dst, "ProcessHeapAllocation", s.ProcessHeapAllocation)
	dst = statsUintOmit(dst, "ProcessSysReserved", s.ProcessSysReserved)
	if s.MemoryUsedPercent != 0 {
		dst = statsFloat(dst, "MemoryUsedPercent", s.MemoryUsedPercent)
	}
	dst = append(statsKey(dst, "Disks"), '[')
	for i := range s.Disks {
		d := &s.Disks[i]
		dst = append(statsSep(dst), '{')
		dst = statsStr(dst, "Mount", d.Mount)
		dst = statsStr(dst, "Partition", d.Partition)
		dst = statsUint(dst, "Total", d.Total)
		dst = statsUint(dst, "Used", d.Used)
		dst = statsStr(dst, "ID", d.ID)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = statsFloat(dst, "CPUUsage", s.CPUUsage)
	if s.CPUCount != 0 {
		dst = statsInt(dst, "CPUCount", int64(s.CPUCount))
	}
	dst = statsStr(dst, "HostHash", s.HostHash)
	dst = append(statsKey(dst, "Net"), '{')
	dst = statsUint(dst, "Up", s.Net.Up)
	dst = statsUint(dst, "Down", s.Net.Down)
	dst = append(dst, '}')
	dst = append(statsKey(dst, "IO"), '[')
	for i := range s.IO {
		d := &s.IO[i]
		dst = append(statsSep(dst), '{')
		dst = statsStr(dst, "Device", d.Device)
		dst = statsUint(dst, "Read", d.Read)
		dst = statsUint(dst, "Write", d.Write)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = statsStrOmit(dst, "VirtSystem", s.VirtSystem)
	dst = statsStrOmit(dst, "VirtRole", s.VirtRole)
	b := &s.BuildInfo
	dst = append(statsKey(dst, "BuildInfo"), '{')
	dst = statsUint(dst, "Major", uint64(b.Major))
	dst = statsUint(dst, "Minor", uint64(b.Minor))
	dst = statsUint(dst, "Point", uint64(b.Point))
	dst = AppendTime(statsKey(dst, "BuildDate"), b.BuildDate)
	dst = statsStrOmit(dst, "BuildID", b.BuildID)
	dst = statsStrOmit(dst, "GUIBuildID", b.GUIBuildID)
	dst = append(dst, '}')
	dst = append(statsKey(dst, "LoadAverage"), '{')
	dst = statsFloat(dst, "load1", s.LoadAverage.Load1)
	dst = statsFloat(dst, "load5", s.LoadAverage.Load5)
	dst = statsFloat(dst, "load15", s.LoadAverage.Load15)
	dst = append(dst, '}')
	dst = statsFloat(dst, "Iowait", s.Iowait)
	return append(dst, '}')
}

// AppendIdxStats appends the idxStats data of /api/ws/stats (PROTOCOL.md §2.5). Every indexer
// carries UUID (the nil UUID when IdxStats.UUID is not canonical) and IndexStats ([] when empty);
// every well carries Stats ([] when empty); Accelerator and Extractor are omitted when empty.
func AppendIdxStats(dst []byte, p *IdxStatsPayload) []byte {
	dst = append(dst, '{')
	if len(p.Indexers) > 0 {
		dst = append(statsKey(dst, "Stats"), '{')
		for o := newKeyOrder(p.Indexers, idxStatsKey); ; {
			i := o.next()
			if i < 0 {
				break
			}
			x := &p.Indexers[i]
			dst = append(statsMapKey(dst, x.Addr), '{')
			if validUUID(x.UUID) {
				dst = statsStr(dst, "UUID", x.UUID)
			} else {
				dst = statsStr(dst, "UUID", nilUUID)
			}
			dst = statsStrOmit(dst, "Error", x.Error)
			dst = append(statsKey(dst, "IndexStats"), '[')
			for j := range x.IndexStats {
				w := &x.IndexStats[j]
				dst = append(statsSep(dst), '{')
				dst = statsStr(dst, "Name", w.Name)
				dst = append(statsKey(dst, "Stats"), '[')
				for k := range w.Stats {
					s := &w.Stats[k]
					dst = append(statsSep(dst), '{')
					dst = statsStr(dst, "ID", s.ID)
					dst = statsUint(dst, "Data", s.Data)
					dst = statsUint(dst, "Entries", s.Entries)
					dst = statsStr(dst, "Path", s.Path)
					dst = AppendBool(statsKey(dst, "Cold"), s.Cold)
					dst = statsStrOmit(dst, "Accelerator", s.Accelerator)
					dst = statsStrOmit(dst, "Extractor", s.Extractor)
					dst = append(dst, '}')
				}
				dst = append(dst, ']', '}')
			}
			dst = append(dst, ']', '}')
		}
		dst = append(dst, '}')
	}
	dst = statsStrOmit(dst, "Error", p.Error)
	return append(dst, '}')
}

// AppendIgstStats appends the igstStats data (PROTOCOL.md §2.6), the same on both stats paths.
// Every IngestStats field is written; the tails have exactly 24 or 60 numbers; Ingesters,
// Missing and every Tags list are [] when empty.
func AppendIgstStats(dst []byte, p *IgstStatsPayload) []byte {
	dst = append(dst, '{')
	if len(p.Indexers) > 0 {
		dst = append(statsKey(dst, "Stats"), '{')
		for o := newKeyOrder(p.Indexers, ingestStatsKey); ; {
			i := o.next()
			if i < 0 {
				break
			}
			dst = appendIngestStats(statsMapKey(dst, p.Indexers[i].Addr), &p.Indexers[i])
		}
		dst = append(dst, '}')
	}
	dst = statsStrOmit(dst, "Error", p.Error)
	return append(dst, '}')
}

func appendIngestStats(dst []byte, s *IngestStats) []byte {
	dst = append(dst, '{')
	dst = statsUint(dst, "QuotaUsed", s.QuotaUsed)
	dst = statsUint(dst, "QuotaMax", s.QuotaMax)
	dst = statsFloat(dst, "EntriesPerSecond", s.EntriesPerSecond)
	dst = statsFloat(dst, "BytesPerSecond", s.BytesPerSecond)
	dst = statsUint(dst, "TotalCount", s.TotalCount)
	dst = statsUint(dst, "TotalSize", s.TotalSize)
	dst = statsUint(dst, "LastDayCount", s.LastDayCount)
	dst = statsUint(dst, "LastDaySize", s.LastDaySize)
	dst = statsUints(dst, "EntriesHourTail", s.EntriesHourTail[:])
	dst = statsUints(dst, "EntriesMinuteTail", s.EntriesMinuteTail[:])
	dst = statsUints(dst, "BytesHourTail", s.BytesHourTail[:])
	dst = statsUints(dst, "BytesMinuteTail", s.BytesMinuteTail[:])
	dst = append(statsKey(dst, "Ingesters"), '[')
	for i := range s.Ingesters {
		g := &s.Ingesters[i]
		dst = append(statsSep(dst), '{')
		dst = statsStr(dst, "RemoteAddress", g.RemoteAddress)
		dst = statsUint(dst, "Count", g.Count)
		dst = statsUint(dst, "Size", g.Size)
		dst = statsInt(dst, "Uptime", int64(g.Uptime))
		dst = statsStrings(dst, "Tags", g.Tags)
		dst = statsStr(dst, "Name", g.Name)
		dst = statsStr(dst, "Version", g.Version)
		dst = statsStr(dst, "UUID", g.UUID)
		dst = appendIngesterState(statsKey(dst, "State"), &g.State)
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = append(statsKey(dst, "Missing"), '[')
	for i := range s.Missing {
		dst = appendIngesterState(statsSep(dst), &s.Missing[i])
	}
	dst = append(dst, ']')
	return append(dst, '}')
}

func appendIngesterState(dst []byte, s *IngesterState) []byte {
	dst = append(dst, '{')
	dst = statsStr(dst, "UUID", s.UUID)
	dst = statsStr(dst, "Name", s.Name)
	dst = statsStr(dst, "Version", s.Version)
	dst = statsStr(dst, "Label", s.Label)
	dst = append(statsKey(dst, "IP"), '"')
	if s.IP.IsValid() {
		// NOTE: net.IP, the Go client's type, refuses a zone ("fe80::1%eth0"), and a Go server
		// prints a v4-mapped address as dotted IPv4; do the same.
		dst = s.IP.WithZone("").Unmap().AppendTo(dst)
	}
	dst = append(dst, '"')
	dst = statsStr(dst, "Hostname", s.Hostname)
	dst = statsUint(dst, "Entries", s.Entries)
	dst = statsUint(dst, "Size", s.Size)
	dst = statsInt(dst, "Uptime", int64(s.Uptime))
	dst = statsStrings(dst, "Tags", s.Tags)
	dst = statsStr(dst, "CacheState", s.CacheState)
	dst = statsUint(dst, "CacheSize", s.CacheSize)
	dst = AppendTime(statsKey(dst, "LastSeen"), s.LastSeen)
	dst = statsKey(dst, "Children")
	if s.Children == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '{')
		for o := newKeyOrder(s.Children, ingesterChildKey); ; {
			i := o.next()
			if i < 0 {
				break
			}
			dst = appendIngesterState(statsMapKey(dst, s.Children[i].Key), &s.Children[i].State)
		}
		dst = append(dst, '}')
	}
	if len(s.Configuration) > 0 && json.Valid(s.Configuration) {
		dst = append(statsKey(dst, "Configuration"), s.Configuration...)
	}
	if len(s.Metadata) > 0 && json.Valid(s.Metadata) {
		dst = append(statsKey(dst, "Metadata"), s.Metadata...)
	}
	return append(dst, '}')
}
