package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// Kcat returns the path of kcat, the independent Kafka client tests
// compare cdcops against. Off CI a missing kcat skips the test with a hint;
// in CI it fails, since scripts/services.sh installs it.
func Kcat(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("kcat is required in CI: run `make services` (scripts/services.sh installs the Debian package kcat)")
		}
		t.Skip("kcat not installed; run `make services` (scripts/services.sh installs the Debian package kcat)")
	}
	return p
}
