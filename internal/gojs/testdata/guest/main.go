//go:build js

// Command guest is the GOOS=js test module for packages gojs and host. It exposes a
// table of functions on globalThis.guest, a few //go:wasmexport functions for
// bulk transfer through linear memory, then signals readiness and blocks.
package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"runtime"
	"strings"
	"syscall/js"
	"time"
	"unsafe"
)

// buf is the guest-owned buffer handed out by alloc; keeping it in a global
// keeps it alive (and in place: the Go GC does not move heap objects).
var buf []float32

//go:wasmexport alloc
func alloc(n int32) *float32 {
	buf = make([]float32, n)
	if n == 0 {
		return nil
	}
	return &buf[0]
}

//go:wasmexport sumAt
func sumAt(ptr *float32, n int32) float64 {
	xs := unsafe.Slice(ptr, n)
	var s float64
	for _, x := range xs {
		s += float64(x)
	}
	return s
}

// bytesOf copies the bytes viewed by any typed array into Go.
func bytesOf(ta js.Value) []byte {
	u8 := js.Global().Get("Uint8Array").New(ta.Get("buffer"), ta.Get("byteOffset"), ta.Get("byteLength"))
	b := make([]byte, u8.Length())
	js.CopyBytesToGo(b, u8)
	return b
}

// newPromise returns a JS Promise whose executor receives resolve and reject.
func newPromise(run func(resolve, reject js.Value)) js.Value {
	executor := js.FuncOf(func(this js.Value, args []js.Value) any {
		run(args[0], args[1])
		return nil
	})
	defer executor.Release()
	return js.Global().Get("Promise").New(executor)
}

func jsError(msg string) js.Value {
	return js.Global().Get("Error").New(msg)
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exit-early" {
		fmt.Fprintln(os.Stderr, "guest: exiting before readiness as asked")
		os.Exit(3)
	}
	funcs := map[string]func(this js.Value, args []js.Value) any{
		"echo": func(this js.Value, args []js.Value) any { return args[0] },
		"typeOf": func(this js.Value, args []js.Value) any {
			return args[0].Type().String()
		},
		"spin": func(this js.Value, args []js.Value) any {
			// Busy for args[0] ms without yielding to the host.
			end := time.Now().Add(time.Duration(args[0].Float() * float64(time.Millisecond)))
			n := 0
			for time.Now().Before(end) {
				n++
			}
			return n
		},
		"add": func(this js.Value, args []js.Value) any {
			var s float64
			for _, a := range args {
				s += a.Float()
			}
			return s
		},
		"concat": func(this js.Value, args []js.Value) any {
			parts := make([]string, len(args))
			for i, a := range args {
				parts[i] = a.String()
			}
			return strings.Join(parts, "")
		},
		"bytesLen": func(this js.Value, args []js.Value) any {
			b := make([]byte, args[0].Length())
			n := js.CopyBytesToGo(b, args[0])
			var s int
			for _, x := range b[:n] {
				s += int(x)
			}
			return []any{n, s}
		},
		"reverseBytes": func(this js.Value, args []js.Value) any {
			b := make([]byte, args[0].Length())
			js.CopyBytesToGo(b, args[0])
			for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
				b[i], b[j] = b[j], b[i]
			}
			out := js.Global().Get("Uint8Array").New(len(b))
			js.CopyBytesToJS(out, b)
			return out
		},
		"sumF32": func(this js.Value, args []js.Value) any {
			b := bytesOf(args[0])
			var s float64
			for i := 0; i+4 <= len(b); i += 4 {
				s += float64(math.Float32frombits(binary.LittleEndian.Uint32(b[i:])))
			}
			return s
		},
		"makeF32": func(this js.Value, args []js.Value) any {
			n, scale := args[0].Int(), args[1].Float()
			b := make([]byte, 4*n)
			for i := 0; i < n; i++ {
				binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(float64(i)*scale)))
			}
			u8 := js.Global().Get("Uint8Array").New(len(b))
			js.CopyBytesToJS(u8, b)
			return js.Global().Get("Float32Array").New(u8.Get("buffer"), 0, n)
		},
		"describe": func(this js.Value, args []js.Value) any {
			o := args[0]
			return fmt.Sprintf("%s:%d:%v", o.Get("name").String(), o.Get("items").Length(), o.Get("items").Index(1).Float())
		},
		"delayed": func(this js.Value, args []js.Value) any {
			v := args[0].Float()
			return newPromise(func(resolve, reject js.Value) {
				go func() {
					time.Sleep(10 * time.Millisecond)
					resolve.Invoke(v + 1)
				}()
			})
		},
		"never": func(this js.Value, args []js.Value) any {
			return newPromise(func(resolve, reject js.Value) {})
		},
		"thenAdd": func(this js.Value, args []js.Value) any {
			x := args[1].Float()
			var f js.Func
			f = js.FuncOf(func(this js.Value, a []js.Value) any {
				f.Release()
				return a[0].Float() + x
			})
			return args[0].Call("then", f)
		},
		"catchMsg": func(this js.Value, args []js.Value) any {
			var f js.Func
			f = js.FuncOf(func(this js.Value, a []js.Value) any {
				f.Release()
				return "caught: " + a[0].Get("message").String()
			})
			return args[0].Call("catch", f)
		},
		"timeout": func(this js.Value, args []js.Value) any {
			ms, v := args[0], args[1]
			return newPromise(func(resolve, reject js.Value) {
				var f js.Func
				f = js.FuncOf(func(this js.Value, a []js.Value) any {
					f.Release()
					resolve.Invoke(a[0])
					return nil
				})
				js.Global().Call("setTimeout", f, ms, v)
			})
		},
		"fail": func(this js.Value, args []js.Value) any {
			msg := args[0].String()
			return newPromise(func(resolve, reject js.Value) {
				go func() { reject.Invoke(jsError(msg)) }()
			})
		},
		"risky": func(this js.Value, args []js.Value) any {
			n := args[0].Int()
			return newPromise(func(resolve, reject js.Value) {
				defer func() {
					if r := recover(); r != nil {
						reject.Invoke(jsError(fmt.Sprint("recovered: ", r)))
					}
				}()
				xs := make([]int, 3)
				resolve.Invoke(xs[n])
			})
		},
		"print": func(this js.Value, args []js.Value) any {
			fmt.Println(args[0].String())
			fmt.Fprintln(os.Stderr, "err:", args[0].String())
			return nil
		},
		"callHost": func(this js.Value, args []js.Value) any {
			return args[0].Invoke(args[1], args[2]).Float() + 1
		},
		"callGlobal": func(this js.Value, args []js.Value) any {
			return js.Global().Call(args[0].String(), args[1]).Float()
		},
		"catchHost": func(this js.Value, args []js.Value) (res any) {
			defer func() {
				if r := recover(); r != nil {
					var e js.Error
					if errors.As(r.(error), &e) {
						res = "caught: " + e.Get("message").String()
					}
				}
			}()
			js.Global().Call(args[0].String())
			return "no exception"
		},
		"env": func(this js.Value, args []js.Value) any {
			return os.Getenv(args[0].String())
		},
		"args": func(this js.Value, args []js.Value) any {
			return strings.Join(os.Args, " ")
		},
		"gc": func(this js.Value, args []js.Value) any {
			runtime.GC()
			return nil
		},
		"panic": func(this js.Value, args []js.Value) any {
			panic("guest panics on purpose")
		},
		"exit": func(this js.Value, args []js.Value) any {
			os.Exit(args[0].Int())
			return nil
		},
	}
	obj := js.Global().Get("Object").New()
	for name, f := range funcs {
		obj.Set(name, js.FuncOf(f))
	}
	js.Global().Set("guest", obj)
	js.Global().Call("__wasmnnReady")
	select {}
}
