package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/cdcops/cdcops"
)

// APIError is a non-2xx answer from Kafka Connect. Message is the worker's
// own text from {"error_code":…,"message":…}; callers reach it with
// errors.As through the *cdcops.Error the client returns.
type APIError struct {
	Method    string
	Path      string
	Status    int    // HTTP status
	ErrorCode int    // error_code from the body (normally = Status)
	Message   string // message from the body, or the raw body when it is not JSON
	Connector string // the {connector} path segment, when there is one
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Message)
}

func newAPIError(method, path string, resp *response) *APIError {
	e := &APIError{Method: method, Path: path, Status: resp.status, ErrorCode: resp.status}
	var body ErrorBody
	if err := json.Unmarshal(resp.body, &body); err == nil && (body.Message != "" || body.ErrorCode != 0) {
		e.Message = body.Message
		if body.ErrorCode != 0 {
			e.ErrorCode = body.ErrorCode
		}
	} else {
		e.Message = strings.TrimSpace(truncate(resp.body))
	}
	if rest, ok := strings.CutPrefix(path, "/connectors/"); ok {
		seg, _, _ := strings.Cut(rest, "/")
		if n, err := url.PathUnescape(seg); err == nil {
			e.Connector = n
		}
	}
	return e
}

// Connect answers 409 both for "try again, a rebalance is under way"
// (HerderRequestHandler) and for AlreadyExistsException; only the first is
// worth retrying.
func (e *APIError) retryable() bool {
	return e.Status == 409 && !e.AlreadyExists()
}

// AlreadyExists reports the 409 of POST /connectors with a taken name.
func (e *APIError) AlreadyExists() bool {
	return e.Status == 409 && strings.HasSuffix(e.Message, " already exists")
}

// NotStopped reports the 400 of an offsets PATCH/DELETE on a connector that
// is not STOPPED with zero tasks (DistributedHerder.modifyConnectorOffsetsChecks).
func (e *APIError) NotStopped() bool {
	return e.Status == 400 && strings.HasPrefix(e.Message, "Connectors must be in the STOPPED state before their offsets can be modified")
}

// classify maps a Connect answer onto cdcops's error codes, with a hint
// that names the next command.
func (c *Client) classify(e *APIError) error {
	name := e.Connector
	if name == "" {
		name = "NAME"
	}
	code, hint := cdcops.EINTERNAL, ""
	switch {
	case e.NotStopped():
		code, hint = cdcops.ECONFLICT, fmt.Sprintf("run `cdcops connectors stop %s` first", name)
	case e.AlreadyExists():
		if e.Connector == "" { // POST /connectors: the name is only in the message
			name = strings.TrimSuffix(strings.TrimPrefix(e.Message, "Connector "), " already exists")
		}
		code, hint = cdcops.ECONFLICT, fmt.Sprintf("pick another name, or remove the old one with `cdcops connectors delete %s`", name)
	case e.Status == 409:
		code, hint = cdcops.ECONFLICT, "the Connect cluster is rebalancing or busy; retry in a moment"
	case e.Status == 404:
		code, hint = cdcops.ENOTFOUND, fmt.Sprintf("run `cdcops connectors list --connect %s` to see the connectors that exist", c.base)
	case e.Status == 400 || e.Status == 422:
		code = cdcops.EINVALID
	case e.Status == 401:
		// Wrong or missing credentials (JaasBasicAuthFilter) are
		// configuration, not a runtime fault.
		code, hint = cdcops.EINVALID, "check the Connect credentials: --connect-user (connect.user) and CDCOPS_CONNECT_PASSWORD or connect.password_file"
	case e.Status == 403: // e.g. "Topic tracking is disabled."
		code = cdcops.ECONFLICT
	case e.Status == 502 || e.Status == 503 || e.Status == 504:
		code, hint = cdcops.EUNAVAILABLE, fmt.Sprintf("is Kafka Connect running at %s? set --connect", c.base)
	case e.Status >= 500 && strings.HasPrefix(e.Message, "Offsets may only"):
		// DataException from OffsetUtils.validateFormat: bad input, not a crash.
		code = cdcops.EINVALID
	case e.Status == 500 && (strings.HasPrefix(e.Message, "Failed to reset consumer group offsets") ||
		strings.HasPrefix(e.Message, "Failed to alter consumer group offsets")):
		// GroupNotEmpty / UnknownMemberId (Worker.java): the sink's consumers
		// have not left the group yet; Connect itself says a retry is safe.
		code, hint = cdcops.ECONFLICT, fmt.Sprintf("make sure %s is STOPPED (`cdcops connectors stop %s`) and retry", name, name)
	case e.Status == 500 && strings.HasPrefix(e.Message, "Request timed out"):
		code, hint = cdcops.EUNAVAILABLE, "the worker did not answer within its request timeout; check its logs and retry"
	}
	return &cdcops.Error{Code: code, Msg: "kafka connect", Hint: hint, Err: e}
}

// transportError explains a request that never got an HTTP answer.
func (c *Client) transportError(ctx context.Context, method, path string, err error) error {
	var rt *requestTimeout
	if errors.As(err, &rt) {
		return &cdcops.Error{Code: cdcops.EUNAVAILABLE,
			Msg:  fmt.Sprintf("Kafka Connect at %s accepted %s %s but sent no answer within %s", c.base, method, path, rt.limit),
			Hint: "the worker is hung or overloaded; check its logs and health, or point --connect at another worker"}
	}
	if ctx.Err() != nil { // the caller gave up (its deadline, --timeout or Ctrl-C)
		return fmt.Errorf("%s %s: %w", method, path, ctx.Err())
	}
	var ce *cdcops.Error
	if errors.As(err, &ce) {
		return err
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.Is(err, syscall.ECONNRESET) {
		return &cdcops.Error{
			Code: cdcops.EUNAVAILABLE,
			Msg:  fmt.Sprintf("cannot reach Kafka Connect at %s", c.base),
			Hint: fmt.Sprintf("is Kafka Connect running at %s? set --connect (or CDCOPS_CONNECT)", c.base),
			Err:  err,
		}
	}
	return &cdcops.Error{Code: cdcops.EUNAVAILABLE, Msg: fmt.Sprintf("%s %s%s", method, c.base, path),
		Hint: fmt.Sprintf("is Kafka Connect running at %s? set --connect", c.base), Err: err}
}

// AsAPIError returns the Connect answer inside err, if there is one.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	ok := errors.As(err, &e)
	return e, ok
}
