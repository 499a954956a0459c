// Package sharedmem rewrites a WebAssembly module so that its linear memory
// is a shared memory, the kind several threads (Web Workers, Node worker
// threads, wazero instances on goroutines) can use at once.
//
// Go's GOOS=js linker defines the module's memory as an ordinary one (limits
// with a minimum and no maximum), and wasmnn's SIMD kernel module
// (wasm/simd) imports an ordinary memory. A shared memory needs a maximum,
// and an import must say shared to accept one, so Share changes exactly the
// limits of the module's one memory, defined or imported: flags 0x03
// (shared, with a maximum), the same minimum, and the maximum given. Nothing
// else in the module changes, so the rewritten module runs the same code on
// the same addresses: its output is bit for bit the one of the original.
// Go's garbage collector does not move objects, so the buffers the Go side
// hands to kernels on other threads stay where they are.
//
// The JS package (js/wasmnn.js, shareMemory) does the same rewrite when it
// starts the module with threads; TestShareMatchesJS checks that both give the
// same bytes.
package sharedmem

import (
	"errors"
	"fmt"
)

// MaxPages is the maximum, in 64 KiB pages, that the JS package and the
// wazero host give a shared memory: 2 GiB. A shared memory cannot move when
// it grows, so engines reserve its maximum up front as address space; 2 GiB
// leaves room for the largest models wasmnn runs in a page while staying
// within what 64-bit browsers reserve without complaint.
const MaxPages = 32768

// Share returns a copy of the WebAssembly binary mod whose one memory
// (defined in its memory section or imported) is shared with a maximum of
// maxPages pages. It fails, saying why, if mod is not a WebAssembly binary,
// has no memory or more than one, is a 64-bit memory, or declares a minimum
// above maxPages. A memory that is already shared gets the new maximum.
func Share(mod []byte, maxPages uint32) ([]byte, error) {
	if maxPages == 0 || maxPages > 65536 {
		return nil, fmt.Errorf("sharedmem: maximum %d pages is out of range [1, 65536]", maxPages)
	}
	if len(mod) < 8 || string(mod[:4]) != "\x00asm" || mod[4] != 1 || mod[5] != 0 || mod[6] != 0 || mod[7] != 0 {
		return nil, errors.New("sharedmem: not a WebAssembly binary (version 1)")
	}
	out := append([]byte(nil), mod[:8]...)
	memories := 0
	r := reader{b: mod, off: 8}
	for r.off < len(mod) {
		id := r.byte()
		size := r.uleb()
		if r.err != nil || uint64(len(mod)-r.off) < size {
			return nil, fmt.Errorf("sharedmem: section at byte %d runs past the end of the module", r.off)
		}
		body := mod[r.off : r.off+int(size)]
		r.off += int(size)
		var err error
		n := 0
		switch id {
		case 2:
			body, n, err = shareImports(body, maxPages)
		case 5:
			body, n, err = shareMemories(body, maxPages)
		}
		if err != nil {
			return nil, err
		}
		memories += n
		out = append(out, id)
		out = appendUleb(out, uint64(len(body)))
		out = append(out, body...)
	}
	if memories != 1 {
		return nil, fmt.Errorf("sharedmem: the module has %d memories, want 1", memories)
	}
	return out, nil
}

// shareMemories rewrites a memory section; it returns the new body and the
// number of memories in it.
func shareMemories(body []byte, maxPages uint32) ([]byte, int, error) {
	r := reader{b: body}
	n := r.uleb()
	out := appendUleb(nil, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		lim, err := r.shareLimits(maxPages)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, lim...)
	}
	if r.err != nil || r.off != len(body) {
		return nil, 0, errors.New("sharedmem: malformed memory section")
	}
	return out, int(n), nil
}

// shareImports rewrites the memory imports of an import section; it returns
// the new body and the number of memory imports.
func shareImports(body []byte, maxPages uint32) ([]byte, int, error) {
	r := reader{b: body}
	n := r.uleb()
	out := appendUleb(nil, n)
	mems := 0
	for i := uint64(0); i < n && r.err == nil; i++ {
		start := r.off
		r.name()
		r.name()
		kind := r.byte()
		switch kind {
		case 0: // function: type index
			r.uleb()
		case 1: // table: reference type, limits
			r.byte()
			r.limits()
		case 3: // global: value type, mutability
			r.byte()
			r.byte()
		case 2:
			out = append(out, body[start:r.off]...)
			lim, err := r.shareLimits(maxPages)
			if err != nil {
				return nil, 0, err
			}
			out = append(out, lim...)
			mems++
			continue
		default:
			return nil, 0, fmt.Errorf("sharedmem: import %d has unknown kind %d", i, kind)
		}
		out = append(out, body[start:r.off]...)
	}
	if r.err != nil || r.off != len(body) {
		return nil, 0, errors.New("sharedmem: malformed import section")
	}
	return out, mems, nil
}

// reader decodes the parts of a module Share needs; the first error sticks.
type reader struct {
	b   []byte
	off int
	err error
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.err = errors.New("unexpected end")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) uleb() uint64 {
	var v uint64
	for shift := uint(0); shift < 64; shift += 7 {
		c := r.byte()
		v |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return v
		}
	}
	if r.err == nil {
		r.err = errors.New("LEB128 too long")
	}
	return 0
}

func (r *reader) name() {
	n := r.uleb()
	if r.err == nil && uint64(len(r.b)-r.off) < n {
		r.err = errors.New("name runs past the end")
		return
	}
	r.off += int(n)
}

// limits skips table limits.
func (r *reader) limits() {
	if r.byte()&1 != 0 {
		r.uleb()
	}
	r.uleb()
}

// shareLimits reads memory limits and returns them shared with maxPages.
func (r *reader) shareLimits(maxPages uint32) ([]byte, error) {
	flags := r.byte()
	if flags > 3 || flags == 2 {
		return nil, fmt.Errorf("sharedmem: memory limits flags 0x%02x: only 32-bit memories can be shared here", flags)
	}
	min := r.uleb()
	if flags&1 != 0 {
		r.uleb()
	}
	if r.err != nil {
		return nil, fmt.Errorf("sharedmem: malformed memory limits: %v", r.err)
	}
	if min > uint64(maxPages) {
		return nil, fmt.Errorf("sharedmem: the memory's minimum of %d pages is above the maximum of %d", min, maxPages)
	}
	out := []byte{0x03}
	out = appendUleb(out, min)
	return appendUleb(out, uint64(maxPages)), nil
}

func appendUleb(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
