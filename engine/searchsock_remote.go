package engine

import (
	"strconv"

	"github.com/sluicehq/sluice/engine/server"
	"github.com/sluicehq/sluice/wire"
)

// attachRemote attaches the socket to search id held by another webserver of the cluster,
// through a relay (ClusterSearches.Attach), and reports whether it answered the attach: false
// when no other webserver holds a search id the principal may see.
//
// NOTE: it connects to the holder on the calling goroutine, so that the attach channel's
// replies keep their order; that is one dial bounded by the cluster's ProxyDialTimeout, and
// a holder the registry already knows to be dead is answered without one.
func (ss *searchService) attachRemote(sess *server.Session, id string) bool {
	st := state(sess)
	st.mu.Lock()
	st.next++
	name := "attach" + strconv.Itoa(st.next)
	st.mu.Unlock()
	ctx := sess.Context()
	deliver := func(data []byte) error {
		if err := sess.WaitWritable(ctx, streamLowWater); err != nil {
			return err
		}
		return ss.send(sess, name, func(dst []byte) []byte { return append(dst, data...) })
	}
	ended := func() {
		st.mu.Lock()
		delete(st.relays, name)
		st.mu.Unlock()
		sess.RemoveChannel(name)
	}
	sess.AddChannel(name) // before the relay starts, so no message on it is dropped
	send, stop, reply, err := ss.remote.Attach(ctx, sess.Principal(), id, name, deliver, ended)
	if err == nil && send == nil {
		sess.RemoveChannel(name)
		return false
	}
	if err != nil {
		sess.RemoveChannel(name)
		ss.log.Info("attach through the cluster failed", "search", id, "session", sess.ID(), "err", err)
		ss.send(sess, "attach", func(dst []byte) []byte { return wire.AppendErrorObject(dst, err.Error()) })
		return true
	}
	st.mu.Lock()
	if st.relays == nil {
		st.relays = map[string]relayed{}
	}
	st.relays[name] = relayed{send, stop}
	st.mu.Unlock()
	ss.send(sess, "attach", func(dst []byte) []byte { return append(dst, reply...) })
	return true
}

// relay forwards a message on a relayed output channel to the webserver holding its search,
// and reports whether channel is one.
func (ss *searchService) relay(sess *server.Session, channel string, data []byte) bool {
	st := state(sess)
	st.mu.Lock()
	rel, ok := st.relays[channel]
	st.mu.Unlock()
	if !ok {
		return false
	}
	rel.send(data)
	return true
}

// relayed is an output channel relayed to another webserver (ClusterSearches.Attach).
type relayed struct {
	send func(data []byte)
	stop func()
}
