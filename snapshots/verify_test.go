package snapshots

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/cdcops/cdcops/internal/snaptest"
)

func TestVerifyFreshAndTampered(t *testing.T) {
	ctx := context.Background()
	v, dir := fileVault(t)
	sum, err := v.Put(ctx, snaptest.Sample(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC), 37208504))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(ctx, v, sum)
	if err != nil || !res.OK || res.Records != 3 {
		t.Fatalf("fresh snapshot does not verify: %+v %v", res, err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "malformed key") {
		t.Errorf("warnings %q", res.Warnings)
	}
	tamper(t, dir, sum)
	res, err = Verify(ctx, v, sum)
	if err != nil || res.OK || !strings.Contains(strings.Join(res.Problems, "\n"), "sha256") {
		t.Fatalf("tampered snapshot: %+v %v", res, err)
	}
}
