package runtime_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/runtime/zoo"
)

// Example is the README's Go API: build a model (or Load a .wnn file), plan
// a session for it, and run it on inputs keyed by name.
func Example() {
	ctx := context.Background()
	m, err := zoo.Build("resnet18", zoo.Config{Seed: 1}) // or runtime.Load(fileBytes)
	if err != nil {
		log.Fatal(err)
	}
	sess, err := runtime.NewSession(m, runtime.Options{}) // checks, plans, prepares
	if err != nil {
		log.Fatal(err)
	}
	x, _ := ops.NewTensor(1, 3, 224, 224)
	out, err := sess.Run(ctx, map[string]*ops.Tensor{"input": x})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out["fc"].Shape)
	// Output: [1 1000]
}

// ExampleLoad writes a model as a .wnn file and loads it back; a session
// tells the loaded model's inputs and outputs.
func ExampleLoad() {
	built, err := zoo.Build("lenet5", zoo.Config{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fileBytes, err := built.Encode()
	if err != nil {
		log.Fatal(err)
	}

	m, err := runtime.Load(fileBytes)
	if err != nil {
		log.Fatal(err)
	}
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		log.Fatal(err)
	}
	in, out := sess.Inputs()[0], sess.Outputs()[0]
	fmt.Println(m.Meta.Name, in.Name, in.ShapeString(), out.Name, out.ShapeString())
	// Output: lenet5 input [1 1 32 32] fc3 [1 10]
}

// ExampleNewBuilder builds a one-layer model, sets its weights and runs it:
// relu(W·x + b) with W = [[1 0] [0 -1]] and b = [0.5 0.5].
func ExampleNewBuilder() {
	b := runtime.NewBuilder("tiny", 1)
	x := b.Input("x", 1, 2)
	y := b.Act("relu", "Relu", b.Dense("fc", x, 2), nil)
	b.Output(y)
	m, err := b.Model()
	if err != nil {
		log.Fatal(err)
	}
	copy(m.Weights["fc.weight"].Data, []float32{1, 0, 0, -1}) // [out, in]
	copy(m.Weights["fc.bias"].Data, []float32{0.5, 0.5})

	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		log.Fatal(err)
	}
	out, err := sess.Run(context.Background(), map[string]*ops.Tensor{
		"x": {Shape: []int{1, 2}, Data: []float32{3, 4}},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(out[y].Shape, out[y].Data)
	// Output: [1 2] [3.5 0]
}

// ExampleSession_Summary prints a planned model's size and cost.
func ExampleSession_Summary() {
	m, err := zoo.Build("lenet5", zoo.Config{})
	if err != nil {
		log.Fatal(err)
	}
	sess, err := runtime.NewSession(m, runtime.Options{})
	if err != nil {
		log.Fatal(err)
	}
	sum := sess.Summary()
	fmt.Println(sum.Name, sum.TotalParams, "parameters,", sum.TotalMACs, "multiply-adds")
	// Output: lenet5 61706 parameters, 416520 multiply-adds
}
