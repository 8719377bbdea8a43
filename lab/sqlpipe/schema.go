package sqlpipe

import (
	"context"
	"fmt"

	"github.com/cdcops/cdcops/sqlconn"
)

// DemoTables are the tables of the lab's demo schema.
var DemoTables = []string{"customers", "orders"}

// demoDDL uses only types that every engine stores and renders alike
// (integers and strings; money in cents), so source and sink compare
// row for row across engines.
var demoDDL = []string{
	`CREATE TABLE IF NOT EXISTS customers (
  id BIGINT NOT NULL PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(200),
  tier VARCHAR(20) NOT NULL,
  balance_cents BIGINT NOT NULL)`,
	`CREATE TABLE IF NOT EXISTS orders (
  id BIGINT NOT NULL PRIMARY KEY,
  customer_id BIGINT NOT NULL,
  status VARCHAR(20) NOT NULL,
  amount_cents BIGINT NOT NULL,
  qty INT NOT NULL,
  note VARCHAR(200))`,
}

// CreateDemoSchema creates customers and orders if they do not exist.
func CreateDemoSchema(ctx context.Context, db *sqlconn.DB) error {
	for _, s := range demoDDL {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create demo schema in %s: %w", db.Name, err)
		}
	}
	return nil
}
