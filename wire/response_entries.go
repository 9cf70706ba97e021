package wire

import "strconv"

// AppendSearchEntry appends e as a SearchEntry object (PROTOCOL.md §5.2) with tag as its
// search tag number: {"TS":…,"SRC":…,"Tag":…,"Data":…,"Enumerated":[…]}. SRC is the
// address text without zone ("" when unknown), Data is padded base64 (null for a nil body)
// and Enumerated is [] when there are no values.
func AppendSearchEntry(dst []byte, e *Entry, tag uint16) []byte {
	dst = append(dst, `{"TS":`...)
	dst = AppendUnixNano(dst, e.TS)
	dst = append(dst, `,"SRC":"`...)
	if e.SRC.IsValid() {
		dst = e.SRC.WithZone("").Unmap().AppendTo(dst)
	}
	dst = append(dst, `","Tag":`...)
	dst = strconv.AppendUint(dst, uint64(tag), 10)
	if e.Data == nil {
		dst = append(dst, `,"Data":null`...)
	} else {
		dst = append(dst, `,"Data":`...)
		dst = appendBase64Fast(dst, e.Data)
	}
	dst = append(dst, `,"Enumerated":`...)
	dst = AppendEnumerated(dst, e.EVs)
	return append(dst, '}')
}

// AppendSearchEntries appends entries as a JSON array of SearchEntry, each with its own Tag
// as the tag number; no entries give [].
func AppendSearchEntries(dst []byte, entries []Entry) []byte {
	dst = append(dst, '[')
	for i := range entries {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendSearchEntry(dst, &entries[i], entries[i].Tag)
	}
	return append(dst, ']')
}

// EntryEncoder encodes SearchEntry objects exactly as AppendSearchEntry does, remembering the
// date text of the last day it wrote so that consecutive entries of one day skip the calendar
// arithmetic. The zero value is ready; an EntryEncoder must not be shared between goroutines.
type EntryEncoder struct {
	day     int64    // days since 1970-01-01 of date
	date    [11]byte // "2006-01-02T"
	hasDate bool
}

// AppendSearchEntry is AppendSearchEntry with the encoder's date cache.
func (enc *EntryEncoder) AppendSearchEntry(dst []byte, e *Entry, tag uint16) []byte {
	dst = append(dst, `{"TS":"`...)
	dst = enc.appendTS(dst, e.TS)
	dst = append(dst, `","SRC":"`...)
	if e.SRC.IsValid() {
		dst = e.SRC.WithZone("").Unmap().AppendTo(dst)
	}
	dst = append(dst, `","Tag":`...)
	dst = strconv.AppendUint(dst, uint64(tag), 10)
	if e.Data == nil {
		dst = append(dst, `,"Data":null`...)
	} else {
		dst = append(dst, `,"Data":`...)
		dst = appendBase64Fast(dst, e.Data)
	}
	dst = append(dst, `,"Enumerated":`...)
	dst = AppendEnumerated(dst, e.EVs)
	return append(dst, '}')
}

// appendTS appends the unquoted UTC RFC 3339 text of Unix nanoseconds ns, as AppendRFC3339
// (int64 nanoseconds always lie within years 1677–2262, so no clamping applies).
func (enc *EntryEncoder) appendTS(dst []byte, ns int64) []byte {
	sec, nsec := splitNano(ns)
	day, rem := sec/86400, sec%86400
	if rem < 0 {
		rem += 86400
		day--
	}
	if !enc.hasDate || day != enc.day {
		y, m, d := civil(day)
		enc.date = [11]byte{byte('0' + y/1000), byte('0' + y/100%10), byte('0' + y/10%10), byte('0' + y%10), '-',
			byte('0' + m/10), byte('0' + m%10), '-', byte('0' + d/10), byte('0' + d%10), 'T'}
		enc.day, enc.hasDate = day, true
	}
	h, mi, s := rem/3600, rem%3600/60, rem%60
	dst = append(dst, enc.date[:]...)
	dst = append(dst, byte('0'+h/10), byte('0'+h%10), ':', byte('0'+mi/10), byte('0'+mi%10), ':', byte('0'+s/10), byte('0'+s%10))
	return append(appendFraction(dst, int32(nsec)), 'Z')
}
