package worker

import (
	"fmt"
	"time"
)

// Every text the worker puts in a REST body, from Apache Kafka 4.4.0
// (connect/runtime/src/main/java/org/apache/kafka/connect/...; texts that
// changed since 3.7 say so, spec connect-4.4-and-debezium-3.6-delta.md §1b). Clients and
// the conformance suite compare these byte for byte, so keep them here and
// only here, each with the Java source it comes from.

// Server info (rest/entities/ServerInfo.java). The commit is what
// AppInfoParser reports when a build carries no commit id ("unknown"): the
// lab is not a build of any Kafka commit.
const (
	kafkaVersion = "4.4.0"
	kafkaCommit  = "unknown"
)

// GET /health (rest/resources/RootResource.java, since 3.9, KIP-1017): the
// lab is ready once it answers at all.
const (
	healthStatusHealthy = "healthy"
	msgHealthy          = "Worker has completed startup and is ready to handle requests."
)

// pluginVersion is what the lab's bundled plugins return from version():
// like Kafka's own bundled connectors (FileStream*), the worker's version.
// Since 4.1 (KIP-891) it also appears in status answers.
const pluginVersion = kafkaVersion

// Routing errors: Jersey's javax.ws.rs.NotFoundException /
// NotAllowedException messages, mapped by rest/errors/ConnectExceptionMapper.java.
const (
	msgHTTPNotFound         = "HTTP 404 Not Found"
	msgHTTPMethodNotAllowed = "HTTP 405 Method Not Allowed"
)

// msgConnectorNotFound: DistributedHerder.connectorInfo/connectorConfig/
// deleteConnectorConfig/modifyConnectorOffsetsChecks, AbstractHerder.connectorOffsets.
func msgConnectorNotFound(name string) string { return "Connector " + name + " not found" }

// msgUnknownConnector: AbstractHerder.pauseConnector/resumeConnector,
// DistributedHerder.stopConnector.
func msgUnknownConnector(name string) string { return "Unknown connector " + name }

// msgUnknownConnectorColon: DistributedHerder.restartConnector,
// restartConnectorAndTasks and restartTask (note the colon).
func msgUnknownConnectorColon(name string) string { return "Unknown connector: " + name }

// msgUnknownTask: DistributedHerder.restartTask.
func msgUnknownTask(name string, task int) string {
	return fmt.Sprintf("Unknown task: %s-%d", name, task)
}

// msgNoConnectorStatus: AbstractHerder.connectorStatus.
func msgNoConnectorStatus(name string) string { return "No status found for connector " + name }

// msgNoTaskStatus: AbstractHerder.taskStatus (ConnectorTaskId.toString is name-task).
func msgNoTaskStatus(name string, task int) string {
	return fmt.Sprintf("No status found for task %s-%d", name, task)
}

// msgRestartStatusNotFound: DistributedHerder.restartConnectorAndTasks.
func msgRestartStatusNotFound(name string) string {
	return "Status for connector " + name + " not found"
}

// msgAlreadyExists: DistributedHerder.putConnectorConfig (AlreadyExistsException, 409).
func msgAlreadyExists(name string) string { return "Connector " + name + " already exists" }

// msgNameMismatch: ConnectorsResource.checkAndPutConnectorConfigName.
func msgNameMismatch(inConfig, inURL string) string {
	return "Connector name configuration (" + inConfig + ") doesn't match connector name in the URL (" + inURL + ")"
}

// msgNoConnectorType: AbstractHerder.validateConnectorConfig. Since the
// 4.2-4.4 refactor (apache PR #23163, delta K7) the props no longer leak
// into the text; 3.7-4.1 said "Connector config {…} contains no connector type".
const msgNoConnectorType = "Connector config contains no connector type"

// msgNoConnectorClass: isolation/Plugins.connectorClass. Since 4.1
// (KIP-891, delta K6) validateConnectorConfig answers it as 400, and
// CachedConnectors caches the failure, so later requests for the same class
// get the cached exception's toString (msgCachedNoConnectorClass).
func msgNoConnectorClass(class, available string) string {
	return "Failed to find any class that implements Connector and which name matches " + class +
		", available connectors are: " + available
}

func msgCachedNoConnectorClass(class, available string) string {
	return javaConnectException + ": " + msgNoConnectorClass(class, available)
}

// msgConfigInvalid: AbstractHerder.maybeAddConfigErrors.
func msgConfigInvalid(errs []string) string {
	s := fmt.Sprintf("Connector configuration is invalid and contains the following %d error(s):", len(errs))
	for _, e := range errs {
		s += "\n" + e
	}
	return s + "\nYou can also find the above list of errors at the endpoint `/connector-plugins/{connectorType}/config/validate`"
}

// msgUnknownInitialState: rest/entities/CreateConnectorRequest.InitialState.forValue
// (Enum.valueOf's IllegalArgumentException, surfaced through Jackson).
func msgUnknownInitialState(v string) string {
	return "No enum constant org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest.InitialState." + v
}

// Errors of an unsettled cluster (rest/HerderRequestHandler.java); the lab
// gives them only through the FailNextMutations fault hook.
const (
	msgRebalance            = "Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)"
	msgNoLeader             = "Cannot complete request momentarily due to no known leader URL, likely because a rebalance was underway."
	msgConflictingOperation = "Cannot complete request because of a conflicting operation (e.g. worker rebalance)"
	msgRequestTimedOut      = "Request timed out"
)

// msgRequestTimedOutStage: HerderRequestHandler since 3.9 appends
// Stage.summarize() when the herder knows its current stage (delta K10).
func msgRequestTimedOutStage(stage string, began time.Time) string {
	return msgRequestTimedOut + ". The worker is currently " + stage + ", which began at " +
		began.UTC().Format("2006-01-02T15:04:05.000Z") + "."
}

// Active-topic endpoints when the worker turned tracking off
// (rest/resources/ConnectorsResource.java, both answer 403).
const (
	msgTopicTrackingDisabled      = "Topic tracking is disabled."
	msgTopicTrackingResetDisabled = "Topic tracking reset is disabled."
)

// msgUnknownCreateField: Jackson's UnrecognizedPropertyException for a
// field CreateConnectorRequest does not have (e.g. initial_offsets, which
// 3.7 does not know); the location suffix Jackson adds is left out.
func msgUnknownCreateField(field string) string {
	return "Unrecognized field \"" + field + "\" (class org.apache.kafka.connect.runtime.rest.entities.CreateConnectorRequest), " +
		"not marked as ignorable (3 known properties: \"name\", \"config\", \"initial_state\"])"
}

// Offsets (KIP-875).
const (
	// ConnectorsResource.alterConnectorOffsets.
	msgOffsetsMissing = "Partitions / offsets need to be provided for an alter offsets request"

	// connect/util/SinkUtils.parseSinkConnectorOffsets.
	msgSinkPartitionNull     = "The partition for a sink connector offset cannot be null or missing"
	msgSinkPartitionKeys     = "The partition for a sink connector offset must contain the keys 'kafka_topic' and 'kafka_partition'"
	msgSinkTopicNull         = "Kafka topic names must be valid strings and may not be null"
	msgSinkPartitionValNull  = "Kafka partitions must be valid numbers and may not be null"
	msgSinkOffsetKeyRequired = "The offset for a sink connector should either be null or contain the key 'kafka_offset'"
)

// msgNotStopped: DistributedHerder.modifyConnectorOffsetsChecks.
func msgNotStopped(name string) string {
	return "Connectors must be in the STOPPED state before their offsets can be modified. This can be done " +
		"for the specified connector by issuing a 'PUT' request to the '/connectors/" + name + "/stop' endpoint"
}

// msgSinkBadPartition / msgSinkBadOffset: SinkUtils.parseSinkConnectorOffsets;
// v is the value as Java's String.valueOf prints it.
func msgSinkBadPartition(v string) string {
	return "Failed to parse the following Kafka partition value in the provided offsets: '" + v +
		"'. Partition values for sink connectors need to be integers."
}

func msgSinkBadOffset(v string) string {
	return "Failed to parse the following Kafka offset value in the provided offsets: '" + v +
		"'. Offset values for sink connectors need to be integers."
}

// msgNonPrimitiveOffset: storage/OffsetUtils.validateFormat (DataException,
// 500); javaType is the Connect schema type name (MAP, ARRAY).
func msgNonPrimitiveOffset(field, javaType string) string {
	return "Offsets may only contain primitive types as values, but field " + field + " contains " + javaType
}

// msgModified: Worker.completeModifyOffsetsCallback. Lab connectors, like
// Debezium, do not implement alterOffsets, so the worker always answers with
// the "framework-managed" variant; managed=true gives the other one.
func msgModified(reset, managed bool) string {
	kind := "altered"
	if reset {
		kind = "reset"
	}
	if managed {
		return "The offsets for this connector have been " + kind + " successfully"
	}
	return "The Connect framework-managed offsets for this connector have been " + kind +
		" successfully. However, if this connector manages offsets externally, they will need to be manually " +
		kind + " in the system that the connector uses."
}

// Sink offset failures: Worker.modifySinkConnectorOffsets / resetSinkConnectorOffsets / sinkConnectorOffsets.
func msgSinkAlterFailed(name string) string {
	return "Failed to alter consumer group offsets for connector " + name + " either because its tasks " +
		"haven't stopped completely yet or the connector was resumed before the request to alter its offsets could be successfully " +
		"completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the " +
		"Connect cluster may need to be restarted to get rid of the zombie sink tasks."
}

func msgSinkResetFailed(name string) string {
	return "Failed to reset consumer group offsets for connector " + name + " either because its tasks " +
		"haven't stopped completely yet or the connector was resumed before the request to reset its offsets could be successfully " +
		"completed. If the connector is in a stopped state, this operation can be safely retried. If it doesn't eventually succeed, the " +
		"Connect cluster may need to be restarted to get rid of the zombie sink tasks."
}

// msgSinkAlterGroupFailed / msgSinkResetGroupFailed: the generic admin
// failures of Worker.modifySinkConnectorOffsets / resetSinkConnectorOffsets;
// the cause is only logged (delta K11).
func msgSinkAlterGroupFailed(name string) string {
	return "Failed to alter consumer group offsets for connector " + name
}

func msgSinkResetGroupFailed(name string) string {
	return "Failed to reset consumer group offsets for sink connector " + name
}

func msgSinkReadFailed(name string) string {
	return "Failed to retrieve consumer group offsets for sink connector " + name
}

func msgSourceModifyFailed(name string) string {
	return "Failed to modify offsets for source connector " + name
}

// Error handling (runtime/errors/RetryWithToleranceOperator.java,
// WorkerSinkTask, storage/Converter failures in JsonConverter.toConnectData).
const (
	msgToleranceExceeded = "Tolerance exceeded in error handler"
	javaConnectException = "org.apache.kafka.connect.errors.ConnectException"
	javaDataException    = "org.apache.kafka.connect.errors.DataException"
)

// JsonConverter.toConnectData (connect/json/.../JsonConverter.java).
const (
	msgConvertFailed   = "Converting byte[] to Kafka Connect data failed due to serialization error: "
	msgSchemasEnvelope = "JsonConverter with schemas.enable requires \"schema\" and \"payload\" fields and may not contain additional fields." +
		" If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration."
)

// msgSinkTaskUnrecoverable: WorkerSinkTask.deliverMessages wraps what put throws.
const msgSinkTaskUnrecoverable = "Exiting WorkerSinkTask due to unrecoverable exception."

// msgSourceSendFailed: WorkerSourceTask's producer send callback.
const msgSourceSendFailed = "Unrecoverable exception from producer send callback"
