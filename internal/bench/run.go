package bench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	goruntime "runtime"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// Result is one case measured on one runtime.
type Result struct {
	Case     string    `json:"case"`
	Runtime  string    `json:"runtime"` // e.g. "native-1t", "native-2t", "wazero", "node", "tfjs-wasm", "ort-web"
	Algo     string    `json:"algo,omitempty"`
	MedianMS float64   `json:"median_ms"`
	GFLOPS   float64   `json:"gflops"` // FLOPs (a multiply-add counts 2) / median time
	Runs     []float64 `json:"runs_ms,omitempty"`
	Error    string    `json:"error,omitempty"`
}

// Config controls a run.
type Config struct {
	Warmup, Reps int
	Algo         string // conv algorithm for wasmnn runtimes ("" = auto)
	Wasm         []byte // wasmnn.wasm for the wazero runtime (nil: skip it)
	Threads      []int  // native thread counts to measure (negative counts are skipped: {-1} measures no native build)
	Log          io.Writer
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func randInputs(infos []runtime.ValueInfo) map[string]*ops.Tensor {
	rng := rand.New(rand.NewPCG(1, 2))
	in := map[string]*ops.Tensor{}
	for _, vi := range infos {
		t, _ := ops.NewTensor(vi.Shape...)
		for i := range t.Data {
			t.Data[i] = rng.Float32()*2 - 1
		}
		in[vi.Name] = t
	}
	return in
}

func timeRuns(cfg Config, run func() error) ([]float64, error) {
	for i := 0; i < cfg.Warmup; i++ {
		if err := run(); err != nil {
			return nil, err
		}
	}
	var ms []float64
	for i := 0; i < cfg.Reps; i++ {
		start := time.Now()
		if err := run(); err != nil {
			return nil, err
		}
		ms = append(ms, float64(time.Since(start).Nanoseconds())/1e6)
	}
	return ms, nil
}

func result(c *Case, rt, algo string, ms []float64, err error) Result {
	r := Result{Case: c.Name, Runtime: rt, Algo: algo, Runs: ms}
	if err != nil {
		r.Error = err.Error()
		return r
	}
	r.MedianMS = median(ms)
	if r.MedianMS > 0 {
		r.GFLOPS = float64(c.FLOPs) / (r.MedianMS * 1e6)
	}
	return r
}

// Run measures every case natively (for each thread count) and, when
// cfg.Wasm is set, under wazero.
func Run(ctx context.Context, cases []*Case, cfg Config) ([]Result, error) {
	if cfg.Reps <= 0 {
		cfg.Reps = 5
	}
	if len(cfg.Threads) == 0 {
		cfg.Threads = []int{1, goruntime.GOMAXPROCS(0)}
	}
	var h *host.Host
	if cfg.Wasm != nil {
		var err error
		h, err = host.New(ctx, cfg.Wasm)
		if err != nil {
			return nil, fmt.Errorf("starting wasmnn.wasm under wazero: %w", err)
		}
		defer h.Close(ctx)
	}
	var results []Result
	for _, c := range cases {
		m, err := c.Build()
		if err != nil {
			return nil, err
		}
		seenThreads := map[int]bool{}
		for _, th := range cfg.Threads {
			if seenThreads[th] || th < 0 {
				continue
			}
			seenThreads[th] = true
			sess, err := runtime.NewSession(m, runtime.Options{Algo: ops.ConvAlgo(cfg.Algo), Threads: th})
			if err != nil {
				results = append(results, result(c, fmt.Sprintf("native-%dt", th), cfg.Algo, nil, err))
				continue
			}
			in := randInputs(sess.Inputs())
			out := map[string]*ops.Tensor{}
			for _, o := range sess.Outputs() {
				out[o.Name], _ = ops.NewTensor(o.Shape...)
			}
			ms, err := timeRuns(cfg, func() error { return sess.RunInto(ctx, in, out) })
			r := result(c, fmt.Sprintf("native-%dt", th), algoOf(sess), ms, err)
			results = append(results, r)
			logResult(cfg.Log, r)
		}
		if h != nil {
			b, err := m.Encode()
			if err != nil {
				return nil, err
			}
			gm, err := h.Load(b, host.LoadOptions{Algo: cfg.Algo})
			if err != nil {
				results = append(results, result(c, "wazero", cfg.Algo, nil, err))
				continue
			}
			in := randInputs(gm.Inputs)
			ms, err := timeRuns(cfg, func() error { _, err := gm.Run(ctx, in); return err })
			r := result(c, "wazero", cfg.Algo, ms, err)
			results = append(results, r)
			logResult(cfg.Log, r)
			gm.Dispose()
		}
	}
	return results, nil
}

// algoOf summarises the conv algorithms a session chose.
func algoOf(s *runtime.Session) string {
	count := map[string]int{}
	for _, l := range s.Summary().Layers {
		if l.Algo != "" {
			count[l.Algo]++
		}
	}
	var parts []string
	for _, k := range sortedKeys(count) {
		if len(count) == 1 {
			parts = append(parts, k)
		} else {
			parts = append(parts, fmt.Sprintf("%s×%d", k, count[k]))
		}
	}
	return strings.Join(parts, " ")
}

func logResult(w io.Writer, r Result) {
	if w == nil {
		return
	}
	if r.Error != "" {
		fmt.Fprintf(w, "%-40s %-10s error: %s\n", r.Case, r.Runtime, r.Error)
		return
	}
	fmt.Fprintf(w, "%-40s %-10s %10.3f ms %8.2f GFLOP/s  %s\n", r.Case, r.Runtime, r.MedianMS, r.GFLOPS, r.Algo)
}

// ratioCols are the table's "wasmnn's wasm build / best peer" columns: for
// each, the first of ours that was measured and the peers it is compared
// with. A column is shown only when one of its runtimes was measured.
var ratioCols = []struct {
	title string
	ours  []string
	peers []string
}{
	{"wasm / best peer", []string{"node-simd", "node", "wazero"}, []string{"tfjs-wasm", "ort-web"}},
	{"chromium / best peer", []string{"chromium-simd", "chromium"}, []string{"chromium-tfjs-wasm", "chromium-ort-web"}},
}

// Table writes a Markdown table: one row per case, one column per runtime
// (median ms and GFLOP/s), and the ratios of wasmnn's wasm build (in Node:
// "node-simd" if present, else "node", else "wazero"; in Chromium:
// "chromium-simd") to the fastest peer runtime measured beside it
// (TensorFlow.js's and ONNX Runtime Web's wasm backends).
func Table(w io.Writer, cases []*Case, results []Result) error {
	byCase := map[string]map[string]Result{}
	rts := map[string]bool{}
	for _, r := range results {
		if byCase[r.Case] == nil {
			byCase[r.Case] = map[string]Result{}
		}
		byCase[r.Case][r.Runtime] = r
		rts[r.Runtime] = true
	}
	var ratios []int
	for i, rc := range ratioCols {
		for _, rt := range rc.ours {
			if rts[rt] {
				ratios = append(ratios, i)
				break
			}
		}
	}
	if len(ratios) == 0 {
		ratios = []int{0}
	}
	order := []string{"native-1t", "native-2t", "wazero", "node", "node-simd", "tfjs-wasm", "ort-web",
		"chromium", "chromium-simd", "chromium-tfjs-wasm", "chromium-ort-web"}
	var cols []string
	for _, rt := range order {
		if rts[rt] {
			cols = append(cols, rt)
			delete(rts, rt)
		}
	}
	cols = append(cols, sortedKeys(rts)...)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprint(tw, "| case | GFLOP |")
	for _, c := range cols {
		fmt.Fprintf(tw, " %s ms (GFLOP/s) |", c)
	}
	for _, i := range ratios {
		fmt.Fprintf(tw, " %s |", ratioCols[i].title)
	}
	fmt.Fprint(tw, "\n|---|---:|")
	for range len(cols) + len(ratios) {
		fmt.Fprint(tw, "---:|")
	}
	fmt.Fprintln(tw)
	for _, c := range cases {
		rs := byCase[c.Name]
		if rs == nil {
			continue
		}
		fmt.Fprintf(tw, "| %s | %.3f |", c.Name, float64(c.FLOPs)/1e9)
		for _, col := range cols {
			r, ok := rs[col]
			switch {
			case !ok:
				fmt.Fprint(tw, " – |")
			case r.Error != "":
				fmt.Fprint(tw, " error |")
			default:
				fmt.Fprintf(tw, " %.2f (%.1f) |", r.MedianMS, r.GFLOPS)
			}
		}
		for _, i := range ratios {
			ours := 0.0
			for _, rt := range ratioCols[i].ours {
				if r, ok := rs[rt]; ok && r.Error == "" && r.MedianMS > 0 {
					ours = r.MedianMS
					break
				}
			}
			best := 0.0
			for _, peer := range ratioCols[i].peers {
				if r, ok := rs[peer]; ok && r.Error == "" && r.MedianMS > 0 && (best == 0 || r.MedianMS < best) {
					best = r.MedianMS
				}
			}
			if ours > 0 && best > 0 {
				fmt.Fprintf(tw, " %.2fx |", ours/best)
			} else {
				fmt.Fprint(tw, " – |")
			}
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
