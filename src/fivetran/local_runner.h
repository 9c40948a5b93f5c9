#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "common/clock.h"
#include "common/error.h"
#include "connector/record_sink.h"
#include "fivetran/connector_service.h"
#include "fivetran_sdk/connector_sdk.grpc.pb.h"

namespace ac::fivetran {

struct LocalSyncOptions {
  std::map<std::string, std::string> configuration;  ///< as Fivetran sends it (all strings)
  std::string state_json;                            ///< last state ("" = first sync)
  bool run_tests = true;  ///< run every setup test first (stop at a failure)
  /// Tables to sync (names as Schema lists them); empty = every table. Unknown names fail the run
  /// with the list of tables.
  std::vector<std::string> tables;
  /// Columns to leave out, as `table.column`; unknown ones fail the run.
  std::vector<std::string> excluded_columns;
  bool use_tcp = false;  ///< loopback TCP port instead of an in-process channel
  /// `host:port` of a connector server already running (e.g. another process): no server is
  /// started in-process and `use_tcp`/`service` are unused.
  std::string target;
  /// Console lines in the tester's words ("[<label>]: PASSED"); null = silent.
  std::function<void(const std::string&)> print;
  /// Cancels the run (e.g. SIGINT of `debug`): the Update call is cancelled and with it the sync.
  const common::CancellationToken* cancel = nullptr;
  /// Options of the in-process server's service (clock, transports, progress hook, batch limits).
  ServiceOptions service;
  /// Consecutive records of one table and type are applied to the sink in one Write of at most
  /// this many rows.
  size_t max_rows_per_write = 10'000;
};

/// What a local run did, with the tester's counters.
struct LocalSyncResult {
  bool ok = false;
  std::string message;                                  ///< one line: why it failed ("" on success)
  std::optional<common::ErrorKind> error_kind;          ///< set when !ok
  grpc::StatusCode status_code = grpc::StatusCode::OK;  ///< of the failed RPC
  std::string failed_test;                              ///< label of the setup test that failed
  bool task = false;                                    ///< the failure arrived as a Fivetran task
  std::vector<std::string> warnings;
  std::string last_state_json;              ///< state of the last checkpoint ("" = none)
  std::vector<common::TableSchema> tables;  ///< from Schema and schema changes
  /// Operations read from the stream (schema_changes: tables created from the Schema response
  /// and schema_change tables).
  connector::SyncCounters counters;
  int64_t records_messages = 0;  ///< `records` batches received
};

/// Plays Fivetran's side of the protocol against this connector's own server, started in-process
/// (or the one at `target`):
/// ConfigurationForm, Test (each offered test, when run_tests), Schema, then Update(configuration,
/// state_json, selection of every table and column, or of `tables` without `excluded_columns`) —
/// applying every streamed message to `sink`: records (consecutive ones of a table/type grouped
/// into one Write), truncates, schema changes (-> DefineTable), checkpoints and warnings. A task or
/// a non-OK status ends the run with ok=false. Never throws for a failed sync; exceptions of `sink`
/// end the run as a failure too (the stream's end calls sink.Drain(), so a sink that applies calls
/// later, e.g. BackgroundRecordSink, reports its errors within the run).
LocalSyncResult RunLocalSync(const LocalSyncOptions& options, connector::RecordSink& sink);

/// Applies a stream of UpdateResponse messages to a RecordSink (the part of RunLocalSync after
/// the Schema call). Exposed for tests.
class UpdateApplier {
 public:
  UpdateApplier(connector::RecordSink& sink, LocalSyncResult& result,
                size_t max_rows_per_write = 10'000);
  ~UpdateApplier();

  /// Declares the tables of the Schema response to the sink.
  void DefineTables(const std::vector<common::TableSchema>& tables);
  /// Applies one message; returns false when it was a task (the sync stops).
  bool Apply(const pb::UpdateResponse& response);
  /// The same for an UpdateResponse in wire bytes: records are read in place (RecordWireDecoder),
  /// other operations are parsed. Throws common::ProtocolError for bytes that do not parse.
  bool ApplySerialized(std::string_view message);
  /// Writes the records still grouped.
  void Flush();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ac::fivetran
