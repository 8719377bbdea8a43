package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cdcops/cdcops"
)

// Client talks to one Kafka Connect worker (or the load balancer in front of
// a cluster). It is safe for concurrent use.
type Client struct {
	base string // without trailing slash and without userinfo: safe to print
	user string // basic auth, from WithBasicAuth or the URL's userinfo
	pass string
	http *http.Client
	// timeout bounds each request (reads) and writeTimeout each write;
	// the caller's ctx bounds the whole operation.
	timeout      time.Duration
	writeTimeout time.Duration
	log          *slog.Logger
	retry        Retry
	poll         time.Duration

	infoMu sync.Mutex  // guards info
	info   *ServerInfo // cached by Capabilities
}

// Retry bounds how a 409 (rebalance in progress) is retried: at most
// Attempts tries in all, sleeping Base, 2·Base, … capped at Max between them.
type Retry struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
}

// DefaultRetry gives a rebalance about ten seconds to settle.
var DefaultRetry = Retry{Attempts: 8, Base: 100 * time.Millisecond, Max: 2 * time.Second}

// Option configures a Client.
type Option func(*Client)

// Per-request defaults (docs/config.md). Writes wait longer than Connect's
// own 90 s request timeout, so its "Request timed out" answer is seen.
const (
	DefaultRequestTimeout = 30 * time.Second
	DefaultWriteTimeout   = 100 * time.Second
)

// WithHTTPClient replaces the HTTP client (e.g. for TLS).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithBasicAuth sends HTTP basic auth on every request. It replaces any
// userinfo in the base URL; the password is never printed.
func WithBasicAuth(user, password string) Option {
	return func(c *Client) { c.user, c.pass = user, password }
}

// WithRequestTimeout bounds each read request and each write request;
// zero keeps the default.
func WithRequestTimeout(read, write time.Duration) Option {
	return func(c *Client) {
		if read > 0 {
			c.timeout = read
		}
		if write > 0 {
			c.writeTimeout = write
		}
	}
}

// WithLogger logs retries and polls at debug level.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithRetry sets the 409 retry policy; Attempts 1 disables retries.
func WithRetry(r Retry) Option { return func(c *Client) { c.retry = r } }

// WithPollInterval sets how often WaitFor asks for the status.
func WithPollInterval(d time.Duration) Option { return func(c *Client) { c.poll = d } }

// New returns a client for the worker at baseURL, e.g. http://127.0.0.1:8083.
// Userinfo in baseURL (http://user:pass@host) becomes basic auth and is
// stripped from every message; WithBasicAuth is the way to pass a password.
func New(baseURL string, opts ...Option) *Client {
	base, user, pass := splitUserinfo(strings.TrimRight(baseURL, "/"))
	c := &Client{
		base:         base,
		user:         user,
		pass:         pass,
		http:         &http.Client{},
		timeout:      DefaultRequestTimeout,
		writeTimeout: DefaultWriteTimeout,
		log:          slog.New(slog.DiscardHandler),
		retry:        DefaultRetry,
		poll:         200 * time.Millisecond,
	}
	for _, o := range opts {
		o(c)
	}
	if c.retry.Attempts < 1 {
		c.retry.Attempts = 1
	}
	if c.retry.Max <= 0 {
		c.retry.Max = 30 * time.Second
	}
	return c
}

// URL is the worker's base URL without userinfo, safe to print.
func (c *Client) URL() string { return c.base }

// splitUserinfo takes user:pass@ out of a URL. A string that does not
// parse keeps nothing that looks like userinfo, so no message can leak it.
func splitUserinfo(raw string) (base, user, pass string) {
	u, err := url.Parse(raw)
	if err != nil {
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			scheme, _, ok := strings.Cut(raw, "://")
			if ok {
				return scheme + "://" + raw[at+1:], "", ""
			}
			return raw[at+1:], "", ""
		}
		return raw, "", ""
	}
	if u.User == nil {
		return raw, "", ""
	}
	user = u.User.Username()
	pass, _ = u.User.Password()
	u.User = nil
	return u.String(), user, pass
}

// response is one HTTP answer, body fully read.
type response struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request, retrying 409 rebalance answers, and turns any
// non-2xx answer into an error (see errors.go). in is JSON-encoded unless
// it is already a []byte or json.RawMessage.
func (c *Client) do(ctx context.Context, method, path string, query url.Values, in any) (*response, error) {
	var payload []byte
	switch v := in.(type) {
	case nil:
	case []byte:
		payload = v
	case json.RawMessage:
		payload = v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode request: %w", method, path, err)
		}
		payload = b
	}
	target := c.base + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var lastErr error
	for attempt := 1; ; attempt++ {
		resp, err := c.once(ctx, method, target, payload)
		if err != nil {
			return nil, c.transportError(ctx, method, path, err)
		}
		if resp.status >= 200 && resp.status < 300 {
			return resp, nil
		}
		apiErr := newAPIError(method, path, resp)
		lastErr = apiErr
		if !apiErr.retryable() || attempt >= c.retry.Attempts {
			break
		}
		wait := c.backoff(attempt)
		c.log.Debug("kafka connect busy, retrying", "method", method, "path", path, "attempt", attempt, "wait", wait, "message", apiErr.Message)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%s %s: gave up retrying: %w (last answer: %v)", method, path, ctx.Err(), apiErr)
		case <-t.C:
		}
	}
	return nil, c.classify(lastErr.(*APIError))
}

func (c *Client) once(ctx context.Context, method, target string, payload []byte) (*response, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	limit := c.timeout
	if method != http.MethodGet {
		limit = c.writeTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, limit, &requestTimeout{limit: limit})
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		// The parse error would quote the URL; say what is wrong without it.
		return nil, &cdcops.Error{Code: cdcops.EINVALID, Msg: "Kafka Connect URL " + c.base + " is not a valid http(s) URL",
			Hint: "set --connect http://HOST:PORT (credentials go in --connect-user and CDCOPS_CONNECT_PASSWORD)"}
	}
	req.Header.Set("Accept", "application/json")
	if c.user != "" || c.pass != "" {
		req.SetBasicAuth(c.user, c.pass)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, withCause(ctx, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, withCause(ctx, err)
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}, nil
}

// backoff is exponential with ±20% jitter so several clients do not retry
// in lockstep against a rebalancing cluster.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.retry.Base << (attempt - 1)
	if d > c.retry.Max || d <= 0 { // d <= 0: the shift overflowed
		d = c.retry.Max
	}
	jitter := time.Duration(float64(d) * (rand.Float64()*0.4 - 0.2))
	return d + jitter
}

// getJSON GETs path and decodes the body into out.
func (c *Client) getJSON(ctx context.Context, path string, query url.Values, out any) error {
	resp, err := c.do(ctx, http.MethodGet, path, query, nil)
	if err != nil {
		return err
	}
	return decode(http.MethodGet, path, resp, out)
}

func decode(method, path string, resp *response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("%s %s: decode answer %q: %w", method, path, truncate(resp.body), err)
	}
	return nil
}

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// connectorPath is /connectors/{name}{suffix} with the name escaped.
func connectorPath(name, suffix string) string {
	return "/connectors/" + url.PathEscape(name) + suffix
}

// requestTimeout is the cause of a request that hit the per-request limit
// (not the caller's deadline).
type requestTimeout struct{ limit time.Duration }

func (e *requestTimeout) Error() string { return fmt.Sprintf("no answer within %s", e.limit) }

// withCause attaches the per-request timeout to a transport error, so the
// caller can tell "this request hung" from "the command's --timeout hit".
func withCause(ctx context.Context, err error) error {
	var rt *requestTimeout
	if errors.As(context.Cause(ctx), &rt) {
		return fmt.Errorf("%w: %w", rt, err)
	}
	return err
}

// PasswordKeys asks the worker which config keys of a connector class are
// declared PASSWORD in its ConfigDef (PUT /connector-plugins/{class}/config/validate).
// Only connector.class is sent, so no secret leaves cdcops and no
// connector tries to reach its database; the definitions come back anyway.
func (c *Client) PasswordKeys(ctx context.Context, class string) ([]string, error) {
	path := "/connector-plugins/" + url.PathEscape(class) + "/config/validate"
	resp, err := c.do(ctx, http.MethodPut, path, nil, map[string]string{"connector.class": class})
	if err != nil {
		return nil, err
	}
	var infos struct {
		Configs []struct {
			Definition struct {
				Name string `json:"name"`
				Type string `json:"type"`
			} `json:"definition"`
		} `json:"configs"`
	}
	if err := decode(http.MethodPut, path, resp, &infos); err != nil {
		return nil, err
	}
	var keys []string
	for _, ci := range infos.Configs {
		if strings.EqualFold(ci.Definition.Type, "PASSWORD") {
			keys = append(keys, ci.Definition.Name)
		}
	}
	return keys, nil
}
