// Package collect gathers the figures of the stats socket (PROTOCOL.md §2): the host description
// and periodic host statistics of this machine from /proc and /sys (Collector), and the Hub that
// builds every stats packet once per period, in both payload shapes, for the engine to frame
// once and send to every subscriber.
//
// Reading is split from parsing: each /proc file has a parseX([]byte) function tested on the
// fixture tree in testdata/, and the root of /proc, /sys and /etc is injectable (FS).
package collect
