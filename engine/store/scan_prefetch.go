package store

import (
	"sync"

	"github.com/sluicehq/sluice/engine/cputime"
)

// prefetcher decodes the next pending blocks of an ordered Scan on other goroutines while the
// scan goroutine merges and delivers, so block reading, checksumming and decompression use
// more than one core (ScanQuery.Decoders). The scan goroutine alone touches the prefetcher's
// bookkeeping and the scanner's cursor pool; decoder goroutines only fill the jobs handed to
// them.
type prefetcher struct {
	jobs  chan *decodeJob
	wg    sync.WaitGroup
	ahead []*decodeJob // scheduled and not yet taken
	spare []*decodeJob
	depth int
}

// decodeJob is one block being decoded ahead of time.
type decodeJob struct {
	sh   *shard
	b    *blockMeta
	f    *recordFilter
	c    *cursor
	comp []byte
	err  error
	done chan struct{} // receives once the job is complete
}

// start launches n decoder goroutines that keep up to depth blocks decoded ahead, charging
// their decoding's CPU time to cpu (nil: not measured).
func (pf *prefetcher) start(n, depth int, cpu *cputime.Meter) {
	pf.jobs = make(chan *decodeJob, depth)
	pf.depth = depth
	for range n {
		pf.wg.Go(func() {
			for j := range pf.jobs {
				_, j.err = readBlockCPU(cpu, j.sh, j.b, &j.comp, j.c, j.f)
				j.done <- struct{}{}
			}
		})
	}
}

// stop ends the decoder goroutines after the jobs in flight and recycles what they decoded.
// The shards of those jobs must still be held.
func (pf *prefetcher) stop(sc *scanner) {
	if pf.jobs == nil {
		return
	}
	close(pf.jobs)
	pf.wg.Wait()
	for _, j := range pf.ahead {
		<-j.done
		sc.recycle(j.c)
		pf.release(j)
	}
	clear(pf.ahead)
	pf.ahead, pf.jobs = pf.ahead[:0], nil
}

func (pf *prefetcher) release(j *decodeJob) {
	j.sh, j.b, j.f, j.c, j.err = nil, nil, nil, nil, nil
	if cap(j.comp) > maxPooledBlock {
		j.comp = nil
	}
	pf.spare = append(pf.spare, j)
}

// take removes and returns the job decoding b (which may still be running), or nil when b
// was not scheduled.
func (pf *prefetcher) take(b *blockMeta) *decodeJob {
	for i, j := range pf.ahead {
		if j.b == b {
			pf.ahead = append(pf.ahead[:i], pf.ahead[i+1:]...)
			return j
		}
	}
	return nil
}

// schedule tops the jobs in flight up to depth with the earliest pending blocks (in scan
// order) not yet scheduled. The smallest k keys of a binary heap sit among its first 2^k-1
// slots, so a few slots are enough to find them.
func (pf *prefetcher) schedule(sc *scanner) {
	if pf.jobs == nil {
		return
	}
	for len(pf.ahead) < pf.depth {
		n := min(len(sc.pend), 1<<(2*pf.depth)-1)
		best := -1
		for i := 0; i < n; i++ {
			if pf.scheduled(sc.pend[i].b) {
				continue
			}
			if best < 0 || sc.before(sc.pend[i].key, sc.pend[best].key) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		p := sc.pend[best]
		var j *decodeJob
		if k := len(pf.spare); k > 0 {
			j, pf.spare = pf.spare[k-1], pf.spare[:k-1]
		} else {
			j = &decodeJob{done: make(chan struct{}, 1)}
		}
		j.sh, j.b, j.f, j.c = p.sh, p.b, &sc.filter, sc.cursor()
		pf.ahead = append(pf.ahead, j)
		pf.jobs <- j
	}
}

func (pf *prefetcher) scheduled(b *blockMeta) bool {
	for _, j := range pf.ahead {
		if j.b == b {
			return true
		}
	}
	return false
}

// decode returns block p decoded: by the job that prefetched it, or here and now. It tops up
// the prefetch before decoding inline, so other goroutines work meanwhile.
func (sc *scanner) decode(p *pendBlock) (*cursor, error) {
	if j := sc.pf.take(p.b); j != nil {
		sc.pf.schedule(sc)
		<-j.done
		c, err := j.c, j.err
		sc.pf.release(j)
		return c, err
	}
	sc.pf.schedule(sc)
	c := sc.cursor()
	_, err := readBlockCPU(sc.cpu, p.sh, p.b, &sc.comp, c, &sc.filter)
	return c, err
}
