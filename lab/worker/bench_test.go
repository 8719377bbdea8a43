package worker_test

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/lab"
)

// BenchmarkGetOffsetsReadToEnd measures GET /connectors/{c}/offsets, which
// re-reads the whole offsets topic every time (as Connect's worker does):
// 50,000 records over 500 partitions keys of a few connectors.
func BenchmarkGetOffsetsReadToEnd(b *testing.B) {
	l := testenv.LabWith(b, lab.Options{})
	r := rest{t: b, base: l.ConnectURL()}
	const records = 50000
	var rs []*kgo.Record
	for i := 0; i < records; i++ {
		key, _ := connectjson.OffsetKey(fmt.Sprintf("c%d", i%5), connectjson.Object{{Key: "server", Value: fmt.Sprintf("s%d", i%500)}})
		val, _ := connectjson.Encode(connectjson.Object{{Key: "lsn", Value: int64(i)}})
		rs = append(rs, &kgo.Record{Topic: "connect-offsets", Key: key, Value: val})
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(l.KafkaAddr()))
	if err != nil {
		b.Fatal(err)
	}
	if err := cl.ProduceSync(b.Context(), rs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	cl.Close()
	if c, body := r.do("POST", "/connectors", sourceBody("c0", "[]", "")); c != 201 {
		b.Fatalf("create: %d %s", c, body)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if c, _ := r.do("GET", "/connectors/c0/offsets", ""); c != 200 {
			b.Fatalf("GET offsets = %d", c)
		}
	}
	b.ReportMetric(float64(records*b.N)/b.Elapsed().Seconds(), "records/s")
}
