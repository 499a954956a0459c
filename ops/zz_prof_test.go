package ops
import ("testing";"math/rand/v2";"fmt")
func BenchmarkZZ(b *testing.B){
	type sh struct{ x, w []int; pad int; ts []Dims3 }
	for _, s := range []sh{
		{[]int{1,64,56,56},[]int{64,64,7,7},3, []Dims3{{1,16,64},{1,16,16},{1,32,32},{1,16,32},{1,64,64}}},
		{[]int{1,32,4096},[]int{32,32,63},31, []Dims3{{1,1,256},{1,1,128},{1,1,512},{1,1,1024}}},
		{[]int{1,64,56,56},[]int{64,64,3,3},1, []Dims3{{1,16,16},{1,8,8},{1,8,16},{1,32,32}}},
	} {
		r := len(s.x)-2
		pb := []int{s.pad, s.pad}[:r]
		g, _ := NewConvGeom(s.x, s.w, ConvParams{Window: Window{PadsBegin: pb, PadsEnd: pb}})
		rng := rand.New(rand.NewPCG(1, 1))
		x := randSlice(rng, convNumel(g.InShape())); w := randSlice(rng, convNumel(g.WeightShape()))
		for _, T := range s.ts {
			cv, _ := NewConv(g, w, nil, Activation{Kind: ActReLU}, AlgoFFT)
			cv.fftSetupTile(w, T)
			ws := make([]float32, cv.WorkspaceLen()); dst := make([]float32, convNumel(g.OutShape()))
			b.Run(fmt.Sprintf("%v_%v/%v_tb%d_nblk%d_wMB%d", s.x, s.w, T, cv.xf.tb, cv.xf.nblk, len(cv.xf.a)/(1<<18)), func(b *testing.B) {
				for b.Loop() { cv.Forward(dst, x, ws, 1) }
				b.ReportMetric(float64(g.FLOPs(false))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
