package extract

import (
	"github.com/sluicehq/sluice/wire"
)

// Syslog holds the fields of one syslog message, parsed in place by ParseSyslog. Byte fields
// point into the parsed data and are nil when the field is absent or the NILVALUE "-".
type Syslog struct {
	RFC5424  bool // true for RFC 5424, false for RFC 3164 (BSD) messages
	Priority int  // PRI value; -1 when the message has no <PRI>
	Facility int  // Priority / 8; -1 when absent
	Severity int  // Priority % 8; -1 when absent
	Version  int  // RFC 5424 VERSION; 0 for RFC 3164

	Timestamp []byte // the timestamp as written
	TS        int64  // the timestamp in Unix nanoseconds, when HasTS
	HasTS     bool

	Hostname       []byte
	Appname        []byte
	ProcID         []byte
	MsgID          []byte
	StructuredData []byte // the whole STRUCTURED-DATA part, e.g. `[ex@32473 iut="3"]`
	Message        []byte
}

// ParseSyslog parses data as an RFC 5424 message, falling back to RFC 3164. RFC 3164
// timestamps carry no year: ref (Unix nanoseconds, usually the entry timestamp) supplies it by
// wire.ScanRFC3164's rule, the one ingest uses too (the latest year that does not put the
// timestamp more than wire.SyslogFutureSlack after ref). It reports false when
// data is neither form. It does not allocate.
func ParseSyslog(data []byte, ref int64, s *Syslog) bool {
	return parseSyslog(data, ref, s, true)
}

// ParseSyslogFields is ParseSyslog for a caller that does not read TS: an RFC 5424 timestamp
// is delimited (Timestamp) but not converted, so HasTS stays false for those messages.
//
// NOTE: the conversion was a sixth of the syslog module's time for queries that never ask for
// the Timestamp field.
func ParseSyslogFields(data []byte, ref int64, s *Syslog) bool {
	return parseSyslog(data, ref, s, false)
}

func parseSyslog(data []byte, ref int64, s *Syslog, convertTS bool) bool {
	*s = Syslog{Priority: -1, Facility: -1, Severity: -1}
	i := 0
	if len(data) > 2 && data[0] == '<' {
		j := 1
		pri := 0
		for j < len(data) && j <= 4 && data[j] >= '0' && data[j] <= '9' {
			pri = pri*10 + int(data[j]-'0')
			j++
		}
		if j == 1 || j >= len(data) || data[j] != '>' || pri > 191 {
			return false
		}
		s.Priority, s.Facility, s.Severity = pri, pri/8, pri%8
		i = j + 1
		// RFC 5424: VERSION SP
		k := i
		ver := 0
		for k < len(data) && k-i < 3 && data[k] >= '0' && data[k] <= '9' && (k > i || data[k] != '0') {
			ver = ver*10 + int(data[k]-'0')
			k++
		}
		if k > i && k < len(data) && data[k] == ' ' {
			s.RFC5424, s.Version = true, ver
			return parse5424(data, k+1, s, convertTS)
		}
	}
	return parse3164(data, i, ref, s)
}

// field returns the space-terminated token at data[i:] and the index after its space.
func token(data []byte, i int) (tok []byte, next int, ok bool) {
	j := i
	for j < len(data) && data[j] != ' ' {
		j++
	}
	if j == i {
		return nil, i, false
	}
	next = j
	if j < len(data) {
		next = j + 1
	}
	return data[i:j], next, true
}

func nilValue(b []byte) []byte {
	if len(b) == 1 && b[0] == '-' {
		return nil
	}
	return b
}

func parse5424(data []byte, i int, s *Syslog, convertTS bool) bool {
	var ok bool
	var tok []byte
	if tok, i, ok = token(data, i); !ok {
		return false
	}
	if tok = nilValue(tok); tok != nil {
		s.Timestamp = tok
		if convertTS {
			s.TS, s.HasTS = ParseRFC3339(tok)
		}
	}
	fields := [...]*[]byte{&s.Hostname, &s.Appname, &s.ProcID, &s.MsgID}
	for _, f := range fields {
		if tok, i, ok = token(data, i); !ok {
			return true // best effort: later fields are absent
		}
		*f = nilValue(tok)
	}
	if i >= len(data) {
		return true
	}
	if data[i] == '-' {
		i++
	} else if data[i] == '[' {
		end, ok := skipSD(data, i)
		if !ok {
			return true
		}
		s.StructuredData = data[i:end]
		i = end
	} else {
		return true
	}
	if i < len(data) && data[i] == ' ' {
		i++
	}
	if i < len(data) {
		msg := data[i:]
		if len(msg) >= 3 && msg[0] == 0xEF && msg[1] == 0xBB && msg[2] == 0xBF {
			msg = msg[3:] // BOM
		}
		s.Message = msg
	}
	return true
}

// skipSD returns the end of a sequence of SD-ELEMENTs starting at data[i] == '['.
func skipSD(data []byte, i int) (int, bool) {
	for i < len(data) && data[i] == '[' {
		i++
		inQuote := false
		for {
			if i >= len(data) {
				return 0, false
			}
			c := data[i]
			if inQuote {
				if c == '\\' {
					i += 2
					continue
				}
				if c == '"' {
					inQuote = false
				}
			} else if c == '"' {
				inQuote = true
			} else if c == ']' {
				i++
				break
			}
			i++
		}
	}
	return i, true
}

// parse3164 parses `TIMESTAMP HOSTNAME TAG[PID]: MSG` with an optional ISO timestamp and an
// optional hostname.
func parse3164(data []byte, i int, ref int64, s *Syslog) bool {
	// Timestamp: "Mmm dd hh:mm:ss" (dd space padded, optionally with a year or a fraction) or
	// an RFC 3339 time; wire holds the parsers.
	if sec, nsec, end, ok := wire.ScanRFC3164(data, i, ref); ok {
		s.Timestamp = data[i:end]
		s.TS, s.HasTS = sec*1e9+nsec, true
		i = end
	} else {
		tok, _, ok := token(data, i)
		if !ok {
			return false
		}
		ts, ok := ParseRFC3339(tok)
		if !ok {
			return false
		}
		s.Timestamp, s.TS, s.HasTS = tok, ts, true
		i += len(tok)
	}
	if i >= len(data) || data[i] != ' ' {
		return i == len(data)
	}
	i++
	for i < len(data) && data[i] == ' ' {
		i++
	}
	// HOSTNAME unless the next token already looks like the tag ("app[12]:" or "app:").
	tok, next, ok := token(data, i)
	if !ok {
		return true
	}
	if last := tok[len(tok)-1]; last != ':' && !hasByte(tok, '[') {
		s.Hostname = tok
		i = next
	}
	// TAG: up to '[', ':' or space.
	j := i
	for j < len(data) && data[j] != '[' && data[j] != ':' && data[j] != ' ' {
		j++
	}
	if j > i && j < len(data) && (data[j] == '[' || data[j] == ':') {
		s.Appname = data[i:j]
		if data[j] == '[' {
			k := j + 1
			for k < len(data) && data[k] != ']' && data[k] != ' ' {
				k++
			}
			if k < len(data) && data[k] == ']' {
				s.ProcID = data[j+1 : k]
				j = k + 1
			}
		}
		if j < len(data) && data[j] == ':' {
			j++
		}
		i = j
		if i < len(data) && data[i] == ' ' {
			i++
		}
	}
	if i < len(data) {
		s.Message = data[i:]
	}
	return true
}

// SDElement is one structured-data element: its ID and raw parameters.
type SDElement struct {
	ID     []byte
	Params []byte // `name="value" ...`, still escaped
}

// NextSD returns the structured-data element at sd[i:] (sd as in Syslog.StructuredData) and
// the index of the next one.
func NextSD(sd []byte, i int) (e SDElement, next int, ok bool) {
	if i >= len(sd) || sd[i] != '[' {
		return e, i, false
	}
	end, ok := skipSD(sd[:len(sd):len(sd)], i)
	if !ok {
		return e, i, false
	}
	// skipSD consumes consecutive elements; find the end of this one only.
	j := i + 1
	for j < len(sd) && sd[j] != ' ' && sd[j] != ']' {
		j++
	}
	e.ID = sd[i+1 : j]
	k := j
	inQuote := false
	for k < end {
		c := sd[k]
		if inQuote {
			if c == '\\' {
				k += 2
				continue
			}
			if c == '"' {
				inQuote = false
			}
		} else if c == '"' {
			inQuote = true
		} else if c == ']' {
			break
		}
		k++
	}
	if k >= len(sd) {
		return e, i, false
	}
	if j < k {
		e.Params = sd[j:k]
	}
	return e, k + 1, true
}

// NextSDParam returns the parameter at params[i:]: its name and raw (escaped) value.
func NextSDParam(params []byte, i int) (name, raw []byte, next int, ok bool) {
	for i < len(params) && params[i] == ' ' {
		i++
	}
	j := i
	for j < len(params) && params[j] != '=' && params[j] != ' ' {
		j++
	}
	if j == i || j+1 >= len(params) || params[j] != '=' || params[j+1] != '"' {
		return nil, nil, i, false
	}
	name = params[i:j]
	k := j + 2
	for k < len(params) && params[k] != '"' {
		if params[k] == '\\' {
			k++
		}
		k++
	}
	if k >= len(params) {
		return nil, nil, i, false
	}
	return name, params[j+2 : k], k + 1, true
}

// AppendSDValue appends a structured-data parameter value with its escapes (\" \\ \])
// removed (RFC 5424 §6.3.3).
func AppendSDValue(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c == '\\' && i+1 < len(raw) && (raw[i+1] == '"' || raw[i+1] == '\\' || raw[i+1] == ']') {
			i++
			c = raw[i]
		}
		dst = append(dst, c)
	}
	return dst
}

// LookupSD finds parameter key in the structured data sd, in the element with the given ID, or
// in any element when id is empty. Escaped values are unescaped into scratch.
func LookupSD(sd []byte, id, key string, scratch []byte) (val []byte, scratchOut []byte, ok bool) {
	for i := 0; ; {
		e, next, more := NextSD(sd, i)
		if !more {
			return nil, scratch, false
		}
		i = next
		if id != "" && string(e.ID) != id {
			continue
		}
		for j := 0; ; {
			name, raw, nj, more := NextSDParam(e.Params, j)
			if !more {
				break
			}
			j = nj
			if string(name) == key {
				if !hasByte(raw, '\\') {
					return raw, scratch, true
				}
				start := len(scratch)
				scratch = AppendSDValue(scratch, raw)
				return scratch[start:len(scratch):len(scratch)], scratch, true
			}
		}
	}
}
