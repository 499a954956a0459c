package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmnn/wasmnn/internal/mnist"
	"github.com/wasmnn/wasmnn/runtime"
)

// TestShippedModelAccuracy evaluates demo/models/lenet5.wnn on the 2,000
// held-out digits through runtime.Session.
func TestShippedModelAccuracy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "demo", "models", "lenet5.wnn"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.Load(b)
	if err != nil {
		t.Fatal(err)
	}
	teX, teY := loadDigits(t).Test()
	ev, err := Evaluate(context.Background(), m, inputs(t, m, Dataset{Images: teX, Labels: teY, Width: mnist.Side, Height: mnist.Side}), 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("held-out accuracy %d/%d = %.2f%%\n%s", ev.Correct, ev.Total, 100*ev.Accuracy(), ev)
	if ev.Total != 2000 {
		t.Fatalf("evaluated %d digits, want 2000", ev.Total)
	}
	if ev.Accuracy() < 0.985 {
		t.Errorf("held-out accuracy %.4f is below 0.985", ev.Accuracy())
	}
	if got, want := m.Meta.Extra["test_accuracy"], fmt.Sprintf("%.4f", ev.Accuracy()); got != want {
		t.Errorf("the model records test accuracy %s, measured %s", got, want)
	}
}
