package sqlpipe

import (
	"encoding/json"
	"time"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/lab/plugin"
)

// setPositionData is what the lab reads of Debezium's set-binlog-position
// signal (MySQL/MariaDB connectors, 3.5+). The lab's changelog has a single
// position counter, so binlog_position names it and binlog_filename is
// accepted and ignored; a gtid_set has no meaning here and is refused.
type setPositionData struct {
	File  string `json:"binlog_filename"`
	Pos   *int64 `json:"binlog_position"`
	GTIDs string `json:"gtid_set"`
}

// setPosition moves the task's stream to the signalled position and
// returns an offset-only record carrying it, so the committed offset moves
// there as Debezium's would, and the changes after it are read again.
// Debezium applies the new position on a task restart; the lab applies it
// in place (docs/lab-pipeline.md).
func (t *sourceTask) setPosition(sg signal) []plugin.SourceRecord {
	var d setPositionData
	if err := json.Unmarshal(sg.data, &d); err != nil || d.Pos == nil || *d.Pos < 0 || d.GTIDs != "" {
		t.log.Warn("set-binlog-position signal needs binlog_position ≥ 0 (the lab has no GTIDs); not executed", "id", sg.id)
		return nil
	}
	t.log.Info("set-binlog-position", "signal", sg.id, "from", t.stream.Pos, "to", *d.Pos)
	t.stream.Pos = *d.Pos
	return []plugin.SourceRecord{{SourcePartition: t.partition,
		SourceOffset: connectjson.Object{{Key: offPos, Value: *d.Pos}, {Key: offTsMs, Value: time.Now().UnixMilli()}}}}
}
