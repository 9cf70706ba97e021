// Command volume-lines writes N synthetic log lines of about 170 bytes to stdout, one per
// SPAN/N over the SPAN before now, each starting with its RFC 3339 timestamp: the data set of the
// issue-9 volume job (bench/volume.sh), piped into `sluice ingest`.
//
//	volume-lines -n 10000000 -span 20h | sluice ingest -tag bench -
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"
)

func main() {
	n := flag.Int("n", 1000000, "number of lines")
	span := flag.Duration("span", 20*time.Hour, "time the lines cover, ending now")
	flag.Parse()
	if *n <= 0 || *span <= 0 {
		fmt.Fprintln(os.Stderr, "volume-lines: -n and -span must be positive")
		os.Exit(2)
	}
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	end := time.Now().UTC()
	step := *span / time.Duration(*n)
	if step <= 0 {
		step = 1
	}
	t := end.Add(-*span)
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	var b []byte
	for i := 0; i < *n; i++ {
		b = t.AppendFormat(b[:0], time.RFC3339Nano)
		b = append(b, " host=web-"...)
		b = strconv.AppendInt(b, int64(i%32), 10)
		b = append(b, " app=edge method="...)
		b = append(b, methods[i%4]...)
		b = append(b, " path=/api/v1/items/"...)
		b = strconv.AppendInt(b, int64(i*7919%1000003), 10)
		b = append(b, " status="...)
		b = strconv.AppendInt(b, int64(200+(i%17)*17%300), 10)
		b = append(b, " bytes="...)
		b = strconv.AppendInt(b, int64(i*31%65536), 10)
		b = append(b, " dur_ms="...)
		b = strconv.AppendInt(b, int64(i%997), 10)
		b = append(b, " ua=\"Mozilla/5.0 (X11; Linux x86_64)\" seq="...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			fmt.Fprintln(os.Stderr, "volume-lines:", err)
			os.Exit(1)
		}
		t = t.Add(step)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "volume-lines:", err)
		os.Exit(1)
	}
}
