// Package scripted holds the lab's scripted connector classes:
// cdcops.lab.ScriptedSource, which writes configured (Debezium-shaped)
// offsets through the worker's offset flush, and cdcops.lab.ScriptedSink,
// which consumes its topics and lets the worker commit as it goes. Tests
// use them to produce realistic offsets and consumer groups without a
// database.
package scripted
