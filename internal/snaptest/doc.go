// Package snaptest holds the snapshot fixture that the tests of the vault
// and of its file format share, so both test the same content. It is for
// tests only; internal/testenv is not used because it pulls in the lab and
// the database drivers, which these pure format tests do not need.
package snaptest
