// Package testenv gives tests real databases: each call creates a fresh,
// uniquely named database on the local PostgreSQL or MariaDB and drops it
// when the test ends, so runs never collide. In CI (CI=true) a database
// that cannot be reached fails the test; elsewhere the test is skipped with
// a message that says how to start one.
package testenv
