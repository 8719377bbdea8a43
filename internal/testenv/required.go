package testenv

import (
	"os"
	"testing"
)

// Required reports whether tests that need an outside part (a database,
// kcat, Java or the real stack) must fail instead of skip when it is
// missing. Any non-empty CI counts, so a green CI run means they ran.
func Required() bool { return os.Getenv("CI") != "" }

// Missing fails the test when parts are required and skips it otherwise,
// with the command that fixes it either way.
func Missing(t testing.TB, what, fix string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required when CI is set, but missing: %s", what, fix)
	}
	t.Skipf("%s missing; %s", what, fix)
}
