// Package lab is cdcops's sandbox: an in-process Kafka broker (franz-go's
// kfake) on 127.0.0.1 and a Kafka-Connect-compatible REST worker
// (lab/worker) running the lab connector classes (lab/scripted, and
// others registered by DefaultPlugins). Tests start one with
// internal/testenv.Lab; `cdcops lab up` runs one in the foreground.
package lab
