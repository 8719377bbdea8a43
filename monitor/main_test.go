package monitor_test

import (
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// The real-stack tests share one broker, worker and database servers per
// test binary; RunMain stops them when the tests end.
func TestMain(m *testing.M) { testenv.RunMain(m) }
