package runtime_test

import (
	"math"
	"os"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// TestOpDefs checks every op declaration for consistency: attribute names
// unique, defaults of the declared kind and inside the declared range,
// required attributes without defaults, optional inputs last, activation
// ops with their parameters declared, and fused-activation ops declaring
// the fused attributes.
func TestOpDefs(t *testing.T) {
	seenAct := map[ops.ActKind]string{}
	for _, d := range runtime.Ops() {
		t.Run(d.Name, func(t *testing.T) {
			if d.Doc == "" {
				t.Error("no Doc")
			}
			names := map[string]bool{}
			for _, a := range d.Attrs {
				if names[a.Name] {
					t.Errorf("attribute %s declared twice", a.Name)
				}
				names[a.Name] = true
				if a.Required && a.Default != nil {
					t.Errorf("attribute %s is required and has a default", a.Name)
				}
				switch a.Kind {
				case runtime.AttrInt:
					if v, ok := a.Default.(int64); ok && (v < a.Min || v > a.Max) {
						t.Errorf("attribute %s: default %d outside [%d, %d]", a.Name, v, a.Min, a.Max)
					} else if !ok && a.Default != nil {
						t.Errorf("attribute %s: default %T, want int64", a.Name, a.Default)
					}
				case runtime.AttrFloat:
					if _, ok := a.Default.(float64); !ok && a.Default != nil {
						t.Errorf("attribute %s: default %T, want float64", a.Name, a.Default)
					}
				case runtime.AttrString:
					if _, ok := a.Default.(string); !ok && a.Default != nil {
						t.Errorf("attribute %s: default %T, want string", a.Name, a.Default)
					}
				case runtime.AttrFloats:
					if a.Default != nil {
						t.Errorf("attribute %s: a list has no default", a.Name)
					}
				case runtime.AttrInts:
					if a.Default != nil {
						t.Errorf("attribute %s: a list has no default", a.Name)
					}
					if a.Min > a.Max {
						t.Errorf("attribute %s: empty range", a.Name)
					}
				default:
					t.Errorf("attribute %s: kind %d", a.Name, a.Kind)
				}
			}
			optional := false
			for i, in := range d.Inputs {
				if in.Optional {
					optional = true
				} else if optional {
					t.Errorf("input %d (%s) is required after an optional one", i, in.Name)
				}
				if in.Variadic && i != len(d.Inputs)-1 {
					t.Errorf("input %d (%s) is variadic but not last", i, in.Name)
				}
			}
			if lo, hi := d.Arity(); lo < 1 || hi < lo {
				t.Errorf("arity %d..%d", lo, hi)
			}
			if d.FusesAct {
				for _, name := range []string{"activation", "alpha", "beta"} {
					if a := d.Attr(name); a == nil || !a.Internal {
						t.Errorf("fuses an activation but does not declare %s as internal", name)
					}
				}
			}
			if d.Act != ops.ActNone {
				if other, dup := seenAct[d.Act]; dup {
					t.Errorf("computes %v, as %s does", d.Act, other)
				}
				seenAct[d.Act] = d.Name
				for _, p := range d.ActAttrs {
					if a := d.Attr(p); p != "" && (a == nil || a.Kind != runtime.AttrFloat || a.Default == nil) {
						t.Errorf("activation parameter %q is not a float attribute with a default", p)
					}
				}
				if got, ok := runtime.ActivationOp(d.Act); !ok || got != d {
					t.Errorf("ActivationOp(%v) is not this op", d.Act)
				}
			}
		})
	}
}

// TestFormatDocListsOps requires docs/FORMAT.md's op table to have a row for
// every op, naming each of its attributes that is not a fused-activation one.
func TestFormatDocListsOps(t *testing.T) {
	b, err := os.ReadFile("../docs/FORMAT.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 5 || !strings.Contains(cells[1], "`") {
			continue
		}
		for _, name := range strings.Split(cells[1], ",") {
			rows[strings.Trim(strings.TrimSpace(name), "`")] = line
		}
	}
	for _, d := range runtime.Ops() {
		row, ok := rows[d.Name]
		if !ok {
			t.Errorf("docs/FORMAT.md has no row for op %s", d.Name)
			continue
		}
		for _, a := range d.Attrs {
			if !a.Internal && !strings.Contains(row, "`"+a.Name+"`") {
				t.Errorf("docs/FORMAT.md: the row of %s does not name attribute %s", d.Name, a.Name)
			}
		}
	}
}

// TestActivationAttrsRoundTrip checks that a fused activation written by
// FuseActivationAttrs reads back as the same activation, and that the
// standalone op's attributes from ActivationAttrs do too.
func TestActivationAttrsRoundTrip(t *testing.T) {
	acts := []ops.Activation{
		{Kind: ops.ActReLU}, {Kind: ops.ActLeakyReLU, Alpha: 0.01}, {Kind: ops.ActLeakyReLU, Alpha: 0.3},
		{Kind: ops.ActClip, Alpha: 0, Beta: 6}, {Kind: ops.ActClip, Alpha: float32(math.Inf(-1)), Beta: float32(math.Inf(1))},
		{Kind: ops.ActSigmoid}, {Kind: ops.ActTanh},
	}
	for _, act := range acts {
		conv := &runtime.Node{Name: "c", Op: "Conv", Attrs: runtime.FuseActivationAttrs(map[string]any{"group": int64(1)}, act)}
		got, err := runtime.FusedActivation(conv)
		if err != nil || got != act {
			t.Errorf("%+v: fused reads back %+v, %v", act, got, err)
		}
		d, ok := runtime.ActivationOp(act.Kind)
		if !ok {
			t.Fatalf("%v: no op", act.Kind)
		}
		got, ok = runtime.ActivationOf(&runtime.Node{Name: "a", Op: d.Name, Attrs: runtime.ActivationAttrs(act)})
		if !ok || got != act {
			t.Errorf("%+v: %s reads back %+v", act, d.Name, got)
		}
	}
}

// TestInferShapesErrors checks that the shape rule's errors name the node
// and the shapes, and catch arity, weights and attributes.
func TestInferShapesErrors(t *testing.T) {
	cases := []struct {
		name   string
		n      *runtime.Node
		shapes [][]int
		weight []bool
		want   string
	}{
		{"arity", &runtime.Node{Name: "r", Op: "Relu"}, [][]int{{1}, {1}}, nil, "has 2 inputs, want 1 to 1"},
		{"weight", &runtime.Node{Name: "c", Op: "Conv"}, [][]int{{1, 1, 4, 4}, {1, 1, 3, 3}}, []bool{false, false}, "must be a weight tensor"},
		{"unknown attr", &runtime.Node{Name: "r", Op: "Relu", Attrs: map[string]any{"alpha": 1.0}}, [][]int{{1}}, nil, "unknown attributes [alpha]"},
		{"range", &runtime.Node{Name: "c", Op: "Conv", Attrs: map[string]any{"group": int64(0)}}, [][]int{{1, 1, 4, 4}, {1, 1, 3, 3}}, []bool{false, true}, "group = 0 is out of range"},
		{"required", &runtime.Node{Name: "p", Op: "MaxPool"}, [][]int{{1, 1, 4, 4}}, nil, "attribute kernel_shape is required"},
		{"shape", &runtime.Node{Name: "a", Op: "Pow"}, [][]int{{2, 3}, {4}}, nil, "do not broadcast"},
		{"reshape", &runtime.Node{Name: "rs", Op: "Reshape", Attrs: map[string]any{"shape": []int64{5, -1}}}, [][]int{{2, 3}}, nil, "cannot reshape [2 3]"},
		{"op", &runtime.Node{Name: "x", Op: "Nope"}, [][]int{{1}}, nil, `"Nope" (node "x")`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := runtime.InferShapes(c.n, c.shapes, c.weight)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if c.name != "op" && !strings.Contains(err.Error(), `node "`+c.n.Name+`"`) {
				t.Errorf("error %v does not name the node", err)
			}
		})
	}
	out, err := runtime.InferShapes(&runtime.Node{Name: "c", Op: "Conv", Attrs: map[string]any{"pads": []int64{1, 1, 1, 1}}},
		[][]int{{2, 3, 8, 8}, {5, 3, 3, 3}, {5}}, []bool{false, true, true})
	if err != nil || len(out) != 1 || !ops.EqualShapes(out[0], []int{2, 5, 8, 8}) {
		t.Errorf("conv shapes %v, %v", out, err)
	}
}
