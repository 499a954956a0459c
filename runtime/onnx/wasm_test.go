package onnx

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/wasmnn/wasmnn/internal/wasmtest"
	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
	"github.com/wasmnn/wasmnn/wasm/host"
)

var (
	guestOnce sync.Once
	guestHost *host.Host
	guestErr  error
)

// wasmGuest returns a wazero host running the wasm build of wasmnn (see
// internal/wasmtest). It returns nil under -short.
func wasmGuest(t *testing.T) *host.Host {
	t.Helper()
	if testing.Short() {
		return nil
	}
	guestOnce.Do(func() {
		b, err := wasmtest.Module()
		if err != nil {
			guestErr = err
			return
		}
		guestHost, guestErr = host.New(context.Background(), b, host.WithCompilationCacheDir(wasmtest.CacheDir()))
	})
	if guestErr != nil {
		t.Fatalf("wasm guest: %v", guestErr)
	}
	return guestHost
}

// guestMatches runs m in the wasm guest and requires the native outputs bit
// for bit.
func guestMatches(t *testing.T, h *host.Host, m *runtime.Model, in, want map[string]*ops.Tensor) {
	t.Helper()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	gm, err := h.Load(b, host.LoadOptions{})
	if err != nil {
		t.Fatalf("wasm load: %v", err)
	}
	defer gm.Dispose()
	got, err := gm.Run(context.Background(), in)
	if err != nil {
		t.Fatalf("wasm run: %v", err)
	}
	for name, w := range want {
		g := got[name]
		if g == nil || !ops.EqualShapes(g.Shape, w.Shape) {
			t.Fatalf("wasm output %q missing or of the wrong shape", name)
		}
		for i := range w.Data {
			if math.Float32bits(g.Data[i]) != math.Float32bits(w.Data[i]) && !(g.Data[i] != g.Data[i] && w.Data[i] != w.Data[i]) {
				t.Fatalf("wasm output %q[%d] = %v, native %v", name, i, g.Data[i], w.Data[i])
			}
		}
	}
}
