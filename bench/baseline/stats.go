package baseline

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// StatsServer is the stats socket a gorilla user would write (PROTOCOL.md §2.1): after
// {"Subs":[…]} → {"Resp":"ACK"}, each subscriber receives every Broadcast of a type it
// subscribed to. It follows gorilla's chat example: the handler goroutine reads (and discards)
// the client's frames, a second goroutine per subscriber writes from a bounded queue, and a
// subscriber whose queue is full is disconnected rather than allowed to stall a broadcast.
// Write buffers come from a pool, so an idle subscriber holds none.
type StatsServer struct {
	upgrader websocket.Upgrader

	mu   sync.Mutex
	subs map[*statsClient]struct{}
}

// statsQueue is the number of broadcasts a subscriber may have queued before it is dropped.
const statsQueue = 16

type statsClient struct {
	conn  *websocket.Conn
	types []string
	send  chan *websocket.PreparedMessage
	once  sync.Once
}

func (c *statsClient) close() { c.once.Do(func() { close(c.send) }) }

// NewStatsServer returns a stats server with no subscribers.
func NewStatsServer() *StatsServer {
	return &StatsServer{
		subs: map[*statsClient]struct{}{},
		upgrader: websocket.Upgrader{
			ReadBufferSize:  1024,
			WriteBufferSize: 4096,
			WriteBufferPool: &sync.Pool{},
			CheckOrigin:     func(*http.Request) bool { return true },
		},
	}
}

// ServeHTTP upgrades the request, negotiates, and serves the subscriber until it closes.
func (s *StatsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer conn.Close()
	conn.SetReadLimit(maxMessageSize)
	c := &statsClient{conn: conn, send: make(chan *websocket.PreparedMessage, statsQueue)}
	if !negotiate(conn, &c.types) {
		return
	}
	s.mu.Lock()
	s.subs[c] = struct{}{}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { // write pump
		defer close(done)
		for pm := range c.send {
			conn.SetWriteDeadline(time.Now().Add(writeWait))
			if conn.WritePreparedMessage(pm) != nil {
				conn.Close() // unblocks the read loop below
				for range c.send {
				}
				return
			}
		}
	}()
	// Read pump: the client sends nothing after Subs, but reading answers pings and notices
	// the close. The read deadline is the idle timeout of §1.7, re-armed on every message.
	for {
		conn.SetReadDeadline(time.Now().Add(idleWait))
		if _, _, err := conn.NextReader(); err != nil {
			break
		}
	}
	s.mu.Lock()
	delete(s.subs, c)
	s.mu.Unlock()
	c.close()
	<-done
}

// Broadcast encodes {"type":typ,"data":data} once, frames it once, and queues it to every
// subscriber of typ. It returns the number of subscribers it was queued to; subscribers whose
// queue was full are disconnected and not counted.
func (s *StatsServer) Broadcast(typ string, data any) (int, error) {
	b, err := json.Marshal(envelope{Type: typ, Data: data})
	if err != nil {
		return 0, err
	}
	pm, err := websocket.NewPreparedMessage(websocket.TextMessage, b)
	if err != nil {
		return 0, err
	}
	n := 0
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.subs {
		if !slices.Contains(c.types, typ) {
			continue
		}
		select {
		case c.send <- pm:
			n++
		default:
			delete(s.subs, c)
			c.close()
		}
	}
	return n, nil
}

// Subscribers returns the number of negotiated subscribers.
func (s *StatsServer) Subscribers() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// PingPacket returns a ping payload (PROTOCOL.md §2.3, /api/ws/stats shape) whose JSON encoding
// is about size bytes: the states of as many indexers as fit.
func PingPacket(size int) any {
	states := map[string]string{}
	n := len(`{"States":{}}`)
	for i := 0; n < size; i++ {
		k := "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(1+i%250) + ":9404"
		states[k] = "OK"
		n += len(k) + len(`"":"OK",`)
	}
	return struct{ States map[string]string }{states}
}
