package host_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/wasmnn/wasmnn/wasm/host"
)

// guestWasm returns testdata/guest built with GOOS=js GOARCH=wasm (TestMain
// builds it and says where).
func guestWasm() []byte {
	b, err := os.ReadFile(os.Getenv("WASMNN_HOST_TEST_GUEST"))
	if err != nil {
		log.Fatal(err)
	}
	return b
}

func Example() {
	ctx := context.Background()
	var stdout strings.Builder
	h, err := host.New(ctx, guestWasm(),
		host.WithStdout(&stdout),
		host.WithCompilationCacheDir(os.Getenv("WASMNN_HOST_TEST_CACHE")))
	if err != nil {
		log.Fatal(err)
	}
	defer h.Close(ctx)

	// The guest did js.Global().Set("guest", {add: js.FuncOf(...), ...}).
	guest := h.Global().Get("guest").(*host.Object)

	sum, err := h.Call(guest, "add", 1, 2.5)
	fmt.Println(sum, err)

	// delayed returns a Promise resolved by a goroutine after a sleep.
	p, err := h.Call(guest, "delayed", 41)
	if err != nil {
		log.Fatal(err)
	}
	v, err := h.Await(ctx, p)
	fmt.Println(v, err)

	total, err := h.Call(guest, "sumF32", []float32{0.5, 1.5, 2})
	fmt.Println(total, err)

	if _, err := h.Call(guest, "print", "hello from the guest"); err != nil {
		log.Fatal(err)
	}
	fmt.Print(stdout.String())
	// Output:
	// 3.5 <nil>
	// 42 <nil>
	// 4 <nil>
	// hello from the guest
}
