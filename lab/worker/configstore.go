package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// The config topic (connect-configs) keeps connector configs and target
// states so a lab restarted with --dir comes back as it was, like
// KafkaConfigBackingStore: connector-<name> → {"properties":{...}} (a
// tombstone deletes), target-state-<name> → {"state":"..."}.

const (
	configKeyPrefix = "connector-"
	targetKeyPrefix = "target-state-"
)

func (w *Worker) writeConnectorConfig(ctx context.Context, name string, cfg map[string]string) error {
	v, err := json.Marshal(map[string]any{"properties": cfg})
	if err != nil {
		return err
	}
	return w.writeConfigRecord(ctx, configKeyPrefix+name, v)
}

func (w *Worker) writeTarget(ctx context.Context, name, target string) error {
	v, _ := json.Marshal(map[string]string{"state": target, "state.v2": target})
	return w.writeConfigRecord(ctx, targetKeyPrefix+name, v)
}

func (w *Worker) writeDelete(ctx context.Context, name string) error {
	if err := w.writeConfigRecord(ctx, configKeyPrefix+name, nil); err != nil {
		return err
	}
	return w.writeConfigRecord(ctx, targetKeyPrefix+name, nil)
}

func (w *Worker) writeConfigRecord(ctx context.Context, key string, value []byte) error {
	err := w.produceSync(ctx, &kgo.Record{Topic: w.opts.ConfigTopic, Key: []byte(key), Value: value})
	if err != nil {
		return fmt.Errorf("write config topic %s: %w", w.opts.ConfigTopic, err)
	}
	return nil
}

// restoreConfigs reads the config topic to its end and recreates the
// connectors it holds (their supervisors start in New).
func (w *Worker) restoreConfigs(ctx context.Context) error {
	configs := map[string]map[string]string{}
	targets := map[string]string{}
	err := w.readToEnd(ctx, w.opts.ConfigTopic, func(r *kgo.Record) {
		k := string(r.Key)
		switch {
		case strings.HasPrefix(k, configKeyPrefix):
			name := strings.TrimPrefix(k, configKeyPrefix)
			if r.Value == nil {
				delete(configs, name)
				return
			}
			var v struct {
				Properties map[string]string `json:"properties"`
			}
			if json.Unmarshal(r.Value, &v) == nil && v.Properties != nil {
				configs[name] = v.Properties
			}
		case strings.HasPrefix(k, targetKeyPrefix):
			name := strings.TrimPrefix(k, targetKeyPrefix)
			if r.Value == nil {
				delete(targets, name)
				return
			}
			var v struct {
				State string `json:"state"`
			}
			if json.Unmarshal(r.Value, &v) == nil {
				targets[name] = v.State
			}
		}
	})
	if err != nil {
		return fmt.Errorf("read config topic %s: %w", w.opts.ConfigTopic, err)
	}
	for name, cfg := range configs {
		p, rerr := w.findPlugin(cfg["connector.class"])
		if rerr != nil {
			w.log.Warn("skipping stored connector with unknown class", "connector", name, "class", cfg["connector.class"])
			continue
		}
		target := targets[name]
		if target == "" {
			target = targetStarted
		}
		w.connectors[name] = newConnector(name, cfg, p, target)
	}
	return nil
}
