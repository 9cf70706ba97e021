package store

import (
	"slices"
	"testing"
)

// tagCopyLog is a version 2 tag log of six tags over three commits.
func tagCopyLog() ([]byte, []string) {
	b := append([]byte(nil), tagLogMagic...)
	names := []string{"syslog", "a", "netflow.v5", "web-access", "x", "auth"}
	for i, n := range names {
		b = appendTagRecord(b, n, uint16(i), uint64(1+i/2))
	}
	return b, names
}

// FuzzTagLogCopies: whatever is written over one copy of the tag log (at any offset, and
// optionally cut), merging it with the intact other copy never panics and yields every tag
// with its ID: one damaged copy loses no name.
func FuzzTagLogCopies(f *testing.F) {
	log, _ := tagCopyLog()
	f.Add(uint16(10), []byte{0xff}, uint16(0), false)
	f.Add(uint16(0), []byte("SLTAGS9\n"), uint16(0), true)
	f.Add(uint16(30), make([]byte, 40), uint16(0), false)
	f.Add(uint16(0), []byte{}, uint16(20), true)
	f.Add(uint16(uint16(len(log))), []byte("junk after the end"), uint16(0), false)
	f.Fuzz(func(t *testing.T, at uint16, patch []byte, cut uint16, second bool) {
		orig, names := tagCopyLog()
		bad := append([]byte(nil), orig...)
		off := int(at) % (len(bad) + 1)
		if end := off + len(patch); end > len(bad) {
			bad = append(bad, make([]byte, end-len(bad))...)
		}
		copy(bad[off:], patch)
		if c := int(cut) % (len(bad) + 1); c > 0 {
			bad = bad[:len(bad)-c]
		}
		a, b := bad, orig
		if second {
			a, b = orig, bad
		}
		m, err := mergeTagLogs(a, b, 3)
		if err != nil {
			t.Fatalf("merge with one intact copy failed: %v", err)
		}
		if !slices.Equal(m.tl.names, names) || len(m.tl.damaged) != 0 {
			t.Fatalf("names %q (damaged %v), want %q", m.tl.names, m.tl.damaged, names)
		}
		if string(m.good) != string(orig) {
			t.Fatalf("good log differs from the original")
		}
	})
}
