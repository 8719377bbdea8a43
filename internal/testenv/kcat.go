package testenv

import (
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
		Missing(t, "kcat", "run `make services` (scripts/services.sh installs the Debian package kcat)")
	}
	return p
}
