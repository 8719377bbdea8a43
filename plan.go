package cdcops

import (
	"encoding/json"
	"time"
)

// Plan kinds: each offsets change command makes one.
const (
	PlanRestore = "restore"
	PlanRewind  = "rewind"
	PlanSkip    = "skip"
	PlanReset   = "reset"
	PlanMigrate = "migrate"
)

// Plan statuses, in the order a plan normally moves through them.
const (
	PlanPlanned    = "planned"
	PlanApproved   = "approved"
	PlanApplying   = "applying" // an apply started and did not finish (killed or failed)
	PlanApplied    = "applied"
	PlanFailed     = "failed"
	PlanRolledBack = "rolled_back"
)

// Plan is a reviewed offsets change: what will change (before → after per
// partition, as exact bytes), what must hold first, the steps an apply
// takes and how to undo it. It is bound to the offsets it was computed
// from by BaseSHA256: an apply that finds them moved refuses (re-plan).
type Plan struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by"`
	Reason    string    `json:"reason,omitempty"`
	Ticket    string    `json:"ticket,omitempty"`
	// Target is what was asked for, as typed: a snapshot id, a position,
	// a time, TOPIC:P+N, "reset".
	Target     string          `json:"target"`
	Read       string          `json:"read"`  // how offsets are read back: topic or rest
	Write      string          `json:"write"` // how they are written: rest (PATCH) or topic
	Connectors []PlanConnector `json:"connectors"`
	// Flags are unsafe changes (forward jumps, resets); each needs Reason.
	Flags         []string `json:"flags"`
	Preconditions []Check  `json:"preconditions"`
	Checklist     []Check  `json:"checklist"`
	Steps         []string `json:"steps"`
	Rollback      string   `json:"rollback"`
	// Approvals required by config when the plan was made.
	ApprovalsRequired int        `json:"approvals_required"`
	Approvals         []Approval `json:"approvals"`
	// BaseSHA256 hashes the before-state of every connector in the plan.
	BaseSHA256 string `json:"base_sha256"`
	// PreChangeSnapshot is the vault snapshot the apply took (rollback source).
	PreChangeSnapshot string     `json:"pre_change_snapshot,omitempty"`
	Applied           *time.Time `json:"applied,omitempty"`
	// Migrate is set for migrate plans: the connector moves from one
	// Connect cluster to another (KIP-980), its offsets with it.
	Migrate *Migration `json:"migrate,omitempty"`
	// Signal is set for rewinds made --via signal: instead of writing
	// offsets, the apply sends Debezium's set-binlog-position signal.
	Signal *SignalSend `json:"signal,omitempty"`
	// PauseDownstream are the running, non-idempotent sink connectors the
	// apply pauses before the change and resumes after (--pause-downstream).
	PauseDownstream []string `json:"pause_downstream,omitempty"`
	// Resnapshot lists, for reset plans of a Debezium source whose
	// database was reachable, the tables the connector will snapshot again.
	Resnapshot []TableRows `json:"resnapshot,omitempty"`
}

// SignalSend is how a --via signal plan repositions a MySQL/MariaDB
// connector in-band: one set-binlog-position signal on the connector's
// Kafka signal channel (topic partition 0, keyed topic.prefix).
type SignalSend struct {
	Channel string `json:"channel"` // kafka
	Topic   string `json:"topic"`
	// Bootstrap is the connector's signal.kafka.bootstrap.servers.
	Bootstrap string          `json:"bootstrap"`
	Key       string          `json:"key"`       // the connector's topic.prefix
	ID        string          `json:"signal_id"` // fixed per plan, so a resumed apply resends the same signal
	Data      json.RawMessage `json:"data"`      // {"binlog_filename","binlog_position"} or {"gtid_set"}
	// Position is what the committed offset must show after the signal:
	// file:pos, a GTID set, or the lab's pos.
	Position string `json:"position"`
	// RollbackVia is the offsets write path a rollback uses (rest or topic).
	RollbackVia string `json:"rollback_via"`
}

// TableRows is one table and its row count; Estimate says whether the
// count is the planner's estimate rather than count(*).
type TableRows struct {
	Table    string `json:"table"`
	Rows     int64  `json:"rows"`
	Estimate bool   `json:"estimate"`
}

// Migration names the two clusters of a migrate plan.
type Migration struct {
	From PlanCluster `json:"from"`
	To   PlanCluster `json:"to"`
}

// PlanCluster is one Kafka + Connect pair (a clusters: entry of the
// config); ConnectURL is redacted.
type PlanCluster struct {
	Name       string `json:"name"`
	ConnectURL string `json:"connect_url"`
	Bootstrap  string `json:"bootstrap"`
}

// PlanConnector is one connector's part of a plan.
type PlanConnector struct {
	Name    string       `json:"name"`
	Type    string       `json:"type"` // source or sink
	Class   string       `json:"class,omitempty"`
	Group   string       `json:"group,omitempty"` // sinks: consumer group
	Changes []PlanChange `json:"changes"`
	// StateAtPlan is the connector's state when planned: a running
	// connector's offsets move, so its plan likely goes stale.
	StateAtPlan string `json:"state_at_plan"`
}

// PlanChange is one partition's change. Source connectors: Key is the
// exact offsets-topic key, Topic/KafkaPartition where that key lives (the
// partition seen at backup, spec §3.3), Before/After the exact value bytes
// (nil = absent / tombstone). Sinks: Partition is
// {"kafka_topic":..,"kafka_partition":..} and Before/After {"kafka_offset":N}.
type PlanChange struct {
	Partition      json.RawMessage `json:"partition"`
	Key            []byte          `json:"key_base64,omitempty"` // exact key bytes
	Topic          string          `json:"topic,omitempty"`
	KafkaPartition int32           `json:"kafka_partition"`
	Before         json.RawMessage `json:"before"`
	After          json.RawMessage `json:"after"`
	Delta          []string        `json:"delta"`
}

// Check is one precondition or checklist item: checked by cdcops, with
// what it found, never ticked by hand.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Approval is one person's sign-off on a plan.
type Approval struct {
	PlanID string    `json:"plan_id"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
	Reason string    `json:"reason,omitempty"`
	Ticket string    `json:"ticket,omitempty"`
}

// StepRecord is one journaled step of an apply or rollback.
type StepRecord struct {
	PlanID    string    `json:"plan_id"`
	Run       string    `json:"run"` // "apply" or "rollback"
	Connector string    `json:"connector"`
	Step      string    `json:"step"`
	Status    string    `json:"status"` // done or failed
	At        time.Time `json:"at"`
	Detail    string    `json:"detail,omitempty"`
}

// AuditEntry is one record of the hash-chained audit log: Hash is the
// sha256 of PrevHash and the entry's other fields (audit.Hash).
type AuditEntry struct {
	Seq      int64           `json:"seq"`
	At       time.Time       `json:"at"`
	Actor    string          `json:"actor"`
	Action   string          `json:"action"` // plan, approve, apply, rollback, break-glass
	PlanID   string          `json:"plan_id,omitempty"`
	Reason   string          `json:"reason,omitempty"`
	Ticket   string          `json:"ticket,omitempty"`
	Result   string          `json:"result"`
	Detail   json.RawMessage `json:"detail,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}
