package train

import (
	"context"
	"fmt"
	"strings"

	"github.com/wasmnn/wasmnn/ops"
	"github.com/wasmnn/wasmnn/runtime"
)

// Evaluation is a classifier's result on a labelled dataset.
type Evaluation struct {
	Correct, Total int
	// Confusion[i][j] counts the images of class i classified as j.
	Confusion [][]int
	Labels    []string // class names (the model's labels, or indices)
}

// Accuracy returns Correct/Total (0 for an empty evaluation).
func (e *Evaluation) Accuracy() float64 {
	if e.Total == 0 {
		return 0
	}
	return float64(e.Correct) / float64(e.Total)
}

// Evaluate classifies every example of data with m through the inference
// path (runtime.NewSession and Session.Run, in batches of the model's own
// batch size) and returns the accuracy and the confusion matrix. The data is
// checked as Fit checks it (errors wrap ErrData). The predicted class is the
// first largest logit. Class names come from data.Classes, else the model's
// labels, else the indices.
func Evaluate(ctx context.Context, m *runtime.Model, data *Data, threads int) (*Evaluation, error) {
	sess, err := runtime.NewSession(m, runtime.Options{Threads: threads})
	if err != nil {
		return nil, err
	}
	if len(sess.Inputs()) != 1 || len(sess.Outputs()) != 1 {
		return nil, fmt.Errorf("evaluation needs a model with one input and one output")
	}
	in, out := sess.Inputs()[0], sess.Outputs()[0]
	if len(out.Shape) != 2 || out.Shape[0] != in.Shape[0] {
		return nil, fmt.Errorf("%w: output %q has shape %s, want logits [batch, classes]", runtime.ErrShape, out.Name, ops.FormatShape(out.Shape))
	}
	batch, k := in.Shape[0], out.Shape[1]
	if err := data.checkModel(runtime.ValueInfo{Name: in.Name, Shape: in.Shape}, k); err != nil {
		return nil, err
	}
	e := &Evaluation{Confusion: make([][]int, k), Labels: make([]string, k)}
	for i := range e.Confusion {
		e.Confusion[i] = make([]int, k)
		switch {
		case data.Classes != nil:
			e.Labels[i] = data.Classes[i]
		case i < len(m.Meta.Labels):
			e.Labels[i] = m.Meta.Labels[i]
		default:
			e.Labels[i] = fmt.Sprint(i)
		}
	}
	size := data.size()
	x := &ops.Tensor{Shape: in.Shape, Data: make([]float32, ops.ShapeSize(in.Shape))}
	logits := &ops.Tensor{Shape: out.Shape, Data: make([]float32, ops.ShapeSize(out.Shape))}
	feeds := map[string]*ops.Tensor{in.Name: x}
	outs := map[string]*ops.Tensor{out.Name: logits}
	for lo := 0; lo < data.Len(); lo += batch {
		hi := min(lo+batch, data.Len())
		for i := lo; i < lo+batch; i++ {
			// A short last batch repeats its first example in the spare slots.
			j := i
			if j >= hi {
				j = lo
			}
			copy(x.Data[(i-lo)*size:(i-lo+1)*size], data.Example(j))
		}
		if err := sess.RunInto(ctx, feeds, outs); err != nil {
			return nil, err
		}
		for i := lo; i < hi; i++ {
			row := logits.Data[(i-lo)*k : (i-lo+1)*k]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			y := data.Labels[i]
			e.Confusion[y][best]++
			e.Total++
			if best == y {
				e.Correct++
			}
		}
	}
	return e, nil
}

// Evaluate is Evaluate on the trainer's model with its thread count.
func (t *Trainer) Evaluate(ctx context.Context, data *Data) (*Evaluation, error) {
	return Evaluate(ctx, t.model, data, t.threads)
}

// String formats the confusion matrix as a table: one row per true class,
// one column per predicted class, and each row's accuracy.
func (e *Evaluation) String() string {
	var b strings.Builder
	w := 5
	for _, l := range e.Labels {
		w = max(w, len(l)+1)
	}
	fmt.Fprintf(&b, "%*s", 2*w+1, "true\\pred "+e.Labels[0])
	for _, l := range e.Labels[1:] {
		fmt.Fprintf(&b, "%*s", w, l)
	}
	fmt.Fprintf(&b, "%9s\n", "recall")
	for i, row := range e.Confusion {
		fmt.Fprintf(&b, "%-*s", w+1, e.Labels[i])
		sum := 0
		for _, c := range row {
			fmt.Fprintf(&b, "%*d", w, c)
			sum += c
		}
		r := 0.0
		if sum > 0 {
			r = 100 * float64(row[i]) / float64(sum)
		}
		fmt.Fprintf(&b, "%8.1f%%\n", r)
	}
	return b.String()
}
