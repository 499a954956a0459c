package runtime

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/wasmnn/wasmnn/ops"
)

// LayerSummary describes one executed layer: a node and the nodes fused
// into it.
type LayerSummary struct {
	Name        string   `json:"name"`
	Op          string   `json:"op"`
	Fused       []string `json:"fused,omitempty"` // names of nodes folded into this layer
	OutputShape []int    `json:"output_shape"`
	Params      int64    `json:"params"`
	MACs        int64    `json:"macs"`
	FLOPs       int64    `json:"flops"`
	Algo        string   `json:"algo,omitempty"`
}

// Summary describes a planned model. Params counts trainable parameters
// (BatchNormalization's running mean and variance are not parameters, as in
// PyTorch). MACs counts the multiply-adds of Conv and Dense layers; FLOPs
// counts every operation, a multiply-add as 2.
type Summary struct {
	Name                string         `json:"name"`
	Inputs              []ValueInfo    `json:"inputs"`
	Outputs             []ValueInfo    `json:"outputs"`
	Layers              []LayerSummary `json:"layers"`
	TotalParams         int64          `json:"total_params"`
	TotalMACs           int64          `json:"total_macs"`
	TotalFLOPs          int64          `json:"total_flops"`
	PeakActivationBytes int64          `json:"peak_activation_bytes"`
	WeightBytes         int64          `json:"weight_bytes"`
	// FusedAtConversion lists what an importer (wasmnn convert) already
	// fused or folded, from the model's "onnx_fused" metadata.
	FusedAtConversion string `json:"fused_at_conversion,omitempty"`
	// PlanShapes are the input shapes the layers were planned for (they
	// differ from Inputs' representative shapes after a run on other shapes).
	PlanShapes []ValueInfo `json:"plan_shapes"`
	// PlanMillis is the time taken to plan for PlanShapes and prepare the
	// kernels (Summarize: planning only).
	PlanMillis float64 `json:"plan_ms"`
	// Plans is the number of plans the session keeps, Planned the number it
	// has made (one per distinct set of input shapes until MaxPlans).
	Plans   int `json:"plans"`
	Planned int `json:"planned"`
}

// Summary describes the session's layers as planned for the most recent
// run's input shapes (the representative shapes before the first run):
// shapes, parameters, costs, the convolution algorithm chosen for each conv
// layer, and the planner's cost.
func (s *Session) Summary() Summary {
	s.mu.Lock()
	defer s.mu.Unlock()
	inst := s.plans[0]
	sum := inst.plan.summary(s.inputs)
	sum.PlanMillis = float64(inst.planTime.Microseconds()) / 1000
	sum.Plans, sum.Planned = len(s.plans), s.planned
	return sum
}

// Summarize checks and plans m like NewSession (for the representative
// shapes of symbolic inputs), without preparing kernels or allocating
// activations, and returns its summary.
func Summarize(m *Model, opts Options) (Summary, error) {
	if err := checkInputDims(m.Inputs); err != nil {
		return Summary{}, err
	}
	start := time.Now()
	p, err := newPlan(m, opts)
	if err != nil {
		return Summary{}, err
	}
	sum := p.summary(m.Inputs)
	sum.PlanMillis = float64(time.Since(start).Microseconds()) / 1000
	sum.Plans, sum.Planned = 1, 1
	return sum, nil
}

// summary describes the plan; inputs are the model's inputs, with their
// symbolic dimensions.
func (p *plan) summary(inputs []ValueInfo) Summary {
	sum := Summary{Name: p.model.Meta.Name, Inputs: cloneInfos(inputs), Outputs: p.infos(p.outputs), PeakActivationBytes: int64(p.arena) * 4,
		PlanShapes: p.infos(p.inputs), FusedAtConversion: p.model.Meta.Extra["onnx_fused"]}
	for _, st := range p.steps {
		ls := LayerSummary{Name: st.node.Name, Op: st.node.Op, Params: st.params, MACs: st.layer.macs,
			FLOPs: st.layer.flops, Algo: st.layer.algo,
			OutputShape: append([]int(nil), p.values[st.outputs[0]].shape...)}
		for _, f := range st.fused {
			ls.Fused = append(ls.Fused, f.Name)
		}
		sum.Layers = append(sum.Layers, ls)
		sum.TotalParams += ls.Params
		sum.TotalMACs += ls.MACs
		sum.TotalFLOPs += ls.FLOPs
	}
	for _, w := range p.model.Weights {
		sum.WeightBytes += int64(len(w.Data)) * 4
	}
	return sum
}

// WriteText prints the summary as an aligned table with totals.
func (sum Summary) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	name := sum.Name
	if name == "" {
		name = "(unnamed model)"
	}
	fmt.Fprintf(w, "model %s\n", name)
	for _, in := range sum.Inputs {
		fmt.Fprintf(w, "input  %s %s\n", in.Name, in.ShapeString())
	}
	if !sameShapes(sum.PlanShapes, sum.Inputs) || symbolic(sum.Inputs) {
		fmt.Fprintf(w, "planned for %s (%.1f ms; %d plans kept, %d made)\n", describeShapes(sum.PlanShapes), sum.PlanMillis, sum.Plans, sum.Planned)
	}
	for _, out := range sum.Outputs {
		fmt.Fprintf(w, "output %s %s\n", out.Name, ops.FormatShape(out.Shape))
	}
	fmt.Fprintln(tw, "layer\top\toutput\tparams\tMACs\tFLOPs\talgo\tfused\t")
	for _, l := range sum.Layers {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", l.Name, l.Op, ops.FormatShape(l.OutputShape),
			group(l.Params), group(l.MACs), group(l.FLOPs), l.Algo, strings.Join(l.Fused, "+"))
	}
	fmt.Fprintf(tw, "total\t\t\t%s\t%s\t%s\t\t\t\n", group(sum.TotalParams), group(sum.TotalMACs), group(sum.TotalFLOPs))
	if err := tw.Flush(); err != nil {
		return err
	}
	if sum.FusedAtConversion != "" {
		fmt.Fprintf(w, "fused when converted: %s\n", sum.FusedAtConversion)
	}
	_, err := fmt.Fprintf(w, "params %s (%.2f M), MACs %.3f G, FLOPs %.3f G, peak activations %.2f MiB, weights %.2f MiB\n",
		group(sum.TotalParams), float64(sum.TotalParams)/1e6, float64(sum.TotalMACs)/1e9, float64(sum.TotalFLOPs)/1e9,
		float64(sum.PeakActivationBytes)/(1<<20), float64(sum.WeightBytes)/(1<<20))
	return err
}

func symbolic(v []ValueInfo) bool {
	for _, in := range v {
		if in.Symbolic() {
			return true
		}
	}
	return false
}

// group formats n with thousands separators.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
