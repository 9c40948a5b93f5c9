#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>

#include <google/protobuf/arena.h>

#include "connector/record_sink.h"
#include "fivetran/convert.h"

namespace ac::fivetran {

/// Limits of one `records` message of the Update stream.
inline constexpr size_t kMaxRecordsPerMessage = 100;        ///< enforced by Fivetran
inline constexpr size_t kMaxRecordsMessageBytes = 1 << 20;  ///< 1 MiB of encoded records

/// Sends one UpdateResponse; returns false when the stream is broken (client went away).
using UpdateWriter = std::function<bool(const pb::UpdateResponse&)>;

/// Tables (and their columns) Fivetran already knows from the Schema response, taken from the
/// Update's selection. A table defined during the sync that is not known (or has a column that is
/// not) is announced with a `schema_change` first.
struct KnownTables {
  bool enabled = false;  ///< false: never send schema_change
  /// TableSchema::QualifiedName() -> columns ({} = all columns)
  std::map<std::string, std::set<std::string>> tables;
};

struct GrpcRecordSinkOptions {
  size_t max_records_per_message = kMaxRecordsPerMessage;
  size_t max_message_bytes = kMaxRecordsMessageBytes;
  KnownTables known_tables;
};

/// Counters of what a GrpcRecordSink sent.
struct GrpcRecordSinkStats {
  int64_t records = 0;
  int64_t records_messages = 0;
  int64_t checkpoints = 0;
  int64_t warnings = 0;
  int64_t schema_changes = 0;
};

/// RecordSink writing Fivetran's Update stream: rows become `Record`s (one ValueType per column),
/// encoded straight to wire bytes (RecordWireEncoder) and gathered into `records` messages of at
/// most 100 records / 1 MiB; the writer gets an UpdateResponse whose `records` field is carried
/// as an (unparsed) unknown field, so only its serialized form is meaningful. Flushed before every
/// checkpoint, warning and schema change so that the stream keeps the sync's order.
/// Throws common::CancelledError when the writer reports a broken stream.
class GrpcRecordSink final : public connector::RecordSink {
 public:
  explicit GrpcRecordSink(UpdateWriter writer, GrpcRecordSinkOptions options = {});
  ~GrpcRecordSink() override;

  void DefineTable(const common::TableSchema& table) override;
  void Truncate(const common::TableSchema& table) override;
  void Write(const common::TableSchema& table, connector::RecordType type,
             const common::ValueBatch& rows) override;
  void Checkpoint(const std::string& state_json) override;
  void Warning(const std::string& message) override;

  /// Sends one `task` message (after flushing nothing: records since the last checkpoint are
  /// not committed anyway) — the sync stops after it.
  void Task(const std::string& message);
  /// Sends the records still gathered.
  void Flush();
  /// Forgets the records still gathered (on failure).
  void DiscardPending();

  const GrpcRecordSinkStats& stats() const { return stats_; }

 private:
  /// Encodes one record (row = null: no data, TRUNCATE) into the pending `records` message.
  void AddRecord(const common::TableSchema& table, connector::RecordType type,
                 const common::Value* row);
  void Send(const pb::UpdateResponse& response);
  void ResetPending();

  UpdateWriter writer_;
  GrpcRecordSinkOptions options_;
  GrpcRecordSinkStats stats_;
  std::string pending_;  ///< wire bytes of the `Records` message being gathered
  std::string record_;   ///< scratch: the record being added
  size_t pending_records_ = 0;
};

}  // namespace ac::fivetran
