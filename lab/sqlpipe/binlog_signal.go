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
// Like Debezium, the offset is committed through a heartbeat (nothing is
// committed when heartbeat.interval.ms is 0), and the new position takes
// effect on the task's restart: until then the task reads nothing more
// (Debezium's MySQL connector stops its streaming the same way).
func (t *sourceTask) setPosition(sg signal) []plugin.SourceRecord {
	var d setPositionData
	if err := json.Unmarshal(sg.data, &d); err != nil || d.Pos == nil || *d.Pos < 0 || d.GTIDs != "" {
		t.log.Warn("set-binlog-position signal needs binlog_position ≥ 0 (the lab has no GTIDs); not executed", "id", sg.id)
		return nil
	}
	if t.cfg.heartbeat <= 0 {
		t.log.Warn("set-binlog-position without heartbeats (heartbeat.interval.ms=0): the new position is never committed", "id", sg.id)
		return nil
	}
	t.log.Info("set-binlog-position; restart the connector for it to take effect", "signal", sg.id, "from", t.stream.Pos, "to", *d.Pos)
	t.halted = true
	return []plugin.SourceRecord{{SourcePartition: t.partition,
		SourceOffset: connectjson.Object{{Key: offPos, Value: *d.Pos}, {Key: offTsMs, Value: time.Now().UnixMilli()}}}}
}
