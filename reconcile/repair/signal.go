package repair

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/cdcops/cdcops/reconcile/dialect"
)

// SnapshotData is the data of Debezium's execute-snapshot signal. The
// conditions key is the plural "additional-conditions": Debezium 3.x
// declares the singular "additional-condition" but never reads it, so a
// signal using it re-snapshots the whole table (spec delta §2).
type SnapshotData struct {
	Type            string      `json:"type"` // INCREMENTAL
	DataCollections []string    `json:"data-collections"`
	Conditions      []Condition `json:"additional-conditions"`
}

// Condition selects the rows of one data collection: Filter is a WHERE
// fragment in the source's dialect.
type Condition struct {
	DataCollection string `json:"data-collection"`
	Filter         string `json:"filter"`
}

// SignalRecord is the Kafka signal channel's record value; on the source
// channel the same three fields are the signal table's three columns.
type SignalRecord struct {
	ID   string       `json:"id"`
	Type string       `json:"type"`
	Data SnapshotData `json:"data"`
}

// DataCollection is the regex Debezium matches a table id against
// (schema.table for PostgreSQL, database.table for MariaDB): the names
// quoted so only that table matches.
func DataCollection(schema, table string) string {
	if schema == "" {
		return regexp.QuoteMeta(table)
	}
	return regexp.QuoteMeta(schema) + `\.` + regexp.QuoteMeta(table)
}

// keyCol is a source key column with its comparison class.
type keyCol struct {
	name  string // the pair's name in reconcile's keys
	col   dialect.Column
	class dialect.Class
}

// conditions turns keys into filters that select exactly those rows,
// each whose signal data fits in maxData bytes (0: no limit). A single
// integer key becomes BETWEEN runs and IN lists; other keys OR-ed
// conjunctions of equalities, with literals exact for the source engine.
func conditions(w dialect.Writer, cols []keyCol, keys []map[string]string, dc string, maxData int) []SnapshotData {
	var terms []string
	if len(cols) == 1 && cols[0].class == dialect.ClassInt {
		terms = intTerms(w.Quote(cols[0].col.Name), keys, cols[0].name)
	} else {
		for _, k := range keys {
			conds := make([]string, len(cols))
			for i, c := range cols {
				v := k[c.name]
				conds[i] = w.Quote(c.col.Name) + " = " + w.Literal(c.col, c.class, &v)
			}
			terms = append(terms, "("+strings.Join(conds, " AND ")+")")
		}
	}
	var out []SnapshotData
	data := func(filter string) SnapshotData {
		return SnapshotData{Type: "INCREMENTAL", DataCollections: []string{dc}, Conditions: []Condition{{DataCollection: dc, Filter: filter}}}
	}
	size := func(d SnapshotData) int { b, _ := json.Marshal(d); return len(b) }
	var cur []string
	for _, t := range terms {
		next := append(cur, t)
		if len(cur) > 0 && ((maxData > 0 && size(data(join(next))) > maxData) || len(next) > 1000) {
			out = append(out, data(join(cur)))
			next = []string{t}
		}
		cur = next
	}
	if len(cur) > 0 {
		out = append(out, data(join(cur)))
	}
	return out
}

func join(terms []string) string { return strings.Join(terms, " OR ") }

// intTerms packs integer keys into "k BETWEEN a AND b" for runs of three
// or more consecutive values and "k IN (…)" for the rest, 100 per list.
func intTerms(q string, keys []map[string]string, name string) []string {
	var ns []int64
	seen := map[int64]bool{}
	for _, k := range keys {
		n, err := strconv.ParseInt(k[name], 10, 64)
		if err == nil && !seen[n] {
			seen[n] = true
			ns = append(ns, n)
		}
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i] < ns[j] })
	var terms, single []string
	flush := func() {
		if len(single) > 0 {
			terms = append(terms, q+" IN ("+strings.Join(single, ", ")+")")
			single = nil
		}
	}
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if j-i >= 2 {
			terms = append(terms, q+" BETWEEN "+strconv.FormatInt(ns[i], 10)+" AND "+strconv.FormatInt(ns[j], 10))
		} else {
			for k := i; k <= j; k++ {
				single = append(single, strconv.FormatInt(ns[k], 10))
				if len(single) == 100 {
					flush()
				}
			}
		}
		i = j + 1
	}
	flush()
	return terms
}
