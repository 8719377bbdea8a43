package connect

// SinkGroup is the consumer group a sink connector commits its offsets in:
// consumer.override.group.id when set, else connect-<name> (spec §2.7).
func SinkGroup(name string, config map[string]string) string {
	if gid := config["consumer.override.group.id"]; gid != "" {
		return gid
	}
	return "connect-" + name
}
