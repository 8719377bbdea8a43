package cdcops

import (
	"errors"
	"fmt"
	"net/http"
)

// ErrorCode classifies a failure for the outside world: an exit code for
// the CLI and a status for the HTTP API, both decided in one table below.
type ErrorCode string

const (
	EINVALID     ErrorCode = "invalid"     // bad flags, config or input file; the user must change something
	ENOTFOUND    ErrorCode = "not_found"   // a named connector, snapshot, table or partition does not exist
	ECONFLICT    ErrorCode = "conflict"    // the system is in a state that refuses the change (e.g. not STOPPED)
	EUNAVAILABLE ErrorCode = "unavailable" // a broker, worker or database could not be reached
	ECORRUPT     ErrorCode = "corrupt"     // stored data failed verification (hash, parse, validation)
	EINTERNAL    ErrorCode = "internal"    // anything else
)

// ExitCode maps an error code to the CLI exit code documented in DESIGN.md:
// 1 a check failed, 2 usage or configuration error, 3 runtime failure.
func (c ErrorCode) ExitCode() int {
	switch c {
	case EINVALID:
		return 2
	case ECORRUPT:
		return 1
	default:
		return 3
	}
}

// HTTPStatus maps an error code to the status the HTTP API answers with.
func (c ErrorCode) HTTPStatus() int {
	switch c {
	case EINVALID:
		return http.StatusBadRequest
	case ENOTFOUND:
		return http.StatusNotFound
	case ECONFLICT:
		return http.StatusConflict
	case EUNAVAILABLE:
		return http.StatusServiceUnavailable
	case ECORRUPT:
		return http.StatusUnprocessableEntity
	default:
		return http.StatusInternalServerError
	}
}

// Error is the one error type cdcops shows to people. Msg says what is
// wrong, Hint says what to type next; Err keeps the cause for errors.Is/As.
type Error struct {
	Code ErrorCode
	Op   string // what was being done, e.g. "offsets backup"
	Msg  string
	Hint string
	Err  error
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Err != nil {
		if s == "" {
			return e.Err.Error()
		}
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf builds an *Error with a code and hint; the message is formatted
// like fmt.Errorf, and a %w verb keeps the cause.
func Errorf(code ErrorCode, hint, format string, args ...any) error {
	// The formatted error is the cause: its text is the message and a %w
	// inside it still reaches errors.Is/As through Unwrap.
	return &Error{Code: code, Hint: hint, Err: fmt.Errorf(format, args...)}
}

// ErrorCodeOf returns the code of the outermost *Error in err's chain, or
// EINTERNAL when there is none.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) && e.Code != "" {
		return e.Code
	}
	return EINTERNAL
}

// HintOf returns the first hint found in err's chain, or "".
func HintOf(err error) string {
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			return ""
		}
		if e.Hint != "" {
			return e.Hint
		}
		err = e.Err
	}
	return ""
}
