package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/cdcops/cdcops"
)

// webhook posts JSON events to one URL; the URL (it may carry a token)
// is never printed, only its host.
type webhook struct {
	url  string
	host string
	http *http.Client
}

func newWebhook(raw string) (*webhook, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass an http:// or https:// URL", "bad --webhook URL")
	}
	return &webhook{url: raw, host: u.Host, http: &http.Client{Timeout: 5 * time.Second}}, nil
}

func (w *webhook) post(ctx context.Context, event any) error {
	body, err := json.Marshal(event)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook to %s: bad request", w.host)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.http.Do(req)
	if err != nil {
		return fmt.Errorf("webhook to %s unreachable", w.host)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook to %s answered %s", w.host, resp.Status)
	}
	return nil
}
