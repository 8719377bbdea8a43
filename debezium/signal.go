package debezium

import (
	"encoding/json"
	"strings"
)

// SignalChannels are the signal channels a connector's config enables
// (signal.enabled.channels; unset means Debezium's code default, source
// only — its docs say source,kafka).
func SignalChannels(cfg map[string]string) []string {
	raw := strings.TrimSpace(cfg["signal.enabled.channels"])
	if raw == "" {
		raw = "source"
	}
	var out []string
	for _, ch := range strings.Split(raw, ",") {
		if ch = strings.TrimSpace(ch); ch != "" {
			out = append(out, ch)
		}
	}
	return out
}

// KafkaSignals is where a connector's Kafka signal channel reads: its
// consumer is assigned partition 0 of Topic only and drops records whose
// key is not the connector's topic.prefix. An empty field is one the
// config does not give.
type KafkaSignals struct {
	Topic     string // signal.kafka.topic, default <topic.prefix>-signal
	Bootstrap string // signal.kafka.bootstrap.servers
	Key       string // topic.prefix
}

// KafkaSignalsOf reads the Kafka signal channel from a connector config.
func KafkaSignalsOf(cfg map[string]string) KafkaSignals {
	k := KafkaSignals{
		Topic:     strings.TrimSpace(cfg["signal.kafka.topic"]),
		Bootstrap: strings.TrimSpace(cfg["signal.kafka.bootstrap.servers"]),
		Key:       strings.TrimSpace(cfg["topic.prefix"]),
	}
	if k.Topic == "" && k.Key != "" {
		k.Topic = k.Key + "-signal"
	}
	return k
}

// SignalValue is a Kafka signal record's value as Debezium reads it:
// {"id":…,"type":…,"data":…}.
func SignalValue(id, typ string, data any) ([]byte, error) {
	return json.Marshal(struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Data any    `json:"data"`
	}{id, typ, data})
}
