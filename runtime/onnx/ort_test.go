package onnx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/internal/npy"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// The oracle tests run ONNX Runtime (onnxruntime-node, a devDependency of
// the repository) through test/onnx/run_ort.mjs. They fail, rather than
// skip, when node or the package is missing, except under -short.

// repoRoot returns the directory holding go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("cannot find the repository root (go.mod)")
		}
		dir = parent
	}
}

// needORT returns the node binary and the runner script, or stops the test.
func needORT(t *testing.T) (node, script string) {
	t.Helper()
	root := repoRoot(t)
	missing := func(what string) {
		msg := what + ": the ONNX Runtime oracle tests need Node.js and onnxruntime-node; run `npm ci` in " + root
		if testing.Short() {
			t.Skip(msg)
		}
		t.Fatal(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(root, "node_modules", "onnxruntime-node", "package.json")); err != nil {
		missing("node_modules/onnxruntime-node is missing")
	}
	return node, filepath.Join(root, "test", "onnx", "run_ort.mjs")
}

// ortJob is one model to run in ONNX Runtime.
type ortJob struct {
	Model  string            `json:"model"`
	Inputs map[string]string `json:"inputs"`
	OutDir string            `json:"outDir"`
}

type ortOutput struct {
	Name  string `json:"name"`
	File  string `json:"file"`
	Shape []int  `json:"shape"`
}

type ortResult struct {
	Model   string      `json:"model"`
	Outputs []ortOutput `json:"outputs"`
	Error   string      `json:"error"`
}

// runORT runs every job in one node process and returns the results by
// model path.
func runORT(t *testing.T, jobs []ortJob) map[string]ortResult {
	t.Helper()
	node, script := needORT(t)
	dir := t.TempDir()
	b, err := json.Marshal(map[string]any{"jobs": jobs})
	if err != nil {
		t.Fatal(err)
	}
	jobFile := filepath.Join(dir, "jobs.json")
	if err := os.WriteFile(jobFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, jobFile)
	cmd.Dir = repoRoot(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running ONNX Runtime: %v\n%s", err, stderr.String())
	}
	res := map[string]ortResult{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r ortResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("bad runner output %q: %v", sc.Text(), err)
		}
		res[r.Model] = r
	}
	return res
}

// readORTOutputs loads a job's outputs by name.
func readORTOutputs(t *testing.T, r ortResult) map[string]*ops.Tensor {
	t.Helper()
	if r.Error != "" {
		t.Fatalf("ONNX Runtime failed on %s: %s", filepath.Base(r.Model), r.Error)
	}
	outs := map[string]*ops.Tensor{}
	for _, o := range r.Outputs {
		shape, data, err := npy.ReadFile(o.File)
		if err != nil {
			t.Fatal(err)
		}
		outs[o.Name] = &ops.Tensor{Shape: shape, Data: data}
	}
	return outs
}

// randomInputs returns inputs uniform in [-1, 1) for the session's inputs.
func randomInputs(seed uint64, infos []runtime.ValueInfo) map[string]*ops.Tensor {
	rng := rand.New(rand.NewPCG(seed, 17))
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

// writeInputs writes inputs as .npy files in dir and returns name -> path.
func writeInputs(t *testing.T, dir string, in map[string]*ops.Tensor) map[string]string {
	t.Helper()
	files := map[string]string{}
	i := 0
	for name, x := range in {
		path := filepath.Join(dir, fmt.Sprintf("in%d.npy", i))
		i++
		if err := npy.WriteFile(path, x.Shape, x.Data); err != nil {
			t.Fatal(err)
		}
		files[name] = path
	}
	return files
}

// diff describes how far got is from want. The tolerance is relative to
// the output's scale (its largest magnitude): deep networks with random
// weights produce logits in the hundreds or thousands next to logits near
// zero, and float32 rounding errors scale with the former.
type diff struct {
	maxAbs float64 // largest |got-want|
	maxRel float64 // maxAbs relative to the largest |want|
	worst  float64 // largest |got-want| / (1e-4*max|want| + 1e-5); <= 1 passes
}

func compareTensors(got, want *ops.Tensor) (diff, error) {
	var d diff
	if !ops.EqualShapes(got.Shape, want.Shape) {
		return d, fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	scale := 0.0
	for _, w := range want.Data {
		if !math.IsInf(float64(w), 0) && !math.IsNaN(float64(w)) {
			scale = math.Max(scale, math.Abs(float64(w)))
		}
	}
	for i, w := range want.Data {
		g := got.Data[i]
		if math.IsNaN(float64(g)) != math.IsNaN(float64(w)) {
			return d, fmt.Errorf("element %d: %g, want %g", i, g, w)
		}
		if math.IsNaN(float64(w)) {
			continue
		}
		e := math.Abs(float64(g) - float64(w))
		if math.IsInf(float64(w), 0) || math.IsInf(float64(g), 0) {
			if g != w {
				return d, fmt.Errorf("element %d: %g, want %g", i, g, w)
			}
			continue
		}
		d.maxAbs = math.Max(d.maxAbs, e)
	}
	if scale > 0 {
		d.maxRel = d.maxAbs / scale
	}
	d.worst = d.maxAbs / (1e-4*scale + 1e-5)
	return d, nil
}

func runNative(t *testing.T, m *runtime.Model, in map[string]*ops.Tensor) map[string]*ops.Tensor {
	t.Helper()
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := sess.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// zooCase is a zoo architecture at the size the oracle test uses.
type zooCase struct {
	arch string
	size int
}

var zooCases = []zooCase{
	{"lenet5", 32}, {"alexnet", 67}, {"vgg16", 32}, {"googlenet", 64},
	{"resnet18", 64}, {"resnet34", 64}, {"resnet50", 64},
}

// TestORTZoo exports every zoo architecture to ONNX, runs ONNX Runtime and
// wasmnn on the same random inputs and requires agreement within 1e-4
// relative (1e-5 absolute floor); then imports the ONNX file back and
// requires exactly the original model's outputs.
func TestORTZoo(t *testing.T) {
	needORT(t)
	dir := t.TempDir()
	type prepared struct {
		zooCase
		meta  runtime.Meta
		in    map[string]*ops.Tensor
		want  map[string]*ops.Tensor
		model string
	}
	var cases []*prepared
	var jobs []ortJob
	for i, zc := range zooCases {
		m, err := zoo.Build(zc.arch, zoo.Config{Seed: uint64(10 + i), InputSize: zc.size})
		if err != nil {
			t.Fatal(err)
		}
		b, err := Export(m)
		if err != nil {
			t.Fatalf("%s: export: %v", zc.arch, err)
		}
		// Only the ONNX file and the outputs are kept, to bound memory.
		p := &prepared{zooCase: zc, meta: m.Meta, model: filepath.Join(dir, zc.arch+".onnx")}
		if err := os.WriteFile(p.model, b, 0o644); err != nil {
			t.Fatal(err)
		}
		p.in = randomInputs(uint64(i), m.Inputs)
		p.want = runNative(t, m, p.in)
		sub := filepath.Join(dir, zc.arch)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		jobs = append(jobs, ortJob{Model: p.model, Inputs: writeInputs(t, sub, p.in), OutDir: filepath.Join(sub, "out")})
		cases = append(cases, p)
	}
	results := runORT(t, jobs)
	for _, p := range cases {
		t.Run(fmt.Sprintf("%s-%d", p.arch, p.size), func(t *testing.T) {
			ort := readORTOutputs(t, results[p.model])
			for name, w := range p.want {
				g, ok := ort[name]
				if !ok {
					t.Fatalf("ONNX Runtime gave no output %q", name)
				}
				d, err := compareTensors(w, g)
				if err != nil {
					t.Fatalf("output %q: %v", name, err)
				}
				t.Logf("wasmnn vs ONNX Runtime: max abs diff %.3g, relative to the output scale %.3g (%.0f%% of the tolerance)", d.maxAbs, d.maxRel, 100*d.worst)
				if d.worst > 1 {
					t.Errorf("output %q: wasmnn and ONNX Runtime differ by %.3g (%.3g of the output scale), beyond 1e-4 relative + 1e-5 absolute", name, d.maxAbs, d.maxRel)
				}
			}
			b, err := os.ReadFile(p.model)
			if err != nil {
				t.Fatal(err)
			}
			back, rep, err := Import(b, Options{})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			t.Logf("import: %d ONNX nodes -> %d nodes, %d fused", rep.ONNXNodes, rep.Nodes, len(rep.Fused))
			got := runNative(t, back, p.in)
			for name, w := range p.want {
				d, err := compareTensors(got[name], w)
				if err != nil {
					t.Fatalf("round trip output %q: %v", name, err)
				}
				if d.maxAbs != 0 {
					t.Errorf("round trip output %q differs from the original model by %.3g", name, d.maxAbs)
				}
			}
			if back.Meta.Preprocess == nil || len(back.Meta.Labels) != len(p.meta.Labels) || back.Meta.Name != p.meta.Name {
				t.Errorf("metadata lost in the round trip: %+v", back.Meta)
			}
		})
	}
}
