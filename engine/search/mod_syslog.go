package search

import (
	"strconv"

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
	wantTS bool // a field is Timestamp, so RFC 5424 times are converted
}

type syslogField = extract.SyslogField

const (
	sysFacility       = extract.SyslogFacility
	sysSeverity       = extract.SyslogSeverity
	sysPriority       = extract.SyslogPriority
	sysVersion        = extract.SyslogVersion
	sysTimestamp      = extract.SyslogTimestamp
	sysHostname       = extract.SyslogHostname
	sysAppname        = extract.SyslogAppname
	sysProcID         = extract.SyslogProcID
	sysMsgID          = extract.SyslogMsgID
	sysMessage        = extract.SyslogMessage
	sysStructuredData = extract.SyslogStructuredData
	sysStructuredID   = extract.SyslogStructuredID
)

func parseSyslog(p *modParser) (moduleImpl, *ParseError) {
	s := &syslogSpec{}
	bad := ""
	var perr *ParseError
	s.extractCommon, perr = p.extractCommon(func(path string) string {
		f, name, ok := extract.ParseSyslogField(path)
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
	for _, f := range s.fields {
		s.wantTS = s.wantTS || f.Kind == sysTimestamp
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
	return keepEntries(ents, g.s.field, g.ar, g), nil
}

func (g *syslogStage) keep(e *wire.Entry, data []byte) bool {
	s, ar := g.s, g.ar
	var parsed bool
	if s.wantTS {
		parsed = extract.ParseSyslog(data, e.TS, &g.msg)
	} else {
		parsed = extract.ParseSyslogFields(data, e.TS, &g.msg)
	}
	keep := true
	b := ar.beginEVs(e, s.distinct)
	for k := range s.fields {
		var v wire.Value
		found := parsed && g.value(&s.fields[k], &v)
		if !s.apply(&b, k, &v, found, ar) {
			keep = false
			break
		}
	}
	ar.endEVs(&b, keep)
	return keep
}

// value sets *v to the field f of the parsed message and reports whether it is present.
func (g *syslogStage) value(f *syslogField, v *wire.Value) bool {
	m := &g.msg
	num := func(n int) bool {
		if n < 0 {
			return false
		}
		*v = wire.IntValue(int64(n))
		return true
	}
	str := func(b []byte) bool {
		if b == nil {
			return false
		}
		*v = wire.StringValue(b)
		return true
	}
	switch f.Kind {
	case sysFacility:
		return num(m.Facility)
	case sysSeverity:
		return num(m.Severity)
	case sysPriority:
		return num(m.Priority)
	case sysVersion:
		return m.RFC5424 && num(m.Version)
	case sysTimestamp:
		if !m.HasTS {
			return false
		}
		*v = wire.TSValue(m.TS)
		return true
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
			return false
		}
		*v = wire.StringValue(e.ID)
		return true
	}
	val, grown, ok := extract.LookupSD(m.StructuredData, f.SDID, f.SDKey, g.ar.scratch())
	g.ar.commit(grown)
	if !ok {
		return false
	}
	*v = textValue(val, g.ar)
	return true
}

func (g *syslogStage) flush() ([]wire.Entry, error) { return nil, nil }
