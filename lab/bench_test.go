package lab_test

import (
	"context"
	"testing"

	"github.com/cdcops/cdcops/lab"
)

// BenchmarkStartClose measures starting a throwaway lab (broker, internal
// topics, worker) and closing it.
func BenchmarkStartClose(b *testing.B) {
	for i := 0; i < b.N; i++ {
		l, err := lab.Start(context.Background(), lab.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
