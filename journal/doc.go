// Package journal keeps a continuous record of every Kafka Connect offsets
// write, the way litestream ships every WAL change: it tails each offsets
// topic (read_committed, restart-safe from the position stored with the
// entries) and appends every record, byte-exact, to the state store.
//
// From that record it answers what the hourly backup cannot: a
// connector's offsets timeline (History), its offsets at any instant
// (SnapshotAt, for point-in-time restore through the surgery plans), the
// time since its last write (LastWrite, for staleness), and which writes
// no cdcops plan made (Unaudited): a REST PATCH or DELETE by someone
// else, a tombstone, a position that went backwards, a write while the
// connector was not running. Stretches the journal could not see
// (records compacted away while it was down or before its first run) are
// recorded as gaps, so a point-in-time answer inside one is refused
// rather than silently wrong.
package journal
