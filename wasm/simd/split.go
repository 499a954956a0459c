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
	return Pieces(rows, 1, min(partsPerThread*threads, work/rowMinPart))
}

// GemmTileRows and GemmTileCols are the rows and columns of the gemm
// kernel's register tile: splits fall on multiples of them so that every
// part runs whole tiles except at C's own edges.
const (
	GemmTileRows = 2 * gemmTileP
	GemmTileCols = 4 * gemmTileQ
)

// GemmByRows says whether a gemm call of m rows and n columns is split
// along its rows (when it has at least as many register tiles of rows as of
// columns) or along its columns.
func GemmByRows(m, n int) bool { return m/GemmTileRows >= n/GemmTileCols }

// Pieces returns how many pieces Piece cuts [0, total) into when asked for
// parts pieces whose inner bounds are multiples of align: parts, or fewer if
// there are fewer aligned blocks.
func Pieces(total, align, parts int) int {
	return max(1, min(parts, (total+align-1)/align, MaxParts))
}

// Piece returns piece p of the k = Pieces(total, align, ...) pieces of
// [0, total): contiguous, as equal as whole aligned blocks allow, in order.
func Piece(total, align, k, p int) (lo, hi int) {
	blocks := (total + align - 1) / align
	lo = p * blocks / k * align
	hi = total
	if p+1 < k {
		hi = (p + 1) * blocks / k * align
	}
	return lo, hi
}
