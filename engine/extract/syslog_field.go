package extract

import "strings"

// SyslogFieldKind is a field of a parsed syslog message (Syslog).
type SyslogFieldKind uint8

// The syslog fields, by the names ParseSyslogField reads.
const (
	SyslogFacility SyslogFieldKind = iota
	SyslogSeverity
	SyslogPriority
	SyslogVersion
	SyslogTimestamp
	SyslogHostname
	SyslogAppname
	SyslogProcID
	SyslogMsgID
	SyslogMessage
	SyslogStructuredData
	SyslogStructuredID
	SyslogStructured // one structured-data parameter: SDID (optional) and SDKey
)

// SyslogField is a parsed syslog field name.
type SyslogField struct {
	Kind  SyslogFieldKind
	SDID  string // Structured[ID].KEY: the element ID ("" for any element)
	SDKey string // Structured.KEY and Structured[ID].KEY: the parameter name
}

var syslogFieldNames = map[string]SyslogFieldKind{
	"Facility": SyslogFacility, "Severity": SyslogSeverity, "Priority": SyslogPriority, "Version": SyslogVersion,
	"Timestamp": SyslogTimestamp, "Hostname": SyslogHostname, "Appname": SyslogAppname, "ProcID": SyslogProcID,
	"MsgID": SyslogMsgID, "Message": SyslogMessage, "StructuredData": SyslogStructuredData, "StructuredID": SyslogStructuredID,
}

// ParseSyslogField parses a syslog field name: Facility, Severity, Priority, Version,
// Timestamp, Hostname, Appname, ProcID, MsgID, Message, StructuredData, StructuredID, or a
// structured parameter as Structured.KEY or Structured[ID].KEY. name is the field's default
// name (KEY for a structured parameter); ok is false for an unknown field.
func ParseSyslogField(path string) (f SyslogField, name string, ok bool) {
	if k, ok := syslogFieldNames[path]; ok {
		return SyslogField{Kind: k}, path, true
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
		f.SDID = rest[1:end]
		rest = rest[end+1:]
	}
	key, ok := strings.CutPrefix(rest, ".")
	if !ok || key == "" {
		return f, "", false
	}
	f.Kind, f.SDKey = SyslogStructured, key
	return f, key, true
}
