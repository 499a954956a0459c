package wasmtest

import (
	"github.com/wasmnn/wasmnn/runtime"
)

// Fixtures are the models the JS tests read from js/test/fixtures, by file
// name: DynamicNet(DynamicSeed) and, with its first convolution unpadded (it
// then needs a width of 3 or more), NarrowDynamicNet(DynamicSeed).
// TestFixtures keeps the committed files current.
var Fixtures = map[string]func(seed uint64) (*runtime.Model, error){
	"dynamic.wnn":        DynamicNet,
	"dynamic-narrow.wnn": NarrowDynamicNet,
}

// FixtureDir is the fixtures' directory, relative to the repository root.
const FixtureDir = "js/test/fixtures"

// DynamicSeed is the weight seed of the committed fixture.
const DynamicSeed = 7

// DynamicNet returns a small conv net whose input "x" has symbolic batch and
// width, [N 3 6 W] (representative shape [1 3 6 8]): two 3x3 convolutions
// (padded; batch norm and ReLU), a 2x2 max pool (ceil mode, so odd widths
// work), a global average pool and a dense layer. Its outputs are the dense
// layer's "d", [N 5], and the pool's "p", [N 8 3 ceil(W/2)]. Weights are
// random from seed.
func DynamicNet(seed uint64) (*runtime.Model, error) {
	b := runtime.NewBuilder("dynamic", seed)
	x := b.Input("x", 1, 3, 6, 8)
	c := b.Conv("c1", x, 8, runtime.ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}, Bias: true})
	c = b.BatchNorm("bn1", c, 1e-5)
	c = b.Act("r1", "Relu", c, nil)
	c = b.Conv("c2", c, 8, runtime.ConvSpec{Kernel: []int{3, 3}, Pads: []int{1, 1, 1, 1}, Bias: true})
	c = b.Act("r2", "Relu", c, nil)
	p := b.Pool("p", "MaxPool", c, 2, 2, 0, true)
	g := b.GlobalAvgPool("g", p)
	f := b.Flatten("f", g)
	d := b.Dense("d", f, 5)
	b.Output(d, p)
	b.Meta().Description = "wasmnn's dynamic-shape test net: input [N 3 6 W]"
	m, err := b.Model()
	if err != nil {
		return nil, err
	}
	m.Inputs[0].Dims = []string{"N", "", "", "W"}
	return m, nil
}

// NarrowDynamicNet is DynamicNet with its first convolution unpadded: inputs
// narrower than 3 fail to plan, with an error naming the node "c1" and the
// input shapes.
func NarrowDynamicNet(seed uint64) (*runtime.Model, error) {
	m, err := DynamicNet(seed)
	if err != nil {
		return nil, err
	}
	for _, n := range m.Nodes {
		if n.Name == "c1" {
			n.Attrs["pads"] = []int64{0, 0, 0, 0}
		}
	}
	m.Meta.Description = "wasmnn's dynamic-shape test net, first convolution unpadded: input [N 3 6 W], W >= 3"
	return m, nil
}
