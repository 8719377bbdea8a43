package worker_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// A source may write to a topic that does not exist yet: like a broker
// with auto.create.topics.enable, the lab creates it, and the topic shows
// as the connector's active topic.
func TestSourceRecordsCreateTopic(t *testing.T) {
	l, r := newLab(t)
	r.do("POST", "/connectors", sourceBody("pg", pgOffsets, `,"lab.topic":"fresh.topic"`))
	r.waitState("pg", "RUNNING", "RUNNING", 1)
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()), kgo.ConsumeTopics("fresh.topic"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	recs := cl.PollFetches(ctx).Records()
	if len(recs) != 1 || string(recs[0].Value) != `{"partition":{"server":"dbserver1"},"offset":{"lsn":100,"txId":7}}` {
		t.Fatalf("records %v", recs)
	}
	r.want("GET", "/connectors/pg/topics", "", 200, `{"pg":{"topics":["fresh.topic"]}}`)
}
