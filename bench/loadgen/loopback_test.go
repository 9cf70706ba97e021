package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestCheckLoopbackSuccess(t *testing.T) {
	f := func(target string) {
		t.Helper()
		if err := CheckLoopback(target); err != nil {
			t.Fatalf("CheckLoopback(%q): %v", target, err)
		}
	}
	f("127.0.0.1:8080")
	f("127.5.6.7:1")
	f("[::1]:8080")
	f("::1")
	f("127.0.0.1")
	f("ws://127.0.0.1:8080/api/ws/stats")
	f("ws://[::1]:9/x")
	f("http://127.0.0.1/metrics")
	f("localhost:8080")
	f("ws://localhost:8080/api/ws/search")
	f("[::ffff:127.0.0.1]:80")
}

func TestCheckLoopbackFailure(t *testing.T) {
	f := func(target, wantErr string) {
		t.Helper()
		err := CheckLoopback(target)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("CheckLoopback(%q) = %v, want an error containing %q", target, err, wantErr)
		}
	}
	f("10.0.0.1:8080", "refusing non-loopback")
	f("192.168.1.20:80", "refusing non-loopback")
	f("ws://8.8.8.8/api/ws/stats", "refusing non-loopback")
	f("[2001:db8::1]:80", "refusing non-loopback")
	f("0.0.0.0:8080", "refusing non-loopback") // the unspecified address is not loopback
	f("[::]:8080", "refusing non-loopback")
	f("[::ffff:10.0.0.1]:80", "refusing non-loopback")
	f(":8080", "has no host")
	f("", "has no host")
	f("ws://%zz", "cannot parse")
}

func TestDialRefusesNonLoopback(t *testing.T) {
	start := time.Now()
	_, err := Dial(context.Background(), DialConfig{URL: "ws://203.0.113.7:80/api/ws/stats"})
	if err == nil || !strings.Contains(err.Error(), "non-loopback") {
		t.Fatalf("Dial: %v", err)
	}
	if time.Since(start) > time.Second {
		t.Fatal("Dial tried to connect before refusing")
	}
	for _, run := range []func() error{
		func() error {
			_, err := RunIdle(context.Background(), IdleConfig{Target: Target{Addr: "10.1.1.1:80"}})
			return err
		},
		func() error {
			_, err := RunStream(context.Background(), StreamConfig{Target: Target{Addr: "10.1.1.1:80"}, Search: SearchParams{Query: "x"}})
			return err
		},
		func() error {
			_, err := RunPaged(context.Background(), PagedConfig{Target: Target{Addr: "10.1.1.1:80"}, Search: SearchParams{Query: "x"}})
			return err
		},
		func() error {
			_, err := RunMixed(context.Background(), MixedConfig{IdleConfig: IdleConfig{Target: Target{Addr: "10.1.1.1:80"}}})
			return err
		},
	} {
		if err := run(); err == nil || !strings.Contains(err.Error(), "non-loopback") {
			t.Fatalf("scenario against a non-loopback target: %v", err)
		}
	}
}

func TestCaps(t *testing.T) {
	tg := Target{Addr: "127.0.0.1:1"}
	if _, err := RunIdle(context.Background(), IdleConfig{Target: tg, Subscribers: MaxSubscribers + 1}); err == nil || !strings.Contains(err.Error(), "cap") {
		t.Fatalf("subscriber cap: %v", err)
	}
	if _, err := RunIdle(context.Background(), IdleConfig{Target: tg, Duration: MaxDuration + 1}); err == nil || !strings.Contains(err.Error(), "cap") {
		t.Fatalf("duration cap: %v", err)
	}
	if _, err := RunStream(context.Background(), StreamConfig{Target: tg, Consumers: MaxConsumers + 1, Search: SearchParams{Query: "x"}}); err == nil || !strings.Contains(err.Error(), "cap") {
		t.Fatalf("consumer cap: %v", err)
	}
	if _, err := RunPaged(context.Background(), PagedConfig{Target: tg, Requests: MaxRequests + 1, Search: SearchParams{Query: "x"}}); err == nil {
		t.Fatal("request cap not enforced")
	}
}

func TestSourceAddrs(t *testing.T) {
	a := SourceAddrs("127.0.0.1:80", 3)
	if len(a) != 3 || a[0].String() != "127.0.0.1" || a[2].String() != "127.0.0.3" {
		t.Fatalf("IPv4 sources %v", a)
	}
	if a := SourceAddrs("[::1]:80", 8); len(a) != 1 || a[0].String() != "::1" {
		t.Fatalf("IPv6 sources %v", a)
	}
	if a := SourceAddrs("127.0.0.1:80", 1000); len(a) != 254 {
		t.Fatalf("%d sources", len(a))
	}
}
