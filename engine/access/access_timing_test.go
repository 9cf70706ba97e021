package access

import (
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkAdmit is the cost every REST call and websocket upgrade pays: Host and Origin
// rules, then a SHA-256 of the offered token compared with every configured hash.
func BenchmarkAdmit(b *testing.B) {
	for _, n := range []int{1, 100} {
		b.Run(strconv.Itoa(n)+"principals", func(b *testing.B) {
			cfg := Config{}
			for i := range n {
				cfg.Principals = append(cfg.Principals, PrincipalConfig{Name: "p" + strconv.Itoa(i), UID: int32(i + 1),
					TokenHash: HashToken("token-" + strconv.Itoa(i))})
			}
			pol, err := NewPolicy(cfg)
			if err != nil {
				b.Fatal(err)
			}
			r := httptest.NewRequest("POST", "http://127.0.0.1:8012/api/ingest", nil)
			r.Header.Set("Origin", "http://127.0.0.1:8012")
			r.Header.Set("Authorization", "Bearer token-0")
			b.ReportAllocs()
			b.SetBytes(int64(len("token-0")))
			for b.Loop() {
				p, ref := pol.Admit(r)
				if ref != nil || p.Name != "p0" {
					b.Fatal(ref)
				}
			}
		})
	}
}
