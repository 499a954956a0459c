package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestSuite(t *testing.T) {
	cases, err := Suite()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	resnet := 0
	for _, c := range cases {
		if names[c.Name] {
			t.Errorf("duplicate case %s", c.Name)
		}
		names[c.Name] = true
		if c.FLOPs <= 0 {
			t.Errorf("%s has no FLOPs", c.Name)
		}
		if strings.HasPrefix(c.Name, "resnet18/") {
			resnet++
		}
	}
	// ResNet-18 has 11 distinct conv shapes: the 7x7 stem, 3x3 at each of
	// 4 widths (plus the 3 strided ones) and 3 strided 1x1 downsamples.
	if resnet != 11 {
		t.Errorf("%d distinct ResNet-18 conv shapes, want 11", resnet)
	}
	for _, want := range []string{"model/resnet50", "maxpool/2x2_64_112", "depthwise/3x3_128_56", "vgg16/3x3_512-512_14"} {
		if !names[want] {
			t.Errorf("suite lacks %s", want)
		}
	}
}

func TestRunSmall(t *testing.T) {
	cases, err := Suite()
	if err != nil {
		t.Fatal(err)
	}
	cases = Filter(cases, []string{"lenet5/5x5_1-6"})
	if len(cases) != 1 {
		t.Fatalf("filter kept %d cases", len(cases))
	}
	res, err := Run(context.Background(), cases, Config{Reps: 3, Threads: []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].MedianMS <= 0 || res[0].GFLOPS <= 0 || res[0].Error != "" {
		t.Fatalf("results %+v", res)
	}
	var buf bytes.Buffer
	if err := Table(&buf, cases, res); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "lenet5/5x5_1-6_32") {
		t.Errorf("table:\n%s", buf.String())
	}
}
