package monitor

// Status is the outcome of the rules for a partition or connector. The
// names are Burrow's (core/protocol/evaluator.go statusStrings).
type Status string

const (
	OK     Status = "OK"
	WARN   Status = "WARN"
	ERR    Status = "ERR"
	STOP   Status = "STOP"   // the consumer stopped committing while behind
	STALL  Status = "STALL"  // committing, but the offset does not move while behind
	REWIND Status = "REWIND" // the committed offset went backwards and has not caught up
)

// Severity collapses STOP, STALL and REWIND into ERR, as Burrow's group
// status does.
func (s Status) Severity() Status {
	switch s {
	case STOP, STALL, REWIND, ERR:
		return ERR
	case WARN:
		return WARN
	}
	return OK
}

// rank orders statuses for Worst: ERR outranks the named ERR kinds so a
// connector failure is not hidden behind a partition's STALL.
func (s Status) rank() int {
	switch s {
	case WARN:
		return 1
	case STALL:
		return 2
	case REWIND:
		return 3
	case STOP:
		return 4
	case ERR:
		return 5
	}
	return 0
}

// Value is the status as a number for Prometheus (0 OK, 1 WARN, 2 ERR).
func (s Status) Value() float64 {
	switch s.Severity() {
	case WARN:
		return 1
	case ERR:
		return 2
	}
	return 0
}

// Worst returns the more severe of a and b.
func Worst(a, b Status) Status {
	if b.rank() > a.rank() {
		return b
	}
	if a == "" {
		return OK
	}
	return a
}

// ParseStatus reads a threshold such as "WARN" (case-sensitive, as printed).
func ParseStatus(s string) (Status, bool) {
	switch Status(s) {
	case OK, WARN, ERR, STOP, STALL, REWIND:
		return Status(s), true
	}
	return "", false
}
