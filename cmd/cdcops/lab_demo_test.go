package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README promises `make demo` runs the main job on an embedded lab
// with no outside services and exits 0: this runs exactly that command.
func TestLabDemo(t *testing.T) {
	var out, errOut bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := Main(ctx, []string{"lab", "demo"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("cdcops lab demo: exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errOut.String())
	}
	s := out.String()
	for i, step := range demoSteps() {
		if !strings.Contains(s, "== "+strconv.Itoa(i+1)+". "+step.name) {
			t.Errorf("narration lacks step %d %q", i+1, step.name)
		}
	}
	for _, want := range []string{
		"created " + demoSource, "created " + demoSink,
		"connector " + demoSource + " is STOPPED, no tasks",
		"connector " + demoSource + " is RUNNING, tasks 0 RUNNING",
		`partition {"server":"dbserver1"}`,
		`"kafka_topic":"` + demoTopic + `"`,
		`offset    {"kafka_offset":`,
		"offset while STOPPED: {",
		"offset after resume:  {",
		"lab stopped",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q:\n%s", want, s)
		}
	}
}

func TestLabDemoJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	code := Main(context.Background(), []string{"lab", "demo", "-o", "json"}, strings.NewReader(""), &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var sum struct {
		OK    bool `json:"ok"`
		Steps []struct {
			Step string `json:"step"`
			OK   bool   `json:"ok"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(out.Bytes(), &sum); err != nil {
		t.Fatalf("-o json: %v\n%s", err, out.String())
	}
	if !sum.OK || len(sum.Steps) != len(demoSteps()) {
		t.Fatalf("summary %+v, want ok and %d steps", sum, len(demoSteps()))
	}
}
