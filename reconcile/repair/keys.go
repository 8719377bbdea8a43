package repair

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"

	"github.com/cdcops/cdcops"
	"github.com/cdcops/cdcops/reconcile"
)

// ReadDiffFile reads the keys of a `reconcile --diff-file` file: JSON
// lines (reconcile.Difference), or CSV when the name ends in .csv. The
// CSV header does not mark key columns, so key names the table's key
// columns; their value is taken from whichever side has the row. Lines
// of a --pairs run carry "_table": only those of table are kept. Values
// other than the keys are ignored: rows are re-read.
func ReadDiffFile(path string, key []string, table string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, cdcops.Errorf(cdcops.EINVALID, "pass the file `cdcops reconcile --diff-file F` wrote", "open diff file: %v", err)
	}
	defer f.Close()
	if strings.HasSuffix(strings.ToLower(path), ".csv") {
		if len(key) == 0 {
			return nil, cdcops.Errorf(cdcops.EINVALID, "pass --key with the key columns, or use a JSON-lines diff file", "a CSV diff file does not say which columns are the key")
		}
		return readCSVKeys(f, path, key)
	}
	var out []map[string]string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	line := 0
	for sc.Scan() {
		line++
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var d reconcile.Difference
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil || len(d.Key) == 0 {
			return nil, badDiff(path, line, "not a reconcile difference (JSON with a \"key\" object)")
		}
		if t, ok := d.Key["_table"]; ok {
			if t != table {
				continue
			}
			delete(d.Key, "_table")
		}
		out = append(out, d.Key)
	}
	if err := sc.Err(); err != nil {
		return nil, badDiff(path, line, err.Error())
	}
	return out, nil
}

func readCSVKeys(r io.Reader, path string, key []string) ([]map[string]string, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil || len(header) < 2 || header[0] != "kind" || header[1] != "side" {
		return nil, badDiff(path, 1, "the header must start with kind,side")
	}
	idx := map[string][2]int{}
	for _, k := range key {
		src, dst := -1, -1
		for i, h := range header {
			if strings.EqualFold(h, "source."+k) {
				src = i
			}
			if strings.EqualFold(h, "sink."+k) {
				dst = i
			}
		}
		if src < 0 || dst < 0 {
			return nil, badDiff(path, 1, "no source."+k+"/sink."+k+" columns for key column "+k)
		}
		idx[k] = [2]int{src, dst}
	}
	var out []map[string]string
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, badDiff(path, line, err.Error())
		}
		m := map[string]string{}
		for _, k := range key {
			v := rec[idx[k][0]]
			if rec[0] == reconcile.Extra || (rec[0] == reconcile.Duplicate && rec[1] == "sink") {
				v = rec[idx[k][1]]
			}
			m[k] = v
		}
		out = append(out, m)
	}
}

func badDiff(path string, line int, why string) error {
	return cdcops.Errorf(cdcops.EINVALID, "pass a file written by `cdcops reconcile --diff-file` (JSON lines or .csv)",
		"diff file %s line %d: %s", path, line, why)
}
