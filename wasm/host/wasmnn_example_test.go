package host_test

import (
	"context"
	"fmt"
	"os"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime/zoo"
	"github.com/wasmnn/wasmnn/wasm/host"
)

// Example_wasmnn runs LeNet-5 inside wasmnn.wasm under wazero: New starts the
// browser module, Load plans a .wnn model in it, Run computes.
func Example_wasmnn() {
	wasm, err := os.ReadFile("../../js/dist/wasmnn.wasm") // built by make wasm
	if err != nil {
		fmt.Println("build the module first: make wasm")
		return
	}
	ctx := context.Background()
	h, err := host.New(ctx, wasm)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close(ctx)
	m, _ := zoo.Build("lenet5", zoo.Config{Seed: 1})
	file, _ := m.Encode()
	model, err := h.Load(file, host.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer model.Dispose()
	x, _ := ops.NewTensor(1, 1, 32, 32)
	out, err := model.Run(ctx, map[string]*ops.Tensor{"input": x})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(model.Inputs[0].Name, model.Inputs[0].Shape, "->", out["fc3"].Shape)
}
