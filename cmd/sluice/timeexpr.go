package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // -timezone works on machines without a zoneinfo database
)

// timeSyntax is the help text of the time expressions parseWhen accepts; "sluice help query"
// and every -start/-end flag show it.
const timeSyntax = `  now                     the current time
  -90m, -24h, -1h30m      relative to now: a Go duration (ns us ms s m h) …
  -7d, -1w, -3mo, -2y     … or days, weeks, months, years
  today, yesterday        midnight at the start of that day, in -timezone
  2026-12-01              a date: its midnight, in -timezone
  2026-12-01 10:30        a date and time, in -timezone (also with T, seconds, fractions)
  10:30                   that time today, in -timezone
  2026-12-01T10:30:00Z    RFC 3339 with its own offset
  -since 2h               shorthand for -start -2h -end now`

// localLayouts are the date and time forms read in the -timezone location.
var localLayouts = []string{
	"2006-01-02",
	"2006-01-02 15:04", "2006-01-02T15:04",
	"2006-01-02 15:04:05", "2006-01-02T15:04:05",
	"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
}

// parseWhen reads a time expression (timeSyntax) relative to now, in loc.
func parseWhen(s string, now time.Time, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	now = now.In(loc)
	midnight := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	switch s {
	case "", "now":
		return now, nil
	case "today":
		return midnight, nil
	case "yesterday":
		return midnight.AddDate(0, 0, -1), nil
	}
	if rel, ok := strings.CutPrefix(s, "-"); ok {
		return parseAgo(s, rel, now)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, loc), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q: want now, today, yesterday, -DURATION (-90m, -7d, -1w, -2y), a date (2026-12-01, 2026-12-01 10:30) or RFC 3339", s)
}

// parseAgo reads the part after '-': N followed by d, w, mo or y, or a Go duration.
func parseAgo(s, rel string, now time.Time) (time.Time, error) {
	i := 0
	for i < len(rel) && rel[i] >= '0' && rel[i] <= '9' {
		i++
	}
	if i > 0 {
		n, err := strconv.Atoi(rel[:i])
		if err == nil {
			switch rel[i:] {
			case "d":
				return now.AddDate(0, 0, -n), nil
			case "w":
				return now.AddDate(0, 0, -7*n), nil
			case "mo":
				return now.AddDate(0, -n, 0), nil
			case "y":
				return now.AddDate(-n, 0, 0), nil
			}
		}
	}
	d, err := time.ParseDuration(rel)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("bad relative time %q: want -N followed by s, m, h, d, w, mo or y (-90m, -7d, -1w, -2y), or a Go duration such as -1h30m", s)
	}
	return now.Add(-d), nil
}

// loadZone reads -timezone: "Local" (the default, the machine's zone), "UTC", or an IANA name
// such as "Europe/Berlin".
func loadZone(name string) (*time.Location, error) {
	switch strings.ToLower(name) {
	case "", "local":
		return time.Local, nil
	case "utc", "z":
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, usageErr(fmt.Sprintf("bad -timezone %q: want Local, UTC or an IANA zone name such as Europe/Berlin", name))
	}
	return loc, nil
}

// timeRange turns -start, -end and -since into a search range, refusing an empty or reversed
// one with a message that says which.
func timeRange(start, end, since string, now time.Time, loc *time.Location) (time.Time, time.Time, error) {
	if since != "" {
		if start != "" {
			return time.Time{}, time.Time{}, usageErr("give -since or -start, not both")
		}
		d := since
		if !strings.HasPrefix(d, "-") {
			d = "-" + d
		}
		start = d
	}
	if start == "" {
		start = "-24h"
	}
	s, err := parseWhen(start, now, loc)
	if err != nil {
		return s, s, usageErr("-start: " + err.Error())
	}
	e, err := parseWhen(end, now, loc)
	if err != nil {
		return s, e, usageErr("-end: " + err.Error())
	}
	switch {
	case e.Equal(s):
		return s, e, usageErr(fmt.Sprintf("start and end are the same time (%s): the range is empty; give an end after the start", s.Format(time.RFC3339)))
	case e.Before(s):
		return s, e, usageErr(fmt.Sprintf("end %s is before start %s", e.Format(time.RFC3339), s.Format(time.RFC3339)))
	}
	return s, e, nil
}
