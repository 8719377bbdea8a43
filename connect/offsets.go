package connect

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/cdcops/cdcops"
)

// Offsets is GET /connectors/{c}/offsets (Kafka ≥ 3.5). Partition and offset
// maps stay the raw JSON the worker sent. Works on a running connector, but
// a running source connector's answer lags by up to offset.flush.interval.ms.
func (c *Client) Offsets(ctx context.Context, name string) (*cdcops.ConnectorOffsets, error) {
	const what = "GET /connectors/{name}/offsets"
	if err := c.require(ctx, what, "3.5", func(k Capabilities) bool { return k.GetOffsets }); err != nil {
		return nil, err
	}
	path := connectorPath(name, "/offsets")
	resp, err := c.do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, c.missingEndpoint(err, what, "3.5")
	}
	var out cdcops.ConnectorOffsets
	if err := decode(http.MethodGet, path, resp, &out); err != nil {
		return nil, err
	}
	if out.Offsets == nil {
		out.Offsets = []cdcops.ConnectorOffset{}
	}
	return &out, nil
}

// AlterOffsets is PATCH /connectors/{c}/offsets (Kafka ≥ 3.6). Only the
// listed partitions change; an offset of JSON null (or nil) resets that one
// partition. The connector must be STOPPED with zero tasks. It returns the
// worker's success message.
func (c *Client) AlterOffsets(ctx context.Context, name string, offsets cdcops.ConnectorOffsets) (string, error) {
	const what = "PATCH /connectors/{name}/offsets"
	if err := c.require(ctx, what, "3.6", func(k Capabilities) bool { return k.AlterOffsets }); err != nil {
		return "", err
	}
	body, err := encodeOffsets(offsets)
	if err != nil {
		return "", err
	}
	return c.offsetsMessage(ctx, http.MethodPatch, name, body, what)
}

// ResetOffsets is DELETE /connectors/{c}/offsets (Kafka ≥ 3.6): tombstones
// every source partition, or deletes the sink's consumer group. The
// connector must be STOPPED with zero tasks.
func (c *Client) ResetOffsets(ctx context.Context, name string) (string, error) {
	const what = "DELETE /connectors/{name}/offsets"
	if err := c.require(ctx, what, "3.6", func(k Capabilities) bool { return k.ResetOffsets }); err != nil {
		return "", err
	}
	return c.offsetsMessage(ctx, http.MethodDelete, name, nil, what)
}

func (c *Client) offsetsMessage(ctx context.Context, method, name string, body []byte, what string) (string, error) {
	path := connectorPath(name, "/offsets")
	resp, err := c.do(ctx, method, path, nil, body)
	if err != nil {
		return "", c.missingEndpoint(err, what, "3.6")
	}
	var m messageBody
	if err := decode(method, path, resp, &m); err != nil {
		return "", err
	}
	return m.Message, nil
}

// encodeOffsets writes {"offsets":[{"partition":…,"offset":…}]} by hand so
// the raw partition/offset bytes go out exactly as given (encoding/json
// would re-validate and compact them; a nil offset becomes null).
func encodeOffsets(o cdcops.ConnectorOffsets) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"offsets":[`)
	for i, e := range o.Offsets {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"partition":`)
		if err := writeRaw(&b, e.Partition); err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, "each partition must be a JSON object", "offsets[%d].partition: %v", i, err)
		}
		b.WriteString(`,"offset":`)
		if err := writeRaw(&b, e.Offset); err != nil {
			return nil, cdcops.Errorf(cdcops.EINVALID, "each offset must be a JSON object or null", "offsets[%d].offset: %v", i, err)
		}
		b.WriteByte('}')
	}
	b.WriteString(`]}`)
	return b.Bytes(), nil
}

func writeRaw(b *bytes.Buffer, raw json.RawMessage) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		b.WriteString("null")
		return nil
	}
	if !json.Valid(raw) {
		return errors.New("not valid JSON")
	}
	b.Write(bytes.TrimSpace(raw))
	return nil
}
