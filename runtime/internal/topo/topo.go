// Package topo orders the nodes of a graph so that every node comes after
// the nodes it reads: the one topological sort of the runtime and the ONNX
// importer.
package topo

import (
	"container/heap"
)

// Sort orders nodes 0..n-1 topologically given each node's producers
// (deps(i) lists the nodes whose outputs node i reads, repeats allowed). It
// is stable: of the nodes ready at any point the one with the smallest index
// comes first, so a graph already in order keeps its order. It returns the
// order and, if the graph has a cycle, the nodes left out (in index order),
// which are the nodes on or behind a cycle.
func Sort(n int, deps func(i int) []int) (order, stuck []int) {
	indeg := make([]int, n)
	users := make([][]int, n)
	for i := 0; i < n; i++ {
		for _, j := range deps(i) {
			indeg[i]++
			users[j] = append(users[j], i)
		}
	}
	ready := &minHeap{}
	for i := 0; i < n; i++ {
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	order = make([]int, 0, n)
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, u := range users[i] {
			if indeg[u]--; indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	for i, d := range indeg {
		if d > 0 {
			stuck = append(stuck, i)
		}
	}
	return order, stuck
}

// minHeap is a min-heap of node indices.
type minHeap []int

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
