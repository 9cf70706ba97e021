package search

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine/extract"
	"github.com/sluicehq/sluice/wire"
)

// syslog [-e FIELD] [-s] FIELD [OP VALUE] [as NAME] ...
//
// Fields of RFC 5424 and RFC 3164 messages: Facility, Severity, Priority, Version (int64),
// Timestamp (timestamp; RFC 3164 times take their year from the entry), Hostname, Appname,
// ProcID, MsgID, Message, StructuredData (the whole section), StructuredID (the first element's
// ID) (strings), and structured parameters as Structured.KEY or Structured[ID].KEY (named KEY,
// typed like extracted text). Fields a message lacks are missing.
type syslogSpec struct {
	extractCommon
	fields []syslogField
}

type syslogField struct {
	kind  int
	sdID  string
	sdKey string
}

const (
	sysFacility = iota
	sysSeverity
	sysPriority
	sysVersion
	sysTimestamp
	sysHostname
	sysAppname
	sysProcID
	sysMsgID
	sysMessage
	sysStructuredData
	sysStructuredID
	sysStructured
)

var syslogFieldNames = map[string]int{
	"Facility": sysFacility, "Severity": sysSeverity, "Priority": sysPriority, "Version": sysVersion,
	"Timestamp": sysTimestamp, "Hostname": sysHostname, "Appname": sysAppname, "ProcID": sysProcID,
	"MsgID": sysMsgID, "Message": sysMessage, "StructuredData": sysStructuredData, "StructuredID": sysStructuredID,
}

// parseSyslogField parses a field name; ok is false for an unknown one.
func parseSyslogField(path string) (f syslogField, name string, ok bool) {
	if k, ok := syslogFieldNames[path]; ok {
		return syslogField{kind: k}, path, true
	}
	rest, ok := strings.CutPrefix(path, "Structured")
	if !ok {
		return f, "", false
	}
	if strings.HasPrefix(rest, "[") {
		end := strings.IndexByte(rest, ']')
		if end < 2 {
			return f, "", false
		}
		f.sdID = rest[1:end]
		rest = rest[end+1:]
	}
	key, ok := strings.CutPrefix(rest, ".")
	if !ok || key == "" {
		return f, "", false
	}
	f.kind, f.sdKey = sysStructured, key
	return f, key, true
}

func parseSyslog(p *modParser) (moduleImpl, *ParseError) {
	s := &syslogSpec{}
	bad := ""
	var perr *ParseError
	s.extractCommon, perr = p.extractCommon(func(path string) string {
		f, name, ok := parseSyslogField(path)
		if !ok {
			if bad == "" {
				bad = path
			}
			name = path
		}
		s.fields = append(s.fields, f)
		return name
	})
	if perr != nil {
		return nil, perr
	}
	if bad != "" {
		return nil, p.errAt(nil, "unknown field "+strconv.Quote(bad)+"; expected Facility, Severity, Priority, Version, "+
			"Timestamp, Hostname, Appname, ProcID, MsgID, Message, StructuredData, StructuredID or Structured[ID].KEY")
	}
	return s, nil
}

func (s *syslogSpec) newStage(rc *runCtx) stage { return &syslogStage{s: s, ar: rc.ar} }

type syslogStage struct {
	s   *syslogSpec
	ar  *arena
	msg extract.Syslog
}

func (g *syslogStage) process(ents []wire.Entry) (int, error) {
	s, ar := g.s, g.ar
	n := 0
	for i := range ents {
		e := &ents[i]
		data, ok := source(e, s.field, ar)
		if !ok {
			continue
		}
		parsed := extract.ParseSyslog(data, e.TS, &g.msg)
		keep := true
		b := ar.beginEVs(e, s.distinct)
		for k := range s.fields {
			var v wire.Value
			found := false
			if parsed {
				v, found = g.value(&s.fields[k])
			}
			if !s.apply(&b, k, v, found, ar) {
				keep = false
				break
			}
		}
		ar.endEVs(&b, keep)
		if keep {
			if n != i {
				ents[n] = ents[i]
			}
			n++
		}
	}
	return n, nil
}

func (g *syslogStage) value(f *syslogField) (wire.Value, bool) {
	m := &g.msg
	num := func(v int) (wire.Value, bool) {
		if v < 0 {
			return wire.Value{}, false
		}
		return wire.IntValue(int64(v)), true
	}
	str := func(b []byte) (wire.Value, bool) {
		if b == nil {
			return wire.Value{}, false
		}
		return wire.StringValue(b), true
	}
	switch f.kind {
	case sysFacility:
		return num(m.Facility)
	case sysSeverity:
		return num(m.Severity)
	case sysPriority:
		return num(m.Priority)
	case sysVersion:
		if !m.RFC5424 {
			return wire.Value{}, false
		}
		return num(m.Version)
	case sysTimestamp:
		if !m.HasTS {
			return wire.Value{}, false
		}
		return wire.TSValue(m.TS), true
	case sysHostname:
		return str(m.Hostname)
	case sysAppname:
		return str(m.Appname)
	case sysProcID:
		return str(m.ProcID)
	case sysMsgID:
		return str(m.MsgID)
	case sysMessage:
		return str(m.Message)
	case sysStructuredData:
		return str(m.StructuredData)
	case sysStructuredID:
		e, _, ok := extract.NextSD(m.StructuredData, 0)
		if !ok {
			return wire.Value{}, false
		}
		return wire.StringValue(e.ID), true
	}
	val, grown, ok := extract.LookupSD(m.StructuredData, f.sdID, f.sdKey, g.ar.scratch())
	g.ar.commit(grown)
	if !ok {
		return wire.Value{}, false
	}
	return textValue(val, g.ar), true
}

func (g *syslogStage) flush() ([]wire.Entry, error) { return nil, nil }
