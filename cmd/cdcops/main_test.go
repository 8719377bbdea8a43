package main

import (
	"os"
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// asCdcopsEnv makes the test binary run as cdcops itself (main, with its
// signal handling), for tests that need a cdcops process: see cdcopsCmd.
const asCdcopsEnv = "CDCOPS_TEST_AS_CDCOPS"

// The real-stack tests share one broker, worker and database servers per
// test binary; RunMain stops them when the tests are done.
func TestMain(m *testing.M) {
	if os.Getenv(asCdcopsEnv) == "1" {
		main()
		return
	}
	testenv.RunMain(m)
}
