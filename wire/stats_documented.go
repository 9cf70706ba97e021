package wire

// Encoders of the documented stats payload shapes served on /ws/stats (PROTOCOL.md §2.7): the
// shapes of the stats documentation and its Japanese translation, field for field, including the
// seed's "Error":"" in ping, sysStats and each sysStats element. None allocates when dst has
// room. igstStats has no documented shape; both paths use AppendIgstStats.

// AppendSysDescDocumented appends the documented sysDesc data (PROTOCOL.md §2.7): an object
// keyed by SysInfo.Host whose values always carry the seven documented fields CPUCount,
// CPUModel, CPUMhz, CPUCache, CPUMIPS, TotalMemoryMB and SystemVersion. Error, which the seed
// does not know, is added only when a host could not be described.
func AppendSysDescDocumented(dst []byte, hosts []SysInfo) []byte {
	dst = append(dst, '{')
	for o := newKeyOrder(hosts, sysInfoKey); ; {
		i := o.next()
		if i < 0 {
			break
		}
		h := &hosts[i]
		dst = append(statsMapKey(dst, h.Host), '{')
		dst = statsInt(dst, "CPUCount", int64(h.CPUCount))
		dst = statsStr(dst, "CPUModel", h.CPUModel)
		dst = statsStr(dst, "CPUMhz", h.CPUMhz)
		dst = statsStr(dst, "CPUCache", h.CPUCache)
		dst = statsStr(dst, "CPUMIPS", h.CPUMIPS)
		dst = statsUint(dst, "TotalMemoryMB", h.TotalMemoryMB)
		dst = statsStr(dst, "SystemVersion", h.SystemVersion)
		dst = statsStrOmit(dst, "Error", h.Error)
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// AppendPingDocumented appends the documented ping data (PROTOCOL.md §2.7, A6):
// {"Error":"","States":[{"Addr":"…","State":"OK"}]}, States in slice order, [] when empty.
func AppendPingDocumented(dst []byte, p *PingPayload) []byte {
	dst = append(dst, '{')
	dst = statsStr(dst, "Error", p.Error)
	dst = append(statsKey(dst, "States"), '[')
	for i := range p.States {
		dst = append(statsSep(dst), '{')
		dst = statsStr(dst, "Addr", p.States[i].Addr)
		dst = statsStr(dst, "State", p.States[i].State)
		dst = append(dst, '}')
	}
	return append(dst, ']', '}')
}

// AppendSysStatsDocumented appends the documented sysStats data (PROTOCOL.md §2.7, A7):
// {"Error":"","Stats":[{"Name":"<host>","Error":"","Host":{"Uptime","TotalMemory","FreeMemory",
// "CachedMemory","Disks":[{"Mount","Partition","Total","Used"}],"CPUUsage","Net":{"Up","Down"}}}]}
// with hosts in slice order. Every field is always written; a host without figures (Stats nil)
// gets an all-zero Host so that a client reading Host.Uptime still finds it, and its Error says
// why.
func AppendSysStatsDocumented(dst []byte, p *SysStatsPayload) []byte {
	var zero HostSysStats
	dst = append(dst, '{')
	dst = statsStr(dst, "Error", p.Error)
	dst = append(statsKey(dst, "Stats"), '[')
	for i := range p.Hosts {
		h := &p.Hosts[i]
		s := h.Stats
		if s == nil {
			s = &zero
		}
		dst = append(statsSep(dst), '{')
		dst = statsStr(dst, "Name", h.Host)
		dst = statsStr(dst, "Error", h.Error)
		dst = append(statsKey(dst, "Host"), '{')
		dst = statsUint(dst, "Uptime", s.Uptime)
		dst = statsUint(dst, "TotalMemory", s.TotalMemory)
		dst = statsUint(dst, "FreeMemory", s.FreeMemory)
		dst = statsUint(dst, "CachedMemory", s.CachedMemory)
		dst = append(statsKey(dst, "Disks"), '[')
		for j := range s.Disks {
			d := &s.Disks[j]
			dst = append(statsSep(dst), '{')
			dst = statsStr(dst, "Mount", d.Mount)
			dst = statsStr(dst, "Partition", d.Partition)
			dst = statsUint(dst, "Total", d.Total)
			dst = statsUint(dst, "Used", d.Used)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
		dst = statsFloat(dst, "CPUUsage", s.CPUUsage)
		dst = append(statsKey(dst, "Net"), '{')
		dst = statsUint(dst, "Up", s.Net.Up)
		dst = statsUint(dst, "Down", s.Net.Down)
		dst = append(dst, '}', '}', '}')
	}
	return append(dst, ']', '}')
}

// AppendIdxStatsDocumented appends the documented idxStats data (PROTOCOL.md §2.7, A10):
// {"Stats":{"<addr>":{"IndexStats":[{"Name":"…","Stats":[{"Data","Entries","Path"}]}]}}} with
// Stats always present ({} when there are no indexers). UUID, ID, Cold, Accelerator and
// Extractor are not written; the payload's or an indexer's Error only when set.
func AppendIdxStatsDocumented(dst []byte, p *IdxStatsPayload) []byte {
	dst = append(dst, '{')
	dst = append(statsKey(dst, "Stats"), '{')
	for o := newKeyOrder(p.Indexers, idxStatsKey); ; {
		i := o.next()
		if i < 0 {
			break
		}
		x := &p.Indexers[i]
		dst = append(statsMapKey(dst, x.Addr), '{')
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
				dst = statsUint(dst, "Data", s.Data)
				dst = statsUint(dst, "Entries", s.Entries)
				dst = statsStr(dst, "Path", s.Path)
				dst = append(dst, '}')
			}
			dst = append(dst, ']', '}')
		}
		dst = append(dst, ']', '}')
	}
	dst = append(dst, '}')
	dst = statsStrOmit(dst, "Error", p.Error)
	return append(dst, '}')
}
