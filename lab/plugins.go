package lab

import (
	"github.com/cdcops/cdcops/lab/plugin"
	"github.com/cdcops/cdcops/lab/scripted"
	"github.com/cdcops/cdcops/lab/sqlpipe"
)

// DefaultPlugins returns the lab's connector classes by class name. This
// is the one place lab classes are registered (no init() registration).
func DefaultPlugins() map[string]plugin.Plugin {
	return map[string]plugin.Plugin{
		scripted.SourceClass: scripted.Source{},
		scripted.SinkClass:   scripted.Sink{},
		sqlpipe.SourceClass:  sqlpipe.SqlSource{}, sqlpipe.SinkClass: sqlpipe.SqlSink{},
	}
}
