package backup

import (
	"context"
	"time"

	"github.com/cdcops/cdcops/connect"
)

// Meta is what Kafka Connect says about its connectors.
type Meta struct {
	Infos     map[string]*connect.ConnectorInfo // by connector name
	Version   string                            // Connect's version
	ClusterID string                            // Kafka cluster id Connect reports
	// PasswordKeys are, per connector class, the keys its ConfigDef
	// declares PASSWORD; they are redacted besides the name rules.
	PasswordKeys map[string][]string
}

const (
	metadataTimeout     = 15 * time.Second
	passwordKeysTimeout = 5 * time.Second
)

// FetchMeta asks Connect for its version and every connector's info. On
// error the returned Meta holds what was learned before it (callers that
// read the offsets topics go on without connector metadata).
func FetchMeta(ctx context.Context, cc *connect.Client) (Meta, error) {
	ctx, cancel := context.WithTimeout(ctx, metadataTimeout)
	defer cancel()
	m := Meta{Infos: map[string]*connect.ConnectorInfo{}}
	info, err := cc.ServerInfo(ctx)
	if err != nil {
		return m, err
	}
	m.Version, m.ClusterID = info.Version, info.KafkaClusterID
	exp, err := cc.ListExpanded(ctx, connect.ExpandInfo)
	if err != nil {
		return m, err
	}
	for name, e := range exp {
		if e.Info != nil {
			m.Infos[name] = e.Info
		}
	}
	m.PasswordKeys = passwordKeys(ctx, cc, m.Infos)
	return m, nil
}

// passwordKeys asks the worker for each class's PASSWORD keys. A worker
// that cannot answer (an old one, the lab) leaves the name rules of
// cdcops.IsSecretKey alone to hide secrets; that is not an error.
func passwordKeys(ctx context.Context, cc *connect.Client, infos map[string]*connect.ConnectorInfo) map[string][]string {
	out := map[string][]string{}
	for _, info := range infos {
		class := info.Config["connector.class"]
		if _, done := out[class]; done || class == "" {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, passwordKeysTimeout)
		keys, err := cc.PasswordKeys(cctx, class)
		cancel()
		if err != nil {
			keys = nil
		}
		out[class] = keys
	}
	return out
}

// sinkGroup is a sink connector's consumer group (spec §2.7).
func sinkGroup(name string, cfg map[string]string) string { return connect.SinkGroup(name, cfg) }
