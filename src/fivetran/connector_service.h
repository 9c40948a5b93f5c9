#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include <grpcpp/grpcpp.h>

#include "common/error.h"
#include "connector/connector.h"
#include "fivetran/call_watcher.h"
#include "fivetran/convert.h"
#include "fivetran/grpc_record_sink.h"
#include "fivetran_sdk/connector_sdk.grpc.pb.h"

namespace ac::fivetran {

struct ServiceOptions {
  /// Clock, HTTP transports and progress hook handed to every Connector (defaults are real).
  connector::ConnectorEnvironment environment;
  size_t max_records_per_message = kMaxRecordsPerMessage;
  size_t max_message_bytes = kMaxRecordsMessageBytes;
  /// How often running calls are checked for a client that went away.
  std::chrono::milliseconds cancel_poll_interval{100};
};

/// Outcome of one Update (what the RPC returns, plus what it sent).
struct UpdateOutcome {
  grpc::Status status;
  std::optional<common::ErrorKind> error_kind;  ///< set when status is not OK
  GrpcRecordSinkStats stats;
  bool task_sent = false;
};

/// Runs one Update against `writer`: validates state and configuration, maps the selection, syncs
/// with a GrpcRecordSink and maps every failure (never throws):
///  - malformed state_json -> INVALID_ARGUMENT;
///  - user-actionable errors (configuration, credentials, permissions, missing objects) -> one
///    `task` message, then FAILED_PRECONDITION with the same message;
///  - transient -> UNAVAILABLE; cancelled (client gone, shutdown) -> CANCELLED; else INTERNAL.
UpdateOutcome RunUpdate(const pb::UpdateRequest& request, const UpdateWriter& writer,
                        const common::CancellationToken& cancel, const ServiceOptions& options);

/// Fivetran's `fivetran_sdk.v2.SourceConnector` over the one sync core (connector::Connector).
/// Every RPC catches everything at its edge; a failed call carries the common::ErrorKind in the
/// trailing metadata `x-ac-error-kind` (see status.h).
class ConnectorService final : public pb::SourceConnector::Service {
 public:
  explicit ConnectorService(ServiceOptions options = {});
  ~ConnectorService() override;

  grpc::Status ConfigurationForm(grpc::ServerContext* context,
                                 const pb::ConfigurationFormRequest* request,
                                 pb::ConfigurationFormResponse* response) override;
  grpc::Status Test(grpc::ServerContext* context, const pb::TestRequest* request,
                    pb::TestResponse* response) override;
  grpc::Status Schema(grpc::ServerContext* context, const pb::SchemaRequest* request,
                      pb::SchemaResponse* response) override;
  grpc::Status Update(grpc::ServerContext* context, const pb::UpdateRequest* request,
                      grpc::ServerWriter<pb::UpdateResponse>* writer) override;

  /// Cancels every running call (their Athena queries are stopped) and makes new calls fail
  /// with CANCELLED: the first step of a graceful shutdown.
  void CancelAll();
  size_t active_calls() const { return watcher_.active_calls(); }

 private:
  ServiceOptions options_;
  CallWatcher watcher_;
};

}  // namespace ac::fivetran
