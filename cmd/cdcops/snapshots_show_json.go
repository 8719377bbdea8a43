package main

import (
	"bufio"
	"encoding/json"
	"io"

	"github.com/cdcops/cdcops"
)

// writeSnapshotJSON prints s exactly as an indented json.Encoder would,
// but record by record: encoding the whole snapshot at once holds the
// output (base64 keys and values, indented) in memory beside the snapshot,
// several times the file for a big offsets topic.
func writeSnapshotJSON(out io.Writer, s *cdcops.Snapshot) error {
	w := bufio.NewWriterSize(out, 64<<10)
	put := func(prefix string, v any) {
		b, err := json.MarshalIndent(v, prefix, "  ")
		if err != nil {
			panic(err) // only plain data types: cannot fail
		}
		w.Write(b)
	}
	w.WriteString("{\n  \"id\": ")
	put("  ", s.ID)
	w.WriteString(",\n  \"meta\": ")
	put("  ", s.Meta)
	w.WriteString(",\n  \"content\": {\n    \"connectors\": ")
	put("    ", s.Content.Connectors)
	w.WriteString(",\n    \"records\": ")
	if s.Content.Records == nil {
		w.WriteString("null")
	} else if len(s.Content.Records) == 0 {
		w.WriteString("[]")
	} else {
		w.WriteString("[")
		for i := range s.Content.Records {
			if i > 0 {
				w.WriteString(",")
			}
			w.WriteString("\n      ")
			put("      ", &s.Content.Records[i])
		}
		w.WriteString("\n    ]")
	}
	if len(s.Content.Groups) > 0 {
		w.WriteString(",\n    \"groups\": ")
		put("    ", s.Content.Groups)
	}
	if len(s.Content.REST) > 0 {
		w.WriteString(",\n    \"rest\": ")
		put("    ", s.Content.REST)
	}
	w.WriteString("\n  },\n  \"content_sha256\": ")
	put("  ", s.ContentSHA256)
	w.WriteString("\n}\n")
	return w.Flush()
}
