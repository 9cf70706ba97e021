package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/sluicehq/sluice/engine/render"
	"github.com/sluicehq/sluice/wire"
)

// entryParts are the byte ranges of a stored SearchEntry fragment
// {"TS":"…","SRC":"…","Tag":N,"Data":…,"Enumerated":[…]} (wire.AppendSearchEntry): the
// fragment's layout is fixed, so its fields are found without a JSON parse.
type entryParts struct {
	ts, src    []byte // the text inside the quotes
	tagStart   int    // index of N
	tagEnd     int    // index after N
	data       []byte // base64 text inside the quotes; nil for null
	enumStart  int    // index of `,"Enumerated":`
	enumerated []byte // the Enumerated array
}

var (
	keyTS    = []byte(`{"TS":"`)
	keySRC   = []byte(`","SRC":"`)
	keyTag   = []byte(`","Tag":`)
	keyData  = []byte(`,"Data":`)
	keyEnums = []byte(`,"Enumerated":`)
)

var errFragment = errors.New("rest: stored entry is not a SearchEntry fragment")

// splitEntry finds the parts of a stored SearchEntry fragment.
func splitEntry(f []byte, p *entryParts) error {
	if !bytes.HasPrefix(f, keyTS) {
		return errFragment
	}
	i := len(keyTS)
	j := bytes.Index(f[i:], keySRC)
	if j < 0 {
		return errFragment
	}
	p.ts = f[i : i+j]
	i += j + len(keySRC)
	j = bytes.Index(f[i:], keyTag)
	if j < 0 {
		return errFragment
	}
	p.src = f[i : i+j]
	i += j + len(keyTag)
	p.tagStart = i
	for i < len(f) && f[i] >= '0' && f[i] <= '9' {
		i++
	}
	p.tagEnd = i
	if !bytes.HasPrefix(f[i:], keyData) {
		return errFragment
	}
	i += len(keyData)
	p.data = nil
	if i < len(f) && f[i] == '"' {
		j = bytes.IndexByte(f[i+1:], '"')
		if j < 0 {
			return errFragment
		}
		p.data = f[i+1 : i+1+j]
		i += j + 2
	} else {
		i += len("null")
	}
	if !bytes.HasPrefix(f[i:], keyEnums) || f[len(f)-1] != '}' {
		return errFragment
	}
	p.enumStart = i
	p.enumerated = f[i+len(keyEnums) : len(f)-1]
	return nil
}

// appendNamedEntry appends the fragment with its tag number replaced by the tag name, and,
// unless enumerated, without Enumerated: {"TS":…,"SRC":…,"Tag":"name","Data":…[,"Enumerated":…]}.
func appendNamedEntry(dst, f []byte, p *entryParts, tag string, enumerated bool) []byte {
	dst = append(dst, f[:p.tagStart]...)
	dst = wire.AppendString(dst, tag)
	if enumerated {
		return append(dst, f[p.tagEnd:]...)
	}
	dst = append(dst, f[p.tagEnd:p.enumStart]...)
	return append(dst, '}')
}

// appendData appends the entry's decoded data.
func appendData(dst []byte, p *entryParts) ([]byte, error) {
	if p.data == nil {
		return dst, nil
	}
	return base64.StdEncoding.AppendDecode(dst, p.data)
}

// appendCSVField appends v as an RFC 4180 field: quoted when it holds a comma, quote, CR or LF
// (or starts with a space), with quotes doubled.
func appendCSVField(dst, v []byte) []byte {
	if bytes.IndexAny(v, ",\"\r\n") < 0 && (len(v) == 0 || v[0] != ' ') {
		return append(dst, v...)
	}
	dst = append(dst, '"')
	for {
		i := bytes.IndexByte(v, '"')
		if i < 0 {
			break
		}
		dst = append(dst, v[:i+1]...)
		dst = append(dst, '"')
		v = v[i+1:]
	}
	dst = append(dst, v...)
	return append(dst, '"')
}

// encoder encodes the results of one download or export. It belongs to one request.
type encoder struct {
	format string
	cols   []string // table columns
	p      entryParts
	jp     fastjson.Parser
	cell   []byte
}

// head appends what precedes the first result of a download that starts at its beginning.
func (e *encoder) head(dst []byte, renderer string) []byte {
	switch e.format {
	case "csv", "lookupdata":
		if e.cols != nil {
			for i, c := range e.cols {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = appendCSVField(dst, []byte(c))
			}
			return append(dst, "\r\n"...)
		}
		return append(dst, "timestamp,source,tag,data\r\n"...)
	case "pcap":
		// libpcap global header: magic (µs), version 2.4, GMT offset, accuracy, snaplen,
		// link type 1 (Ethernet).
		var h [24]byte
		binary.LittleEndian.PutUint32(h[0:], 0xa1b2c3d4)
		binary.LittleEndian.PutUint16(h[4:], 2)
		binary.LittleEndian.PutUint16(h[6:], 4)
		binary.LittleEndian.PutUint32(h[16:], 262144)
		binary.LittleEndian.PutUint32(h[20:], 1)
		return append(dst, h[:]...)
	}
	return dst
}

// entry appends one entry or table row in the encoder's format.
func (e *encoder) entry(dst []byte, rec *render.Record) ([]byte, error) {
	if e.cols != nil {
		return e.row(dst, rec)
	}
	if err := splitEntry(rec.JSON, &e.p); err != nil {
		return dst, err
	}
	var err error
	switch e.format {
	case "json", "ndjson":
		dst = appendNamedEntry(dst, rec.JSON, &e.p, rec.Tag, true)
		return append(dst, '\n'), nil
	case "archive":
		dst = appendNamedEntry(dst, rec.JSON, &e.p, rec.Tag, false)
		return append(dst, '\n'), nil
	case "text":
		dst, err = appendData(dst, &e.p)
		return append(dst, '\n'), err
	case "csv":
		dst = append(dst, e.p.ts...)
		dst = append(dst, ',')
		dst = append(dst, e.p.src...)
		dst = append(dst, ',')
		dst = appendCSVField(dst, []byte(rec.Tag))
		dst = append(dst, ',')
		e.cell, err = appendData(e.cell[:0], &e.p)
		dst = appendCSVField(dst, e.cell)
		return append(dst, "\r\n"...), err
	case "pcap":
		e.cell, err = appendData(e.cell[:0], &e.p)
		var h [16]byte
		sec, usec := rec.TS/1e9, rec.TS%1e9/1e3
		if usec < 0 {
			sec, usec = sec-1, usec+1e6
		}
		binary.LittleEndian.PutUint32(h[0:], uint32(sec))
		binary.LittleEndian.PutUint32(h[4:], uint32(usec))
		binary.LittleEndian.PutUint32(h[8:], uint32(len(e.cell)))
		binary.LittleEndian.PutUint32(h[12:], uint32(len(e.cell)))
		dst = append(dst, h[:]...)
		return append(dst, e.cell...), err
	}
	return dst, errors.New("rest: no encoder for format " + e.format)
}

// row appends one table row {"TS":…,"Row":[…]}: CSV cells, or a JSON line
// {"TS":…,"Row":{"column":"value",…}} with every column.
func (e *encoder) row(dst []byte, rec *render.Record) ([]byte, error) {
	v, err := e.jp.ParseBytes(rec.JSON)
	if err != nil {
		return dst, err
	}
	cells := v.GetArray("Row")
	switch e.format {
	case "csv", "lookupdata":
		for i := range e.cols {
			if i > 0 {
				dst = append(dst, ',')
			}
			if i < len(cells) {
				dst = appendCSVField(dst, cells[i].GetStringBytes())
			}
		}
		return append(dst, "\r\n"...), nil
	default: // json, archive, ndjson
		dst = append(dst, `{"TS":`...)
		dst = wire.AppendUnixNano(dst, rec.TS)
		dst = append(dst, `,"Row":{`...)
		for i, c := range e.cols {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = wire.AppendString(dst, c)
			dst = append(dst, ':')
			if i < len(cells) {
				dst = wire.AppendString(dst, cells[i].GetStringBytes())
			} else {
				dst = append(dst, `""`...)
			}
		}
		return append(dst, "}}\n"...), nil
	}
}

// condensedCSV appends a chart page's Entries (ChartableValueSet) as CSV rows
// TS,value…; head writes the header TS,name… first.
func condensedCSV(dst []byte, entries *fastjson.Value, head bool) []byte {
	if head {
		dst = append(dst, "timestamp"...)
		for _, n := range entries.GetArray("Names") {
			dst = append(dst, ',')
			dst = appendCSVField(dst, n.GetStringBytes())
		}
		dst = append(dst, "\r\n"...)
	}
	for _, v := range entries.GetArray("Values") {
		dst = append(dst, v.GetStringBytes("TS")...)
		for _, d := range v.GetArray("Data") {
			dst = append(dst, ',')
			if d.Type() == fastjson.TypeNumber {
				dst = strconv.AppendFloat(dst, d.GetFloat64(), 'g', -1, 64)
			}
		}
		dst = append(dst, "\r\n"...)
	}
	return dst
}
