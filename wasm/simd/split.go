package simd

// Splitting kernel calls across threads. A host with threads (the JS
// package's worker pool, wasm/host's goroutines) runs one kernel call as
// several calls on disjoint regions of the output. Each output element is
// then computed by the same instructions, in the same order, as in one call,
// so results are bit-identical for every thread count.

// MaxParts bounds the parts of one split call (and so the threads that share
// it).
const MaxParts = 16

// partsPerThread is how many parts a split call gets per thread: more
// parts than threads let the threads that are running take the parts of
// one that the system has not scheduled yet, or that is still waking up (4
// measured better than 2 for ResNet-18 on 2 threads in Node).
const partsPerThread = 4

// gemmMinPart is the least work, in multiply-adds, worth one part of a gemm
// call: handing a part to another thread and waiting for it costs a few
// microseconds, the time of roughly this many multiply-adds.
const gemmMinPart = 1 << 16

// GemmParts returns how many parts a gemm call of m rows, n columns and depth
// kc is worth splitting into on threads threads: 1 (do not split) for small
// calls, else at most threads.
func GemmParts(m, n, kc, threads int) int {
	if threads <= 1 {
		return 1
	}
	tiles := max(m/GemmTileRows, n/GemmTileCols)
	return max(1, min(partsPerThread*threads, MaxParts, m*n*kc/gemmMinPart, tiles))
}

// rowMinPart is the least work, in elementary operations (roughly one
// vector lane's multiply-add or compare), worth one part of a kernel call
// split by rows.
const rowMinPart = 1 << 15

// RowParts returns how many parts a kernel call over rows independent rows
// (or channel groups), of work operations in all, is worth splitting into
// on threads threads: 1 (do not split) for small calls.
func RowParts(rows, work, threads int) int {
	if threads <= 1 {
		return 1
	}
	return max(1, min(partsPerThread*threads, MaxParts, rows, work/rowMinPart))
}

// GemmTileRows and GemmTileCols are the rows and columns of the gemm
// kernel's register tile: splits fall on multiples of them so that every
// part runs whole tiles except at C's own edges.
const (
	GemmTileRows = 2 * gemmTileP
	GemmTileCols = 4 * gemmTileQ
)

// GemmSplit divides a gemm call of m rows and n columns into at most parts
// pieces of whole register tiles, along the rows when there are at least as
// many row tiles as column tiles, else along the columns. It returns the
// direction and the number of pieces k, and writes the cut points to cuts:
// piece p covers rows (or columns) [cuts[p], cuts[p+1]) for p < k, cuts[0]
// is 0 and cuts[k] is m (or n). Pieces are as equal as whole tiles allow;
// there are fewer than parts if there are fewer tiles.
func GemmSplit(m, n, parts int, cuts *[MaxParts + 1]int) (byRows bool, k int) {
	byRows = m/GemmTileRows >= n/GemmTileCols
	total, tile := n, GemmTileCols
	if byRows {
		total, tile = m, GemmTileRows
	}
	return byRows, splitTiles(total, tile, parts, cuts)
}

// splitTiles cuts [0, total) into at most parts ranges whose inner bounds
// are multiples of tile, writing the bounds to cuts; it returns the number
// of ranges.
func splitTiles(total, tile, parts int, cuts *[MaxParts + 1]int) int {
	tiles := (total + tile - 1) / tile
	parts = max(1, min(parts, tiles, MaxParts))
	for p := 0; p < parts; p++ {
		cuts[p] = p * tiles / parts * tile
	}
	cuts[parts] = total
	return parts
}
