package runtime

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

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
}

// Summary describes the session's layers as planned: shapes, parameters,
// costs and the convolution algorithm chosen for each conv layer.
func (s *Session) Summary() Summary { return s.plan.summary() }

// Summarize checks and plans m like NewSession, without preparing kernels or
// allocating activations, and returns its summary.
func Summarize(m *Model, opts Options) (Summary, error) {
	p, err := newPlan(m, opts)
	if err != nil {
		return Summary{}, err
	}
	return p.summary(), nil
}

func (p *plan) summary() Summary {
	s := &Session{plan: p}
	sum := Summary{Name: p.model.Meta.Name, Inputs: s.Inputs(), Outputs: s.Outputs(), PeakActivationBytes: s.PeakActivationBytes(),
		FusedAtConversion: p.model.Meta.Extra["onnx_fused"]}
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
		fmt.Fprintf(w, "input  %s %s\n", in.Name, ops.FormatShape(in.Shape))
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
