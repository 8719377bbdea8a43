package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/cdcops/cdcops/connectjson"
	"github.com/cdcops/cdcops/internal/testenv"
	"github.com/cdcops/cdcops/kafka/kafkatest"
)

// BenchmarkBackupVsKcat: an offsets topic of 1,000,000 records (50,000
// keys × 20 updates, Debezium PostgreSQL-shaped) on an in-process kfake
// broker. It times `cdcops offsets backup --all` end to end (discovery,
// read to the sampled end, last-write-wins, snapshot encode + sha256,
// vault write) against `kcat -C -e` dumping the same topic to a file, and
// prints their ratio (goal ≤ 1.0). Five alternating rounds; medians.
func BenchmarkBackupVsKcat(b *testing.B) {
	kcat := testenv.Kcat(b)
	const keys, updates, rounds = 50_000, 20, 5
	ctx := context.Background()
	_, addr := kafkatest.Cluster(b)
	if err := produceBench(ctx, addr, keys, updates); err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	var kcatT, cdcT []time.Duration
	for round := 0; round < rounds; round++ {
		start := time.Now()
		out, err := os.Create(filepath.Join(dir, "kcat.out"))
		if err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(kcat, "-C", "-b", addr, "-t", kafkatest.OffsetsTopic, "-e", "-q", "-K\t", "-o", "beginning")
		cmd.Stdout = out
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			b.Fatalf("kcat: %v %s", err, stderr.String())
		}
		out.Close()
		kcatT = append(kcatT, time.Since(start))
		if fi, _ := os.Stat(out.Name()); fi.Size() == 0 {
			b.Fatal("kcat wrote nothing")
		}

		var stdout, errOut bytes.Buffer
		start = time.Now()
		code := Main(ctx, []string{"--bootstrap", addr, "--connect", "http://127.0.0.1:1",
			"--vault", "file://" + filepath.Join(dir, fmt.Sprintf("vault%d", round)), "-v", "offsets", "backup", "--all"},
			strings.NewReader(""), &stdout, &errOut)
		cdcT = append(cdcT, time.Since(start))
		for _, line := range strings.Split(errOut.String(), "\n") {
			if strings.Contains(line, "took=") {
				b.Log(line)
			}
		}
		if code != 0 {
			b.Fatalf("backup exit %d: %s", code, errOut.String())
		}
		if !strings.Contains(stdout.String(), fmt.Sprintf("%d records", keys)) {
			b.Fatalf("backup does not hold %d keys: %s", keys, stdout.String())
		}
	}
	k, c := median(kcatT), median(cdcT)
	ratio := c.Seconds() / k.Seconds()
	b.ReportMetric(c.Seconds(), "cdcops-s")
	b.ReportMetric(k.Seconds(), "kcat-s")
	b.ReportMetric(ratio, "ratio")
	fmt.Printf("offsets backup of %d records (%d keys × %d): cdcops %v, kcat -C -e %v, ratio %.2f (goal ≤ 1.0) [rounds cdcops %v kcat %v]\n",
		keys*updates, keys, updates, c.Round(time.Millisecond), k.Round(time.Millisecond), ratio, cdcT, kcatT)
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// produceBench writes keys × updates PostgreSQL-shaped offsets, the keys
// spread over 5,000 connectors with 10 partitions each.
func produceBench(ctx context.Context, addr string, keys, updates int) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(kafkatest.OffsetsTopic),
		kgo.ProducerLinger(5*time.Millisecond), kgo.MaxBufferedRecords(200_000), kgo.ProducerBatchMaxBytes(1<<20),
		kgo.DisableIdempotentWrite(), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		return err
	}
	defer cl.Close()
	keyBytes := make([][]byte, keys)
	for i := range keyBytes {
		k, err := connectjson.OffsetKey(fmt.Sprintf("bench-%04d", i/10), connectjson.Object{
			{Key: "server", Value: fmt.Sprintf("srv%04d", i/10)}, {Key: "database", Value: fmt.Sprintf("db%d", i%10)}})
		if err != nil {
			return err
		}
		keyBytes[i] = k
	}
	var first error
	for u := 0; u < updates; u++ {
		for i, k := range keyBytes {
			lsn := int64(0x16B3748) + int64(u)*4096 + int64(i)
			v := fmt.Appendf(nil, `{"lsn_proc":%d,"lsn_commit":%d,"lsn":%d,"txId":%d,"ts_usec":%d,"messageType":"UPDATE"}`,
				lsn, lsn, lsn, 780+u, 1700000000000000+int64(u)*1000000)
			cl.Produce(ctx, &kgo.Record{Key: k, Value: v}, func(_ *kgo.Record, err error) {
				if err != nil && first == nil {
					first = err
				}
			})
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	return first
}
