package reconcile

import (
	"sort"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// maxClusters bounds the OR'ed key ranges of one tree level's query: the
// engines re-check every OR'ed range on every row they read (MariaDB
// always, PostgreSQL on a sequential scan), so a level over a thousand
// spans would cost a thousand comparisons per row.
const maxClusters = 8

// spanCond is the WHERE text of the rows in spans (buckets of width,
// each span whole parents of width·fan). Few spans are OR'ed as they are.
// Many are cut into at most maxClusters key ranges around them (for the
// index, when differences cluster) and filtered exactly by parent bucket
// with one IN list (a binary search in MariaDB, a hash in PostgreSQL):
// reading more rows at a cheap test each beats fewer rows at a thousand
// tests each, and the query text is a number per parent, not a range.
func spanCond(d dialect.Divider, key string, origin, width, fan int64, spans []bucketSpan) string {
	rng := func(first, last int64) string {
		// Literal integers: computed here, never user text.
		return key + ">=" + strconv.FormatInt(origin+first*width, 10) + " AND " + key + "<" + strconv.FormatInt(origin+(last+1)*width, 10)
	}
	exact := func() string {
		ors := make([]string, len(spans))
		for i, sp := range spans {
			ors[i] = rng(sp.first, sp.last)
		}
		return "(" + strings.Join(ors, " OR ") + ")"
	}
	if len(spans) <= maxClusters || fan < 1 {
		return exact()
	}
	// Cut at the largest gaps between spans.
	gaps := make([]int, len(spans)-1)
	for i := range gaps {
		gaps[i] = i
	}
	sort.Slice(gaps, func(a, b int) bool {
		ga := spans[gaps[a]+1].first - spans[gaps[a]].last
		gb := spans[gaps[b]+1].first - spans[gaps[b]].last
		return ga > gb
	})
	cut := make([]bool, len(spans))
	for _, g := range gaps[:maxClusters-1] {
		cut[g] = true
	}
	var clusters []bucketSpan
	for i, sp := range spans {
		if i == 0 || cut[i-1] {
			clusters = append(clusters, sp)
		} else {
			clusters[len(clusters)-1].last = sp.last
		}
	}
	ors := make([]string, len(clusters))
	for i, c := range clusters {
		ors[i] = rng(c.first, c.last)
	}
	var ids []string
	for _, sp := range spans {
		for p := sp.first / fan; p <= sp.last/fan; p++ {
			ids = append(ids, strconv.FormatInt(p, 10))
		}
	}
	return "(" + strings.Join(ors, " OR ") + ") AND " + d.Div(key, origin, width*fan) + " IN (" + strings.Join(ids, ",") + ")"
}
