// Package throttle is a TCP proxy that makes a loopback link behave like
// a slow network one: a bandwidth limit and a one-way latency in each
// direction. The reconcile benchmark puts it between cdcops (and the
// peer tools) and the databases.
package throttle
