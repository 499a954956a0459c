// Package zoo builds the classic convolutional networks as wasmnn models with
// He-initialised weights from a seed: LeNet-5, and AlexNet, VGG-16, GoogLeNet
// (Inception v1, without the auxiliary heads), ResNet-18, ResNet-34 and
// ResNet-50 layer for layer as torchvision defines them for 3x224x224 input
// and 1000 classes, so that their parameter counts and multiply-adds equal the
// published figures for those definitions (see Published).
//
// The models output logits (no final softmax), as torchvision's do.
package zoo

import (
	"fmt"
	"sort"

	"github.com/wasmnn/wasmnn/runtime"
)

// Config chooses a build's size and seed. Zero values take the defaults: seed
// 0 is a valid seed, batch 1, the architecture's own input size and class
// count.
type Config struct {
	Seed      uint64
	Batch     int
	InputSize int // height = width; torchvision-exact only at the default
	Classes   int
}

// Arch describes a zoo architecture.
type Arch struct {
	Name        string
	Description string
	InputSize   int // default input height and width
	Channels    int
	Classes     int
	// Published holds the reference figures for the default configuration:
	// trainable parameters and multiply-adds (torchvision's "GFLOPS" column
	// counts multiply-adds of conv and linear layers).
	PublishedParams int64
	PublishedGMACs  float64
	build           func(b *runtime.Builder, x string, classes int) string
}

var archs = map[string]*Arch{
	"lenet5": {Name: "lenet5", Description: "LeNet-5: conv5x5 6, maxpool, conv5x5 16, maxpool, FC 120, 84, 10 (ReLU)",
		InputSize: 32, Channels: 1, Classes: 10, PublishedParams: 61706, PublishedGMACs: 0.0004165, build: lenet5},
	"alexnet": {Name: "alexnet", Description: "AlexNet as torchvision defines it (no LRN)",
		InputSize: 224, Channels: 3, Classes: 1000, PublishedParams: 61100840, PublishedGMACs: 0.71, build: alexnet},
	"vgg16": {Name: "vgg16", Description: "VGG-16 (configuration D) without batch norm",
		InputSize: 224, Channels: 3, Classes: 1000, PublishedParams: 138357544, PublishedGMACs: 15.47, build: vgg16},
	"googlenet": {Name: "googlenet", Description: "GoogLeNet (Inception v1) as torchvision defines it, without auxiliary heads",
		InputSize: 224, Channels: 3, Classes: 1000, PublishedParams: 6624904, PublishedGMACs: 1.50, build: googlenet},
	"resnet18": {Name: "resnet18", Description: "ResNet-18 (basic blocks [2, 2, 2, 2])",
		InputSize: 224, Channels: 3, Classes: 1000, PublishedParams: 11689512, PublishedGMACs: 1.81, build: resnet([]int{2, 2, 2, 2}, false)},
	"resnet34": {Name: "resnet34", Description: "ResNet-34 (basic blocks [3, 4, 6, 3])",
		InputSize: 224, Channels: 3, Classes: 1000, PublishedParams: 21797672, PublishedGMACs: 3.66, build: resnet([]int{3, 4, 6, 3}, false)},
	"mobilenetv2": {Name: "mobilenetv2", Description: "MobileNetV2 (width 1.0) as torchvision defines it: inverted residuals with depthwise 3x3 convs and ReLU6 (Clip 0..6)",
		InputSize: 224, Channels: 3, Classes: 1000, PublishedParams: 3504872, PublishedGMACs: 0.30, build: mobilenetv2},
	"resnet50": {Name: "resnet50", Description: "ResNet-50 (bottleneck blocks [3, 4, 6, 3], stride on the 3x3 conv: torchvision's v1.5)",
		InputSize: 224, Channels: 3, Classes: 1000, PublishedParams: 25557032, PublishedGMACs: 4.09, build: resnet([]int{3, 4, 6, 3}, true)},
}

// Names returns the architecture names in a fixed order.
func Names() []string {
	return []string{"lenet5", "alexnet", "vgg16", "googlenet", "resnet18", "resnet34", "resnet50", "mobilenetv2"}
}

// Get returns the named architecture.
func Get(name string) (*Arch, error) {
	a, ok := archs[name]
	if !ok {
		names := Names()
		sort.Strings(names)
		return nil, fmt.Errorf("unknown architecture %q (the zoo has %v)", name, Names())
	}
	return a, nil
}

// Build builds the named architecture.
func Build(name string, cfg Config) (*runtime.Model, error) {
	a, err := Get(name)
	if err != nil {
		return nil, err
	}
	return a.Build(cfg)
}

// Build builds the architecture with the given configuration.
func (a *Arch) Build(cfg Config) (*runtime.Model, error) {
	batch, size, classes := cfg.Batch, cfg.InputSize, cfg.Classes
	if batch == 0 {
		batch = 1
	}
	if size == 0 {
		size = a.InputSize
	}
	if classes == 0 {
		classes = a.Classes
	}
	if batch < 1 || size < 1 || classes < 1 || batch > 1024 || size > 4096 || classes > 1<<20 {
		return nil, fmt.Errorf("%s: batch %d, input size %d, classes %d out of range", a.Name, batch, size, classes)
	}
	b := runtime.NewBuilder(a.Name, cfg.Seed)
	x := b.Input("input", batch, a.Channels, size, size)
	out := a.build(b, x, classes)
	b.Output(out)
	meta := b.Meta()
	meta.Description = a.Description + fmt.Sprintf("; random He-initialised weights (seed %d)", cfg.Seed)
	meta.Labels = make([]string, classes)
	for i := range meta.Labels {
		meta.Labels[i] = fmt.Sprint(i)
	}
	if a.Channels == 3 {
		meta.Preprocess = &runtime.Preprocess{Width: size, Height: size, Channels: 3,
			Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}, Layout: "NCHW"}
	} else {
		content := size * 28 / 32
		meta.Preprocess = &runtime.Preprocess{Width: size, Height: size, ContentWidth: content, ContentHeight: content,
			Channels: 1, Invert: true, Mean: []float32{0.1307}, Std: []float32{0.3081}, Layout: "NCHW"}
	}
	meta.Extra = map[string]string{"architecture": a.Name, "weights": "random"}
	m, err := b.Model()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", a.Name, err)
	}
	return m, nil
}

func k2(k int) []int   { return []int{k, k} }
func pads(p int) []int { return []int{p, p, p, p} }
func s2(s int) []int   { return []int{s, s} }
func relu(b *runtime.Builder, name, x string) string {
	return b.Act(name, "Relu", x, nil)
}

func lenet5(b *runtime.Builder, x string, classes int) string {
	x = relu(b, "relu1", b.Conv("conv1", x, 6, runtime.ConvSpec{Kernel: k2(5), Bias: true}))
	x = b.Pool("pool1", "MaxPool", x, 2, 2, 0, false)
	x = relu(b, "relu2", b.Conv("conv2", x, 16, runtime.ConvSpec{Kernel: k2(5), Bias: true}))
	x = b.Pool("pool2", "MaxPool", x, 2, 2, 0, false)
	x = b.Flatten("flatten", x)
	x = relu(b, "relu3", b.Dense("fc1", x, 120))
	x = relu(b, "relu4", b.Dense("fc2", x, 84))
	return b.Dense("fc3", x, classes)
}

func alexnet(b *runtime.Builder, x string, classes int) string {
	conv := func(name, x string, out, k, s, p int) string {
		return relu(b, name+".relu", b.Conv(name, x, out, runtime.ConvSpec{Kernel: k2(k), Strides: s2(s), Pads: pads(p), Bias: true}))
	}
	x = conv("features.0", x, 64, 11, 4, 2)
	x = b.Pool("features.2", "MaxPool", x, 3, 2, 0, false)
	x = conv("features.3", x, 192, 5, 1, 2)
	x = b.Pool("features.5", "MaxPool", x, 3, 2, 0, false)
	x = conv("features.6", x, 384, 3, 1, 1)
	x = conv("features.8", x, 256, 3, 1, 1)
	x = conv("features.10", x, 256, 3, 1, 1)
	x = b.Pool("features.12", "MaxPool", x, 3, 2, 0, false)
	x = b.Flatten("flatten", x)
	x = b.Dropout("classifier.0", x, 0.5)
	x = relu(b, "classifier.2", b.Dense("classifier.1", x, 4096))
	x = b.Dropout("classifier.3", x, 0.5)
	x = relu(b, "classifier.5", b.Dense("classifier.4", x, 4096))
	return b.Dense("classifier.6", x, classes)
}

func vgg16(b *runtime.Builder, x string, classes int) string {
	cfg := []int{64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0}
	for i, c := range cfg {
		name := fmt.Sprintf("features.%d", i)
		if c == 0 {
			x = b.Pool(name, "MaxPool", x, 2, 2, 0, false)
			continue
		}
		x = relu(b, name+".relu", b.Conv(name, x, c, runtime.ConvSpec{Kernel: k2(3), Pads: pads(1), Bias: true}))
	}
	x = b.Flatten("flatten", x)
	x = relu(b, "classifier.1", b.Dense("classifier.0", x, 4096))
	x = b.Dropout("classifier.2", x, 0.5)
	x = relu(b, "classifier.4", b.Dense("classifier.3", x, 4096))
	x = b.Dropout("classifier.5", x, 0.5)
	return b.Dense("classifier.6", x, classes)
}

// basicConv is torchvision's BasicConv2d / conv-bn(-relu): a conv without
// bias, a batch norm, and optionally a ReLU.
func basicConv(b *runtime.Builder, name, x string, out int, s runtime.ConvSpec, eps float64, act bool) string {
	x = b.BatchNorm(name+".bn", b.Conv(name+".conv", x, out, s), eps)
	if act {
		x = relu(b, name+".relu", x)
	}
	return x
}

func googlenet(b *runtime.Builder, x string, classes int) string {
	const eps = 0.001
	conv := func(name, x string, out, k, s, p int) string {
		return basicConv(b, name, x, out, runtime.ConvSpec{Kernel: k2(k), Strides: s2(s), Pads: pads(p)}, eps, true)
	}
	inception := func(name, x string, c1, c3r, c3, c5r, c5, pp int) string {
		b1 := conv(name+".branch1", x, c1, 1, 1, 0)
		b2 := conv(name+".branch2.1", conv(name+".branch2.0", x, c3r, 1, 1, 0), c3, 3, 1, 1)
		// torchvision's "5x5" branch uses a 3x3 kernel.
		b3 := conv(name+".branch3.1", conv(name+".branch3.0", x, c5r, 1, 1, 0), c5, 3, 1, 1)
		b4 := conv(name+".branch4.1", b.Pool(name+".branch4.0", "MaxPool", x, 3, 1, 1, true), pp, 1, 1, 0)
		return b.Concat(name, b1, b2, b3, b4)
	}
	x = conv("conv1", x, 64, 7, 2, 3)
	x = b.Pool("maxpool1", "MaxPool", x, 3, 2, 0, true)
	x = conv("conv2", x, 64, 1, 1, 0)
	x = conv("conv3", x, 192, 3, 1, 1)
	x = b.Pool("maxpool2", "MaxPool", x, 3, 2, 0, true)
	x = inception("inception3a", x, 64, 96, 128, 16, 32, 32)
	x = inception("inception3b", x, 128, 128, 192, 32, 96, 64)
	x = b.Pool("maxpool3", "MaxPool", x, 3, 2, 0, true)
	x = inception("inception4a", x, 192, 96, 208, 16, 48, 64)
	x = inception("inception4b", x, 160, 112, 224, 24, 64, 64)
	x = inception("inception4c", x, 128, 128, 256, 24, 64, 64)
	x = inception("inception4d", x, 112, 144, 288, 32, 64, 64)
	x = inception("inception4e", x, 256, 160, 320, 32, 128, 128)
	x = b.Pool("maxpool4", "MaxPool", x, 2, 2, 0, true)
	x = inception("inception5a", x, 256, 160, 320, 32, 128, 128)
	x = inception("inception5b", x, 384, 192, 384, 48, 128, 128)
	x = b.GlobalAvgPool("avgpool", x)
	x = b.Flatten("flatten", x)
	x = b.Dropout("dropout", x, 0.2)
	return b.Dense("fc", x, classes)
}

func resnet(blocks []int, bottleneck bool) func(b *runtime.Builder, x string, classes int) string {
	return func(b *runtime.Builder, x string, classes int) string {
		const eps = 1e-5
		cs := func(k, s, p int) runtime.ConvSpec {
			return runtime.ConvSpec{Kernel: k2(k), Strides: s2(s), Pads: pads(p)}
		}
		x = basicConv(b, "conv1", x, 64, cs(7, 2, 3), eps, true)
		x = b.Pool("maxpool", "MaxPool", x, 3, 2, 1, false)
		expansion := 1
		if bottleneck {
			expansion = 4
		}
		inC := 64
		for li, n := range blocks {
			width := 64 << li
			for bi := 0; bi < n; bi++ {
				name := fmt.Sprintf("layer%d.%d", li+1, bi)
				stride := 1
				if bi == 0 && li > 0 {
					stride = 2
				}
				identity := x
				var y string
				if bottleneck {
					y = basicConv(b, name+".1", x, width, cs(1, 1, 0), eps, true)
					y = basicConv(b, name+".2", y, width, cs(3, stride, 1), eps, true)
					y = basicConv(b, name+".3", y, width*expansion, cs(1, 1, 0), eps, false)
				} else {
					y = basicConv(b, name+".1", x, width, cs(3, stride, 1), eps, true)
					y = basicConv(b, name+".2", y, width, cs(3, 1, 1), eps, false)
				}
				if stride != 1 || inC != width*expansion {
					identity = basicConv(b, name+".downsample", x, width*expansion, cs(1, stride, 0), eps, false)
				}
				x = relu(b, name+".relu", b.Add(name+".add", y, identity))
				inC = width * expansion
			}
		}
		x = b.GlobalAvgPool("avgpool", x)
		x = b.Flatten("flatten", x)
		return b.Dense("fc", x, classes)
	}
}

// mobilenetv2 is torchvision's mobilenet_v2 (width 1.0): a 3x3 stride-2 stem
// of 32 channels, the inverted residual blocks of the table below (t: the
// expansion of the 1x1 conv, c: output channels, n: blocks, s: the first
// block's stride), each expand (unless t is 1), depthwise 3x3 and linear
// project conv with batch norms, ReLU6 after the first two and a residual
// add when shape allows; then a 1x1 conv to 1280, average pooling, dropout
// and the classifier.
func mobilenetv2(b *runtime.Builder, x string, classes int) string {
	const eps = 1e-5
	relu6 := func(name, x string) string {
		return b.Act(name, "Clip", x, map[string]any{"min": float32(0), "max": float32(6)})
	}
	convBN := func(name, x string, out, k, s, groups int, act bool) string {
		x = b.BatchNorm(name+".bn", b.Conv(name+".conv", x, out, runtime.ConvSpec{
			Kernel: k2(k), Strides: s2(s), Pads: pads(k / 2), Groups: groups}), eps)
		if act {
			x = relu6(name+".relu6", x)
		}
		return x
	}
	x = convBN("features.0", x, 32, 3, 2, 1, true)
	inC := 32
	blocks := [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}}
	layer := 1
	for _, bl := range blocks {
		t, c, n, s := bl[0], bl[1], bl[2], bl[3]
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("features.%d", layer)
			stride := 1
			if i == 0 {
				stride = s
			}
			hidden := inC * t
			y := x
			if t != 1 {
				y = convBN(name+".expand", y, hidden, 1, 1, 1, true)
			}
			y = convBN(name+".dw", y, hidden, 3, stride, hidden, true)
			y = convBN(name+".project", y, c, 1, 1, 1, false)
			if stride == 1 && inC == c {
				y = b.Add(name+".add", x, y)
			}
			x, inC = y, c
			layer++
		}
	}
	x = convBN(fmt.Sprintf("features.%d", layer), x, 1280, 1, 1, 1, true)
	x = b.GlobalAvgPool("avgpool", x)
	x = b.Flatten("flatten", x)
	x = b.Dropout("dropout", x, 0.2)
	return b.Dense("classifier", x, classes)
}
