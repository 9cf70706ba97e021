package wire

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

func TestAppendBase64Fast(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for n := 0; n < 200; n++ {
		for range 20 {
			src := make([]byte, n)
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
			want := `"` + base64.StdEncoding.EncodeToString(src) + `"`
			prefix := []byte("xy")
			if got := appendBase64Fast(prefix, src); string(got) != "xy"+want {
				t.Fatalf("len %d: %s, want %s", n, got, want)
			}
		}
	}
	if got := appendBase64Fast(nil, nil); string(got) != `""` {
		t.Fatal(string(got))
	}
}

func FuzzAppendBase64Fast(f *testing.F) {
	f.Add([]byte("Nov 21 10:00:01 gw01 sshd"))
	f.Add([]byte{0xff, 0xfe})
	f.Fuzz(func(t *testing.T, src []byte) {
		if got, want := appendBase64Fast(nil, src), AppendBase64(nil, src); !bytes.Equal(got, want) {
			t.Fatalf("%x: %s, want %s", src, got, want)
		}
	})
}

func BenchmarkAppendBase64(b *testing.B) {
	src := bytes.Repeat([]byte("<34>1 2024-05-01T10:00:00Z gw01 sshd 4121 - Accepted"), 3)
	dst := make([]byte, 0, 1024)
	b.Run("fast", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = appendBase64Fast(dst[:0], src)
		}
	})
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = AppendBase64(dst[:0], src)
		}
	})
}

func TestEntryEncoderMatchesAppendSearchEntry(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	var enc EntryEncoder
	ts := []int64{0, -1, 1, 86399999999999, 86400e9, -86400e9, -86400e9 - 1, 1 << 62, -1 << 62, 9223372036854775807, -9223372036854775808}
	for range 5000 {
		ts = append(ts, int64(rng.Uint64()))
		ts = append(ts, ts[len(ts)-1]+int64(rng.IntN(3e9))) // often the same day
	}
	for _, x := range ts {
		e := Entry{TS: x, Data: []byte{byte(x)}, EVs: []EV{{Name: "n", Value: IntValue(x)}}}
		want := AppendSearchEntry(nil, &e, 3)
		if got := enc.AppendSearchEntry(nil, &e, 3); !bytes.Equal(got, want) {
			t.Fatalf("%d:\n got %s\nwant %s", x, got, want)
		}
	}
}
