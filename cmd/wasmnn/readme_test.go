package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// quickStart returns the command lines of the README's ```sh blocks between
// <!-- quickstart --> and <!-- /quickstart --> markers, in order.
func quickStart(readme string) []string {
	var lines []string
	for {
		_, rest, ok := strings.Cut(readme, "<!-- quickstart -->")
		if !ok {
			return lines
		}
		block, after, _ := strings.Cut(rest, "<!-- /quickstart -->")
		readme = after
		_, code, _ := strings.Cut(block, "```sh\n")
		code, _, _ = strings.Cut(code, "```")
		for _, l := range strings.Split(code, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				lines = append(lines, l)
			}
		}
	}
}

// TestREADMEQuickStart runs the README's quick-start commands, literally, in
// a scratch directory that sees the repository's demo/ and cmd/ (the files
// the commands read) and the freshly built CLI as bin/wasmnn.
func TestREADMEQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the CLI")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := quickStart(string(b))
	if len(lines) < 10 {
		t.Fatalf("%d quick-start lines in README.md: the markers are missing", len(lines))
	}
	dir := t.TempDir()
	for _, d := range []string{"demo", "cmd"} {
		if err := os.Symlink(filepath.Join(root, d), filepath.Join(dir, d)); err != nil {
			t.Fatal(err)
		}
	}
	outputs := map[string]string{}
	for _, line := range lines {
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir = dir
		if strings.HasPrefix(line, "go build ") {
			// Built from the repository, into the scratch directory.
			fields := strings.Fields(line)
			if len(fields) != 5 || fields[2] != "-o" {
				t.Fatalf("unexpected build line %q", line)
			}
			cmd = exec.Command("go", "build", "-o", filepath.Join(dir, fields[3]), fields[4])
			cmd.Dir = root
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		outputs[line] = string(out)
	}
	for _, f := range []string{"r18.wnn", "x.npy", "out/fc.npy", "r18.onnx", "r18-onnx.wnn", "out-onnx/fc.npy"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("the quick start did not write %s: %v", f, err)
		}
	}
	for line, out := range outputs {
		switch {
		case strings.Contains(line, "classify") && strings.Contains(line, "--json"):
			if !strings.HasPrefix(out, `[{"label":"7"`) || !strings.Contains(out, `"inverted":true`) {
				t.Errorf("%s:\n%s", line, out)
			}
		case strings.Contains(line, "classify"):
			if !strings.HasPrefix(out, "7 ") {
				t.Errorf("%s: not a 7 first:\n%s", line, out)
			}
		case strings.Contains(line, "help run"):
			if !strings.Contains(out, "--algo ALGO") {
				t.Errorf("%s:\n%s", line, out)
			}
		}
	}
}
