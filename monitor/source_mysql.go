package monitor

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/cdcops/cdcops/debezium"
	"github.com/cdcops/cdcops/sqlconn"
)

// binlogFile is one row of SHOW BINARY LOGS.
type binlogFile struct {
	name string
	size int64
}

// mysqlLag measures the binlog distance from the offset's file/pos to the
// newest binlog's end, the GTIDs executed but not in the offset, and
// whether the offset's file is still on the server.
func mysqlLag(ctx context.Context, db *sqlconn.DB, off sourceOffset, s *Source) error {
	files, err := binaryLogs(ctx, db)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("SHOW BINARY LOGS on %s: no binlog (is log_bin on?)", db.Name)
	}
	head := files[len(files)-1]
	s.Head = debezium.Binlog{File: head.name, Pos: head.size}.String()
	s.Retention.OldestLog = files[0].name
	file, hasFile := off.str("file")
	pos, _ := off.num("pos")
	if hasFile {
		at := -1
		for i, f := range files {
			if f.name == file {
				at = i
				break
			}
		}
		switch {
		case at < 0:
			s.Retention.Risk, s.Retention.Reason = 2, fmt.Sprintf("offset binlog %s is no longer on the server (oldest is %s)", file, files[0].name)
		default:
			d := files[at].size - pos
			for _, f := range files[at+1:] {
				d += f.size
			}
			d = max(d, 0)
			s.LagBytes = &d
			if at == 0 && len(files) > 1 {
				s.Retention.Risk, s.Retention.Reason = 1, fmt.Sprintf("offset binlog %s is the oldest on the server: the next purge removes it", file)
			}
		}
	}
	if g, ok := off.str("gtids"); ok && g != "" {
		if err := gtidLag(ctx, db, g, s); err != nil {
			return err
		}
	}
	return nil
}

func binaryLogs(ctx context.Context, db *sqlconn.DB) ([]binlogFile, error) {
	rows, err := db.QueryContext(ctx, `SHOW BINARY LOGS`)
	if err != nil {
		return nil, fmt.Errorf("SHOW BINARY LOGS on %s: %w", db.Name, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []binlogFile
	for rows.Next() {
		// Log_name, File_size, and on newer servers Encrypted.
		vals := make([]any, len(cols))
		var f binlogFile
		vals[0], vals[1] = &f.name, &f.size
		for i := 2; i < len(cols); i++ {
			vals[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(vals...); err != nil {
			return nil, fmt.Errorf("SHOW BINARY LOGS on %s: %w", db.Name, err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// gtidLag compares the offset's GTID set with the server's executed set
// (MySQL gtid_executed, MariaDB gtid_binlog_pos) and checks MySQL's purged
// set as Debezium does: (executed − offset) ∩ purged must be empty.
func gtidLag(ctx context.Context, db *sqlconn.DB, offGTIDs string, s *Source) error {
	offset, err := debezium.ParseGTIDSet(offGTIDs)
	if err != nil {
		return fmt.Errorf("offset gtids: %w", err)
	}
	var version string
	if err := db.QueryRowContext(ctx, `SELECT VERSION()`).Scan(&version); err != nil {
		return fmt.Errorf("version of %s: %w", db.Name, err)
	}
	mariadb := strings.Contains(strings.ToLower(version), "mariadb")
	q := `SELECT @@global.gtid_executed, @@global.gtid_purged`
	if mariadb {
		q = `SELECT @@global.gtid_binlog_pos, ''`
	}
	var executedS, purgedS string
	if err := db.QueryRowContext(ctx, q).Scan(&executedS, &purgedS); err != nil {
		return fmt.Errorf("GTID state of %s: %w", db.Name, err)
	}
	executed, err := debezium.ParseGTIDSet(executedS)
	if err != nil {
		return fmt.Errorf("server GTIDs: %w", err)
	}
	missing := executed.Subtract(offset)
	n := missing.Count()
	s.LagGTIDs = &n
	if purgedS == "" {
		return nil
	}
	purged, err := debezium.ParseGTIDSet(purgedS)
	if err != nil {
		return fmt.Errorf("server purged GTIDs: %w", err)
	}
	if gone := missing.Subtract(missing.Subtract(purged)); gone.Count() > 0 {
		s.Retention.Risk, s.Retention.Reason = 2, "GTIDs the connector still needs were purged: "+gone.String()
	}
	return nil
}
