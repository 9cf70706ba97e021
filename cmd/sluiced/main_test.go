package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func none(string) (string, bool) { return "", false }

// addToken runs `sluiced token add` with args and returns the printed token.
func addToken(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	if err := runToken(append([]string{"add"}, args...), &out); err != nil {
		t.Fatalf("token add %q: %v", args, err)
	}
	tok := strings.TrimSpace(out.String())
	if !strings.HasPrefix(tok, "sluice_") || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("token add printed %q", out.String())
	}
	return tok
}

func TestTokenAdd(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sluiced.json")
	os.WriteFile(file, []byte(`{"demo":false,"listen":"127.0.0.1:8012"}`), 0o644)
	alice := addToken(t, "alice", "-gid", "100", "-config", file)
	bob := addToken(t, "-config", file, "-admin", "bob") // flags before the name
	carol := addToken(t, "carol", "-uid", "77", "-gid", "100", "-gid", "300", "-config", file)
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{alice, bob, carol} {
		if bytes.Contains(b, []byte(tok)) || bytes.Contains(b, []byte(strings.TrimPrefix(tok, "sluice_"))) {
			t.Fatalf("the config holds a token in clear:\n%s", b)
		}
	}
	if st, _ := os.Stat(file); st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", st.Mode().Perm())
	}
	s, err := loadSettings([]string{"-config", file}, none)
	if err != nil {
		t.Fatalf("the written config does not load: %v\n%s", err, b)
	}
	if s.Demo || s.Listen != "127.0.0.1:8012" {
		t.Errorf("other keys lost: %+v", s)
	}
	got, _ := json.Marshal(s.Principals)
	for _, want := range []string{`"name":"alice","uid":1,"gids":[100],"token_hash":"sha256:`,
		`"name":"bob","uid":2,"admin":true,"token_hash":"sha256:`,
		`"name":"carol","uid":77,"gids":[100,300],"token_hash":"sha256:`} {
		if !strings.Contains(string(got), want) {
			t.Errorf("principals %s lack %s", got, want)
		}
	}
	for _, args := range [][]string{
		{"add", "alice", "-config", file},              // exists
		{"add", "dave", "-uid", "77", "-config", file}, // uid taken
		{"add", "local", "-config", file},              // reserved
		{"add", "-config", file},                       // no name
		{"add", "dave", "-gid", "x", "-config", file},
		{"remove", "alice"},
		{"add", "dave", "extra", "-config", file},
	} {
		if err := runToken(args, io.Discard); err == nil {
			t.Errorf("token %q succeeded", args)
		}
	}
	if b2, _ := os.ReadFile(file); !bytes.Equal(b, b2) {
		t.Error("a refused token add changed the config")
	}
	// A clear-text token in the config is refused, not silently ignored.
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"principals":[{"name":"x","uid":1,"token":"secret"}]}`), 0o600)
	if _, err := loadSettings([]string{"-config", bad}, none); err == nil || !strings.Contains(err.Error(), `unknown field "token"`) {
		t.Errorf("config with a clear token: %v", err)
	}
}

// writeCert writes a fresh self-signed ECDSA certificate for 127.0.0.1 and localhost into dir
// and returns the file names and the certificate pool that trusts it.
func writeCert(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sluice test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startSluiced runs serve with s and returns its address; the server stops with the test.
func startSluiced(t *testing.T, s settings) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	addrc := make(chan string, 1)
	errc := make(chan error, 1)
	go func() { errc <- serve(ctx, s, func(a string) { addrc <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	select {
	case a := <-addrc:
		return a
	case err := <-errc:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("sluiced did not start")
	}
	return ""
}

// TestTLS serves https and wss from tls_cert/tls_key with a generated certificate: a principal
// opens the search socket over wss and reads /metrics over https; plain HTTP on the port fails.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sluiced.json")
	alice := addToken(t, "alice", "-config", file)
	certFile, keyFile, pool := writeCert(t, dir)
	env := map[string]string{"SLUICE_TLS_KEY": keyFile} // the key from the environment, the cert from a flag
	s, err := loadSettings([]string{"-config", file, "-listen", "127.0.0.1:0", "-data", filepath.Join(dir, "data"),
		"-demo=false", "-log-level", "warn", "-tls-cert", certFile}, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	addr := startSluiced(t, s)
	tlsc := &tls.Config{RootCAs: pool}

	d := websocket.Dialer{TLSClientConfig: tlsc, HandshakeTimeout: 5 * time.Second, Subprotocols: []string{alice}}
	conn, resp, err := d.Dial("wss://"+addr+"/api/ws/search", nil)
	if err != nil {
		t.Fatalf("wss dial: %v %+v", err, resp)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if err := conn.WriteJSON(map[string]any{"Subs": []string{"PONG", "search"}}); err != nil {
		t.Fatal(err)
	}
	var ack struct{ Resp string }
	if err := conn.ReadJSON(&ack); err != nil || ack.Resp != "ACK" {
		t.Fatalf("negotiation over wss: %v %+v", err, ack)
	}
	conn.WriteJSON(map[string]any{"type": "PONG", "data": map[string]any{}})
	var pong struct{ Type string }
	if err := conn.ReadJSON(&pong); err != nil || pong.Type != "PONG" {
		t.Fatalf("PONG over wss: %v %+v", err, pong)
	}
	d.Subprotocols = []string{"wrong"}
	if _, resp, err := d.Dial("wss://"+addr+"/api/ws/search", nil); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("wss with a wrong token: %v %+v", err, resp)
	}

	cl := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsc}, Timeout: 5 * time.Second}
	defer cl.CloseIdleConnections()
	get := func(hdr string) int {
		req, _ := http.NewRequest("GET", "https://"+addr+"/metrics", nil)
		if hdr != "" {
			req.Header.Set("Authorization", hdr)
		}
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get("Bearer " + alice); code != 200 {
		t.Fatalf("https /metrics with a token: %d", code)
	}
	if code := get(""); code != 401 {
		t.Fatalf("https /metrics without a token: %d", code)
	}
	// The console's login over https: the session cookie is Secure, and it authenticates a
	// wss upgrade that carries the page's Origin.
	login, _ := http.NewRequest("POST", "https://"+addr+"/login", strings.NewReader("token="+alice))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	login.Header.Set("Origin", "https://"+addr)
	cl.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	lresp, err := cl.Do(login)
	if err != nil {
		t.Fatal(err)
	}
	lresp.Body.Close()
	cs := lresp.Cookies()
	if lresp.StatusCode != http.StatusSeeOther || len(cs) != 1 || !cs[0].Secure || !cs[0].HttpOnly {
		t.Fatalf("https POST /login: %d cookies %+v, want 303 and one Secure HttpOnly cookie", lresp.StatusCode, cs)
	}
	d.Subprotocols = nil
	cconn, cresp, err := d.Dial("wss://"+addr+"/api/ws/search", http.Header{"Cookie": {cs[0].Name + "=" + cs[0].Value}, "Origin": {"https://" + addr}})
	if err != nil {
		t.Fatalf("wss with the session cookie: %v %+v", err, cresp)
	}
	cconn.Close()

	// Plain HTTP to the TLS port gets no service.
	resp, err = (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/metrics")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Fatal("plain HTTP served on the TLS port")
		}
	}
}

// TestPlainTCPRefused: with principals, sluiced refuses to listen off loopback without TLS
// unless allow_insecure.
func TestPlainTCPRefused(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sluiced.json")
	addToken(t, "alice", "-config", file)
	s, err := loadSettings([]string{"-config", file, "-listen", "0.0.0.0:0", "-data", filepath.Join(dir, "data"), "-demo=false"}, none)
	if err != nil {
		t.Fatal(err)
	}
	err = serve(context.Background(), s, nil)
	if err == nil || !strings.Contains(err.Error(), "over plain TCP with principals") {
		t.Fatalf("serve off loopback without TLS: %v", err)
	}
	if _, err := loadSettings([]string{"-tls-cert", "x"}, none); err == nil {
		t.Fatal("tls_cert without tls_key accepted")
	}
}

// sluiced gives the Go runtime a soft memory limit of the memory budget plus the overhead,
// unless GOMEMLIMIT is set.
func TestSetMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(old)
	noEnv := func(string) (string, bool) { return "", false }
	if got := setMemoryLimit(settings{MemoryBudgetMB: 256}, noEnv); got != (256+64)<<20 || debug.SetMemoryLimit(-1) != got {
		t.Fatalf("limit %d, want 320 MiB", got)
	}
	if got := setMemoryLimit(settings{MemoryOverheadMB: 100}, noEnv); got != (4096+100)<<20 {
		t.Fatalf("default budget: limit %d", got)
	}
	withEnv := func(k string) (string, bool) { return "1GiB", k == "GOMEMLIMIT" }
	if got := setMemoryLimit(settings{MemoryBudgetMB: 256}, withEnv); got != 0 {
		t.Fatalf("GOMEMLIMIT set: limit %d, want none", got)
	}
}
