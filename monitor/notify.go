package monitor

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/cdcops/cdcops"
)

// Notifier sends webhook notifications for connectors whose severity
// reaches a hook's threshold: once when they start firing or get worse,
// again every resend interval while they fire, and a resolved notice
// when they stop. Payloads carry only report figures and redacted
// reasons, never a config value or DSN.
type Notifier struct {
	hooks []*hook
	http  *http.Client
	now   func() time.Time
}

type hook struct {
	cfg       WebhookConfig
	threshold Status
	firing    map[string]*alert
}

type alert struct {
	since, sent time.Time
	status      Status
}

func (w *WebhookConfig) check() error {
	u, err := url.Parse(w.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cdcops.Errorf(cdcops.EINVALID, "give the webhook an http:// or https:// url", "webhook url is not an http(s) URL")
	}
	switch w.Format {
	case "":
		w.Format = "json"
	case "json", "slack":
	default:
		return cdcops.Errorf(cdcops.EINVALID, "use format: json or format: slack", "webhook format %q", w.Format)
	}
	switch w.Threshold {
	case "":
		w.Threshold = string(WARN)
	case string(WARN), string(ERR):
	default:
		return cdcops.Errorf(cdcops.EINVALID, "use threshold: WARN or threshold: ERR", "webhook threshold %q", w.Threshold)
	}
	if w.Resend <= 0 {
		w.Resend = time.Hour
	}
	if w.Resolved == nil {
		t := true
		w.Resolved = &t
	}
	return nil
}

// NewNotifier returns a notifier for the hooks of a Monitor's config.
func NewNotifier(hooks []WebhookConfig, client *http.Client, now func() time.Time) *Notifier {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	if now == nil {
		now = time.Now
	}
	n := &Notifier{http: client, now: now}
	for _, h := range hooks {
		n.hooks = append(n.hooks, &hook{cfg: h, threshold: Status(h.Threshold), firing: map[string]*alert{}})
	}
	return n
}

// Notice is the generic JSON payload.
type Notice struct {
	Source    string    `json:"source"` // always "cdcops"
	State     string    `json:"state"`  // firing or resolved
	Connector string    `json:"connector"`
	Status    Status    `json:"status"`
	Severity  Status    `json:"severity"`
	Reasons   []string  `json:"reasons"`
	Since     time.Time `json:"since"`
	At        time.Time `json:"at"`
}

// Notify compares rep with what was already sent and posts what is due.
// Errors name the hook by index and host only: a webhook URL often holds
// a token.
func (n *Notifier) Notify(ctx context.Context, rep *Report) error {
	now := n.now().UTC()
	var errs []error
	for i, h := range n.hooks {
		for _, nt := range h.due(rep, now) {
			if err := n.post(ctx, h.cfg, nt); err != nil {
				errs = append(errs, fmt.Errorf("webhook %d (%s): %w", i, hostOf(h.cfg.URL), err))
			}
		}
	}
	return errors.Join(errs...)
}

// due updates the hook's firing set from rep and returns the notices to send.
func (h *hook) due(rep *Report, now time.Time) []Notice {
	var out []Notice
	seen := map[string]bool{}
	for _, c := range rep.Connectors {
		seen[c.Name] = true
		a := h.firing[c.Name]
		fires := c.Severity.rank() >= h.threshold.rank()
		switch {
		case fires && a == nil:
			a = &alert{since: now, sent: now, status: c.Status}
			h.firing[c.Name] = a
		case fires && (c.Status.rank() > a.status.rank() || now.Sub(a.sent) >= h.cfg.Resend):
			a.sent, a.status = now, c.Status
		case fires:
			a.status = c.Status
			continue
		case a != nil:
			delete(h.firing, c.Name)
			if *h.cfg.Resolved {
				out = append(out, Notice{Source: "cdcops", State: "resolved", Connector: c.Name, Status: c.Status, Severity: c.Severity, Reasons: []string{}, Since: a.since, At: now})
			}
			continue
		default:
			continue
		}
		out = append(out, Notice{Source: "cdcops", State: "firing", Connector: c.Name, Status: c.Status, Severity: c.Severity, Reasons: c.Reasons, Since: a.since, At: now})
	}
	var gone []string
	for name := range h.firing {
		if !seen[name] {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	for _, name := range gone {
		a := h.firing[name]
		delete(h.firing, name)
		if *h.cfg.Resolved {
			out = append(out, Notice{Source: "cdcops", State: "resolved", Connector: name, Status: OK, Severity: OK,
				Reasons: []string{"connector no longer exists"}, Since: a.since, At: now})
		}
	}
	return out
}

// Payload is the body sent for nt in format (json or slack).
func Payload(format string, nt Notice) ([]byte, error) {
	reasons := make([]string, len(nt.Reasons))
	for i, r := range nt.Reasons {
		reasons[i] = cdcops.RedactDSN(r)
	}
	nt.Reasons = reasons
	if format != "slack" {
		return json.Marshal(nt)
	}
	icon := map[Status]string{OK: ":large_green_circle:", WARN: ":large_yellow_circle:", ERR: ":red_circle:"}[nt.Severity]
	text := fmt.Sprintf("%s cdcops: connector %s is %s", icon, nt.Connector, nt.Status)
	if nt.State == "resolved" {
		text = fmt.Sprintf("%s cdcops: connector %s resolved (firing since %s)", icon, nt.Connector, nt.Since.Format(time.RFC3339))
	}
	if len(nt.Reasons) > 0 && nt.State == "firing" {
		text += "\n• " + strings.Join(nt.Reasons, "\n• ")
	}
	return json.Marshal(map[string]string{"text": text})
}

func (n *Notifier) post(ctx context.Context, cfg WebhookConfig, nt Notice) error {
	body, err := Payload(cfg.Format, nt)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cfg.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New("bad webhook url")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL
		}
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("answered %s", resp.Status)
	}
	return nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Host
	}
	return "?"
}
