package simd

import "testing"

// TestPieces: the pieces cover [0, total) in order without gaps, their
// inner bounds are multiples of align, none is empty, and there are as many
// as asked for when there are enough aligned blocks.
func TestPieces(t *testing.T) {
	for _, tc := range []struct{ total, align, parts, want int }{
		{100, 1, 4, 4}, {3, 1, 8, 3}, {128, GemmTileRows, 8, 8}, {10, GemmTileRows, 8, 3},
		{50, GemmTileCols, 4, 4}, {7, 8, 4, 1}, {1000, 1, 99, MaxParts},
	} {
		k := Pieces(tc.total, tc.align, tc.parts)
		if k != tc.want {
			t.Errorf("Pieces(%d, %d, %d) = %d, want %d", tc.total, tc.align, tc.parts, k, tc.want)
		}
		at := 0
		for p := 0; p < k; p++ {
			lo, hi := Piece(tc.total, tc.align, k, p)
			if lo != at || hi <= lo || (p+1 < k && hi%tc.align != 0) {
				t.Errorf("Piece(%d, %d, %d, %d) = [%d, %d) after %d", tc.total, tc.align, k, p, lo, hi, at)
			}
			at = hi
		}
		if at != tc.total {
			t.Errorf("%+v: the pieces end at %d", tc, at)
		}
	}
}
