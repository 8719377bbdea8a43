package debezium

import (
	"reflect"
	"testing"
)

func TestSignalChannelsAndKafkaSignals(t *testing.T) {
	if got := SignalChannels(map[string]string{}); !reflect.DeepEqual(got, []string{"source"}) {
		t.Errorf("unset channels = %v, want Debezium's code default [source]", got)
	}
	if got := SignalChannels(map[string]string{"signal.enabled.channels": " source , kafka,"}); !reflect.DeepEqual(got, []string{"source", "kafka"}) {
		t.Errorf("channels = %v", got)
	}
	ks := KafkaSignalsOf(map[string]string{"topic.prefix": "inv", "signal.kafka.bootstrap.servers": "k:9092"})
	if ks != (KafkaSignals{Topic: "inv-signal", Bootstrap: "k:9092", Key: "inv"}) {
		t.Errorf("default topic: %+v", ks)
	}
	if ks := KafkaSignalsOf(map[string]string{"topic.prefix": "inv", "signal.kafka.topic": "sig"}); ks.Topic != "sig" {
		t.Errorf("signal.kafka.topic ignored: %+v", ks)
	}
	if ks := KafkaSignalsOf(map[string]string{"database.server.name": "old"}); ks.Key != "" || ks.Topic != "" {
		t.Errorf("database.server.name is not the signal key in Debezium ≥ 2: %+v", ks)
	}
	v, err := SignalValue("p-1", "set-binlog-position", map[string]any{"binlog_filename": "mysql-bin.000003", "binlog_position": 154})
	if err != nil || string(v) != `{"id":"p-1","type":"set-binlog-position","data":{"binlog_filename":"mysql-bin.000003","binlog_position":154}}` {
		t.Errorf("value = %s, %v", v, err)
	}
}
