package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/testenv"
)

// `lab demo --real` runs every step it lists on the real stack and stops it.
func TestLabDemoReal(t *testing.T) {
	testenv.RealJars(t)
	g, out := testGlobals("", "json")
	err := runLabDemo(context.Background(), g, labDemoOptions{Real: true, Timeout: 6 * time.Minute})
	var res struct {
		OK    bool             `json:"ok"`
		Steps []demoStepResult `json:"steps"`
	}
	if jerr := json.Unmarshal(out.Bytes(), &res); jerr != nil {
		t.Fatalf("demo printed %q: %v", out.String(), jerr)
	}
	if err != nil || !res.OK || len(res.Steps) != len(realDemoSteps()) {
		t.Fatalf("lab demo --real: %v; steps %+v", err, res.Steps)
	}
	for _, s := range res.Steps {
		t.Logf("%-35s %6d ms", s.Step, s.Millis)
	}
}
