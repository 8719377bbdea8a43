package reconcile

import (
	"testing"

	"github.com/cdcops/cdcops/internal/testenv"
)

// The replica tests start private servers (testenv.RealPostgres and its
// standby); RunMain stops them when the tests end.
func TestMain(m *testing.M) { testenv.RunMain(m) }
