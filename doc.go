// Package cdcops holds the domain types shared by every part of cdcops:
// offsets records, snapshots, plans, table references and the one error
// type. It imports only the standard library; adapters (connect, kafka,
// databases, blob stores) live in subpackages and the binary in cmd/cdcops.
package cdcops
