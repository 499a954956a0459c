package ops

import "sync"

// MaxThreads bounds the number of goroutines one kernel call uses. Larger
// thread counts passed to a kernel are clamped to it, and workspace sizes
// (Conv.WorkspaceLen, Dense.WorkspaceLen, GemmWorkspaceLen) are computed for
// it, so they do not depend on the thread count.
const MaxThreads = 8

// ParallelFor splits [0, n) into at most threads contiguous, nearly equal
// chunks and calls fn(part, lo, hi) once per chunk, concurrently, where part
// numbers the chunks from 0 and may index per-goroutine scratch. It returns
// when every call has returned. threads is clamped to [1, MaxThreads] and to
// n; with one chunk fn runs inline on the calling goroutine and nothing is
// allocated. Otherwise the chunks run on a small pool of long-lived worker
// goroutines (one chunk always runs on the caller), and a call allocates at
// most the caller's closure.
//
// Callers must split work by output region only, so that no output depends on
// how [0, n) was divided.
func ParallelFor(n, threads int, fn func(part, lo, hi int)) {
	if n <= 0 {
		return
	}
	parts := min(max(threads, 1), MaxThreads, n)
	if parts == 1 {
		fn(0, 0, n)
		return
	}
	ensureWorkers()
	grp := groupPool.Get().(*taskGroup)
	grp.wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		t := task{fn: fn, part: p, lo: p * n / parts, hi: (p + 1) * n / parts, grp: grp}
		select {
		case workQueue <- t:
		default:
			// Every pooled worker is busy (for example, nested or
			// concurrent calls): run the chunk on a fresh goroutine so
			// that nothing ever waits for a worker.
			go t.run()
		}
	}
	fn(0, 0, n/parts)
	grp.wg.Wait()
	groupPool.Put(grp)
}

type taskGroup struct{ wg sync.WaitGroup }

type task struct {
	fn           func(part, lo, hi int)
	part, lo, hi int
	grp          *taskGroup
}

func (t task) run() {
	defer t.grp.wg.Done()
	t.fn(t.part, t.lo, t.hi)
}

var (
	groupPool   = sync.Pool{New: func() any { return new(taskGroup) }}
	workQueue   = make(chan task)
	workersOnce sync.Once
)

// ensureWorkers starts the worker pool on first use. Workers block on the
// unbuffered queue, so a send succeeds only when a worker is idle; sends made
// before the pool exists fall back to fresh goroutines.
func ensureWorkers() {
	workersOnce.Do(func() {
		for i := 0; i < MaxThreads-1; i++ {
			go func() {
				for t := range workQueue {
					t.run()
				}
			}()
		}
	})
}
