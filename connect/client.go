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
)

// Client talks to one Kafka Connect worker (or the load balancer in front of
// a cluster). It is safe for concurrent use.
type Client struct {
	base  string // without trailing slash
	http  *http.Client
	log   *slog.Logger
	retry Retry
	poll  time.Duration

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

// WithHTTPClient replaces http.DefaultClient (e.g. for TLS or auth).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithLogger logs retries and polls at debug level.
func WithLogger(l *slog.Logger) Option { return func(c *Client) { c.log = l } }

// WithRetry sets the 409 retry policy; Attempts 1 disables retries.
func WithRetry(r Retry) Option { return func(c *Client) { c.retry = r } }

// WithPollInterval sets how often WaitFor asks for the status.
func WithPollInterval(d time.Duration) Option { return func(c *Client) { c.poll = d } }

// New returns a client for the worker at baseURL, e.g. http://127.0.0.1:8083.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{
		base:  strings.TrimRight(baseURL, "/"),
		http:  &http.Client{Timeout: 2 * time.Minute}, // Connect's own request timeout is 90 s
		log:   slog.New(slog.DiscardHandler),
		retry: DefaultRetry,
		poll:  200 * time.Millisecond,
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

// URL is the worker's base URL, as given to New.
func (c *Client) URL() string { return c.base }

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
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	if err != nil {
		return nil, err
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

// isCtxErr reports whether err is the caller giving up, not a transport fault.
func isCtxErr(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
