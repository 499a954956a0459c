package ops

import (
	"fmt"
	"math"
)

// BatchNormTrain is training-mode batch normalisation over [n, C, spatial]:
// y = Gamma[c]·(x − μ_c)/sqrt(σ²_c + Eps) + Beta[c], where μ_c and σ²_c are
// the mean and the biased variance of channel c over the batch and spatial
// positions. Forward also updates the running statistics with PyTorch's
// convention, running = (1 − Momentum)·running + Momentum·batch, using the
// unbiased variance for RunningVar, and saves μ and 1/sqrt(σ² + Eps) for
// Backward.
//
// The four slices are the caller's (NewBatchNormTrain does not copy them), so
// an optimiser may update Gamma and Beta in place between steps. A
// BatchNormTrain holds per-call state: use one per goroutine.
type BatchNormTrain struct {
	Gamma, Beta             []float32 // scale and shift, one per channel
	RunningMean, RunningVar []float32 // updated by every Forward
	Eps                     float32   // added to the variance
	Momentum                float32   // weight of the batch statistics in the running update

	mean, invStd []float64 // saved by Forward
	n, spatial   int       // shape of the last Forward; 0 before the first
}

// NewBatchNormTrain returns training-mode batch normalisation over the
// len(gamma) channels with the given parameters and running statistics
// (PyTorch defaults: eps 1e-5, momentum 0.1). It returns an error wrapping
// ErrShape if the slices are empty or differ in length, and an error if eps
// is negative or not finite or momentum is outside [0, 1].
func NewBatchNormTrain(gamma, beta, runningMean, runningVar []float32, eps, momentum float32) (*BatchNormTrain, error) {
	c := len(gamma)
	if c == 0 || len(beta) != c || len(runningMean) != c || len(runningVar) != c {
		return nil, fmt.Errorf("%w: batch norm gamma, beta, running mean and running variance have %d, %d, %d and %d values; need the same nonzero count",
			ErrShape, len(gamma), len(beta), len(runningMean), len(runningVar))
	}
	if !(eps >= 0) || math.IsInf(float64(eps), 1) {
		return nil, fmt.Errorf("batch norm epsilon %g must be finite and >= 0", eps)
	}
	if !(momentum >= 0 && momentum <= 1) {
		return nil, fmt.Errorf("batch norm momentum %g must be in [0, 1]", momentum)
	}
	return &BatchNormTrain{Gamma: gamma, Beta: beta, RunningMean: runningMean, RunningVar: runningVar,
		Eps: eps, Momentum: momentum, mean: make([]float64, c), invStd: make([]float64, c)}, nil
}

// Channels returns the number of channels C.
func (bn *BatchNormTrain) Channels() int { return len(bn.mean) }

// Inference returns the inference-mode BatchNorm folded from the current
// parameters and running statistics (see NewBatchNorm).
func (bn *BatchNormTrain) Inference() (*BatchNorm, error) {
	return NewBatchNorm(bn.Gamma, bn.Beta, bn.RunningMean, bn.RunningVar, bn.Eps)
}

// Forward normalises x ([n, C, spatial]) with its own batch statistics into
// dst, updates the running statistics and saves the state Backward needs.
// Means, variances (two passes) and outputs are computed in float64 and
// rounded once. dst may be x itself, but Backward needs the original x. It
// returns an error wrapping ErrShape, and changes nothing, if a channel has
// fewer than 2 values (n·spatial < 2: the unbiased variance is undefined). It
// does not allocate; short buffers panic.
func (bn *BatchNormTrain) Forward(dst, x []float32, n, spatial int) error {
	c := len(bn.mean)
	total := n * c * spatial
	if n < 1 || spatial < 1 || len(x) < total || len(dst) < total ||
		len(bn.Gamma) != c || len(bn.Beta) != c || len(bn.RunningMean) != c || len(bn.RunningVar) != c {
		panic(fmt.Sprintf("ops: BatchNormTrain.Forward: buffers of %d and %d values for [%d %d %d]", len(x), len(dst), n, c, spatial))
	}
	count := n * spatial
	if count < 2 {
		return fmt.Errorf("%w: batch norm training needs more than 1 value per channel, got input [%d %d %d]", ErrShape, n, c, spatial)
	}
	fc := float64(count)
	mom := float64(bn.Momentum)
	for ch := 0; ch < c; ch++ {
		sum := 0.0
		for b := 0; b < n; b++ {
			for _, v := range x[(b*c+ch)*spatial : (b*c+ch+1)*spatial] {
				sum += float64(v)
			}
		}
		mean := sum / fc
		ss := 0.0
		for b := 0; b < n; b++ {
			for _, v := range x[(b*c+ch)*spatial : (b*c+ch+1)*spatial] {
				d := float64(v) - mean
				ss += float64(d * d)
			}
		}
		variance := ss / fc
		inv := 1 / math.Sqrt(variance+float64(bn.Eps))
		bn.mean[ch], bn.invStd[ch] = mean, inv
		a := float64(float64(bn.Gamma[ch]) * inv)
		beta := float64(bn.Beta[ch])
		for b := 0; b < n; b++ {
			off := (b*c + ch) * spatial
			src := x[off : off+spatial]
			out := dst[off : off+spatial]
			for i, v := range src {
				out[i] = float32(float64(float64(float64(v)-mean)*a) + beta)
			}
		}
		unbiased := ss / float64(count-1)
		bn.RunningMean[ch] = float32(float64(float64(1-mom)*float64(bn.RunningMean[ch])) + float64(mom*mean))
		bn.RunningVar[ch] = float32(float64(float64(1-mom)*float64(bn.RunningVar[ch])) + float64(mom*unbiased))
	}
	bn.n, bn.spatial = n, spatial
	return nil
}

// Backward computes, from x (the input of the last Forward, same n and
// spatial) and dy = ∂L/∂y, the gradients
//
//	dbeta[c]  = Σ dy
//	dgamma[c] = Σ dy·x̂,  x̂ = (x − μ_c)/sqrt(σ²_c + Eps)
//	dx        = Gamma[c]/sqrt(σ²_c + Eps) · (dy − dbeta[c]/m − x̂·dgamma[c]/m)
//
// with sums over channel c's m = n·spatial values, in float64. Any of dx,
// dgamma and dbeta may be nil to skip it; the others are overwritten. dx may
// be dy itself but must not otherwise overlap x or dy. It does not allocate.
// Calling it before Forward, with another shape, or with short buffers
// panics.
func (bn *BatchNormTrain) Backward(x, dy, dx, dgamma, dbeta []float32, n, spatial int) {
	c := len(bn.mean)
	total := n * c * spatial
	if n != bn.n || spatial != bn.spatial || n < 1 {
		panic(fmt.Sprintf("ops: BatchNormTrain.Backward: shape [%d %d %d] does not match the last Forward [%d %d %d]",
			n, c, spatial, bn.n, c, bn.spatial))
	}
	if len(x) < total || len(dy) < total || dx != nil && len(dx) < total ||
		dgamma != nil && len(dgamma) < c || dbeta != nil && len(dbeta) < c || len(bn.Gamma) != c {
		panic(fmt.Sprintf("ops: BatchNormTrain.Backward: buffers x %d, dy %d, dx %d, dgamma %d, dbeta %d for [%d %d %d]",
			len(x), len(dy), len(dx), len(dgamma), len(dbeta), n, c, spatial))
	}
	fc := float64(n * spatial)
	for ch := 0; ch < c; ch++ {
		mean, inv := bn.mean[ch], bn.invStd[ch]
		sdy, sdyx := 0.0, 0.0
		for b := 0; b < n; b++ {
			off := (b*c + ch) * spatial
			xs := x[off : off+spatial]
			for i, d := range dy[off : off+spatial] {
				xh := float64(float64(float64(xs[i])-mean) * inv)
				sdy += float64(d)
				sdyx += float64(float64(d) * xh)
			}
		}
		if dbeta != nil {
			dbeta[ch] = float32(sdy)
		}
		if dgamma != nil {
			dgamma[ch] = float32(sdyx)
		}
		if dx == nil {
			continue
		}
		k := float64(float64(bn.Gamma[ch]) * inv)
		mdy, mdyx := sdy/fc, sdyx/fc
		for b := 0; b < n; b++ {
			off := (b*c + ch) * spatial
			xs := x[off : off+spatial]
			ds := dy[off : off+spatial]
			out := dx[off : off+spatial]
			for i, d := range ds {
				xh := float64(float64(float64(xs[i])-mean) * inv)
				out[i] = float32(float64(k * float64(float64(d)-mdy-float64(xh*mdyx))))
			}
		}
	}
}
