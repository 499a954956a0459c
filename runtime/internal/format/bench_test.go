package format

import "testing"

// BenchmarkDecode decodes fullModel's encoding; -benchmem shows what a
// decode allocates.
func BenchmarkDecode(b *testing.B) {
	enc, err := Encode(fullModel(b))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncode encodes fullModel.
func BenchmarkEncode(b *testing.B) {
	m := fullModel(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeError decodes a file whose last node has a bad attribute,
// the path that names the node in the error.
func BenchmarkDecodeError(b *testing.B) {
	m := fullModel(b)
	m.Graph.Nodes[len(m.Graph.Nodes)-1].Attrs["axis"] = "x"
	enc, err := Encode(m)
	if err != nil {
		b.Fatal(err)
	}
	// Replace the fixstr "x" value (0xa1 'x') after "axis" with nil.
	for i := 0; i+1 < len(enc); i++ {
		if enc[i] == 0xa1 && enc[i+1] == 'x' && i > 4 && string(enc[i-4:i]) == "axis" {
			enc[i] = 0xc0
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc); err == nil {
			b.Fatal("no error")
		}
	}
}
