package sharedmem

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wasmnn/wasmnn/wasm/simd"
)

// module assembles a binary from sections (id, body).
func module(sections ...[]byte) []byte {
	out := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	for _, s := range sections {
		out = append(out, s[0])
		out = appendUleb(out, uint64(len(s)-1))
		out = append(out, s[1:]...)
	}
	return out
}

func TestShare(t *testing.T) {
	// A defined memory with minimum 17 pages, no maximum, between a type
	// section and an export section.
	types := []byte{1, 1, 0x60, 0, 0}
	exports := []byte{7, 1, 3, 'm', 'e', 'm', 0x02, 0}
	defined := module(types, []byte{5, 1, 0x00, 17}, exports)
	wantDefined := module(types, []byte{5, 1, 0x03, 17, 0x80, 0x80, 0x02}, exports)
	// An import section with a function, a global and a memory (min 0, max 3).
	imports := func(lim ...byte) []byte {
		s := []byte{2, 3, 1, 'a', 1, 'f', 0x00, 0, 1, 'a', 1, 'g', 0x03, 0x7f, 0, 2, 'g', 'o', 3, 'm', 'e', 'm', 0x02}
		return append(s, lim...)
	}
	imported := module(types, imports(0x01, 0, 3))
	wantImported := module(types, imports(0x03, 0, 0x80, 0x80, 0x02))
	for _, tc := range []struct {
		name    string
		in      []byte
		max     uint32
		want    []byte
		wantErr string
	}{
		{"defined", defined, 32768, wantDefined, ""},
		{"imported", imported, 32768, wantImported, ""},
		{"already shared", wantDefined, 32768, wantDefined, ""},
		{"not wasm", []byte("hello, world"), 32768, nil, "not a WebAssembly binary"},
		{"no memory", module(types, exports), 32768, nil, "0 memories"},
		{"two memories", module(imports(0x00, 1), []byte{5, 1, 0x00, 1}), 32768, nil, "2 memories"},
		{"minimum above maximum", defined, 16, nil, "minimum of 17 pages is above the maximum of 16"},
		{"truncated", defined[:len(defined)-3], 32768, nil, "runs past the end"},
		{"64-bit memory", module([]byte{5, 1, 0x04, 1}), 32768, nil, "only 32-bit memories"},
		{"maximum out of range", defined, 70000, nil, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Share(tc.in, tc.max)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Fatalf("got  % x\nwant % x", got, tc.want)
			}
		})
	}
}

// TestShareKernelModule: the SIMD kernel module's memory import becomes
// shared, and only its limits change.
func TestShareKernelModule(t *testing.T) {
	in := simd.Module()
	out, err := Share(in, MaxPages)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in)+3 {
		t.Fatalf("shared module has %d bytes, want %d (limits 00 00 become 03 00 80 80 02)", len(out), len(in)+3)
	}
	again, err := Share(out, MaxPages)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("sharing twice changed the module (err %v)", err)
	}
}
