// Package netpoll parks idle network connections without a goroutine or a buffer and serves
// them from a bounded worker pool.
//
// On Linux a Poller takes ownership of a TCP or Unix socket's file descriptor (it is
// duplicated, made non-blocking and the original net.Conn closed), registers it in an epoll
// set, and hands readable sockets to one of Config.Workers goroutines, each with its own
// shared read buffer. Writes never block: Conn.Write tries a non-blocking write at once and
// queues only what the kernel would not take; the epoll loop flushes the queue when the socket
// becomes writable. Connections that cannot be polled (TLS, pipes) and every connection on
// other systems, or with Config.Portable, use a portable mode with one reading goroutine per
// connection and a writing goroutine while bytes are queued. Both modes implement Conn with the
// same guarantees:
//
//   - Handler.OnRead calls for one connection never overlap and come in stream order;
//   - Handler.OnClose runs exactly once, after the last OnRead, on the same kind of goroutine;
//   - Conn methods may be called from any goroutine and never block (except WaitBuffered).
//
// netpoll knows bytes, not websockets: framing and policy live in engine/server.
package netpoll
