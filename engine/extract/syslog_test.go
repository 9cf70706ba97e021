package extract

import (
	"fmt"
	"testing"
	"time"
)

func sysString(s *Syslog) string {
	str := func(b []byte) string {
		if b == nil {
			return "<nil>"
		}
		return string(b)
	}
	ts := "-"
	if s.HasTS {
		ts = time.Unix(0, s.TS).UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprintf("5424=%v pri=%d fac=%d sev=%d ver=%d ts=%s(%s) host=%s app=%s pid=%s msgid=%s sd=%s msg=%s",
		s.RFC5424, s.Priority, s.Facility, s.Severity, s.Version, str(s.Timestamp), ts, str(s.Hostname), str(s.Appname),
		str(s.ProcID), str(s.MsgID), str(s.StructuredData), str(s.Message))
}

func TestParseSyslogSuccess(t *testing.T) {
	ref := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	var s Syslog
	f := func(in, want string) {
		t.Helper()
		if !ParseSyslog([]byte(in), ref, &s) {
			t.Fatalf("ParseSyslog(%q) failed", in)
		}
		if got := sysString(&s); got != want {
			t.Fatalf("ParseSyslog(%q)\n got %s\nwant %s", in, got, want)
		}
	}
	f(`<165>4 2018-10-11T22:14:15.003Z mymach.it e - 1 [ex@32473 iut="3" foo="bar"] An application event log entry...`,
		`5424=true pri=165 fac=20 sev=5 ver=4 ts=2018-10-11T22:14:15.003Z(2018-10-11T22:14:15.003Z) host=mymach.it app=e pid=<nil> msgid=1 sd=[ex@32473 iut="3" foo="bar"] msg=An application event log entry...`)
	f(`<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8`,
		`5424=true pri=34 fac=4 sev=2 ver=1 ts=2003-10-11T22:14:15.003Z(2003-10-11T22:14:15.003Z) host=mymachine.example.com app=su pid=<nil> msgid=ID47 sd=<nil> msg='su root' failed for lonvick on /dev/pts/8`)
	f(`<13>1 - - - - - -`, `5424=true pri=13 fac=1 sev=5 ver=1 ts=<nil>(-) host=<nil> app=<nil> pid=<nil> msgid=<nil> sd=<nil> msg=<nil>`)
	f(`<5>1 2019-09-27T09:33:01.362929-06:00 unicorn chatter 14747 - [a@1 x="q\"]"][b@2 y="z"] Have I come`,
		`5424=true pri=5 fac=0 sev=5 ver=1 ts=2019-09-27T09:33:01.362929-06:00(2019-09-27T15:33:01.362929Z) host=unicorn app=chatter pid=14747 msgid=<nil> sd=[a@1 x="q\"]"][b@2 y="z"] msg=Have I come`)
	f("<14>1 2024-05-01T10:00:00Z h a 1 m - \xef\xbb\xbfbom msg", `5424=true pri=14 fac=1 sev=6 ver=1 ts=2024-05-01T10:00:00Z(2024-05-01T10:00:00Z) host=h app=a pid=1 msgid=m sd=<nil> msg=bom msg`)
	f(`<34>Oct 11 22:14:15 mymachine su: 'su root' failed`,
		`5424=false pri=34 fac=4 sev=2 ver=0 ts=Oct 11 22:14:15(2023-10-11T22:14:15Z) host=mymachine app=su pid=<nil> msgid=<nil> sd=<nil> msg='su root' failed`)
	f(`Nov 21 10:00:01 gw01 sshd[4121]: Accepted publickey for admin from 10.0.0.5`,
		`5424=false pri=-1 fac=-1 sev=-1 ver=0 ts=Nov 21 10:00:01(2023-11-21T10:00:01Z) host=gw01 app=sshd pid=4121 msgid=<nil> sd=<nil> msg=Accepted publickey for admin from 10.0.0.5`)
	f(`<13>May  1 11:59:00 sshd[12]: no host`,
		`5424=false pri=13 fac=1 sev=5 ver=0 ts=May  1 11:59:00(2024-05-01T11:59:00Z) host=<nil> app=sshd pid=12 msgid=<nil> sd=<nil> msg=no host`)
	f(`<13>2024-05-01T10:00:00.5+02:00 web01 nginx: GET /`,
		`5424=false pri=13 fac=1 sev=5 ver=0 ts=2024-05-01T10:00:00.5+02:00(2024-05-01T08:00:00.5Z) host=web01 app=nginx pid=<nil> msgid=<nil> sd=<nil> msg=GET /`)
	f(`May  2 11:00:00 host plain message`,
		`5424=false pri=-1 fac=-1 sev=-1 ver=0 ts=May  2 11:00:00(2024-05-02T11:00:00Z) host=host app=<nil> pid=<nil> msgid=<nil> sd=<nil> msg=plain message`)
}

func TestParseSyslogFailure(t *testing.T) {
	var s Syslog
	for _, in := range []string{"", "hello world", "<>1 x", "<999>1 x", "<13", "<13>garbage", "Foo 21 10:00:01 h a: b", "Nov 32 10:00:01 h a: b", `{"a":1}`} {
		if ParseSyslog([]byte(in), 0, &s) {
			t.Fatalf("ParseSyslog(%q) = %s, want failure", in, sysString(&s))
		}
	}
}

func TestLookupSD(t *testing.T) {
	sd := []byte(`[a@1 x="q\"]\\" k="1"][b@2 k="2" y="z"]`)
	f := func(id, key, want string, ok bool) {
		t.Helper()
		v, _, gok := LookupSD(sd, id, key, nil)
		if gok != ok || string(v) != want {
			t.Fatalf("LookupSD(%q,%q) = %q %v, want %q %v", id, key, v, gok, want, ok)
		}
	}
	f("", "x", `q"]\`, true)
	f("", "k", "1", true)
	f("b@2", "k", "2", true)
	f("b@2", "y", "z", true)
	f("a@1", "y", "", false)
	f("", "nope", "", false)
	e, _, ok := NextSD(sd, 0)
	if !ok || string(e.ID) != "a@1" {
		t.Fatalf("NextSD = %q %v", e.ID, ok)
	}
}
