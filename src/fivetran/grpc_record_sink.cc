#include "fivetran/grpc_record_sink.h"

#include <fmt/format.h>

#include <google/protobuf/unknown_field_set.h>

#include <algorithm>

#include "common/error.h"
#include "fivetran/record_wire.h"

namespace ac::fivetran {
GrpcRecordSink::GrpcRecordSink(UpdateWriter writer, GrpcRecordSinkOptions options)
    : writer_(std::move(writer)), options_(std::move(options)) {
  if (options_.max_records_per_message == 0) options_.max_records_per_message = 1;
  ResetPending();
}

GrpcRecordSink::~GrpcRecordSink() = default;

void GrpcRecordSink::ResetPending() {
  pending_.clear();  // keeps its capacity
  pending_records_ = 0;
}

void GrpcRecordSink::Send(const pb::UpdateResponse& response) {
  if (!writer_(response)) {
    throw common::CancelledError("the Update stream was closed by the client");
  }
}

void GrpcRecordSink::Flush() {
  if (pending_records_ == 0) return;
  // The encoded records travel as the `records` field of the message: an unknown field is
  // serialized verbatim, so the wire carries exactly the bytes a parsed `Records` would give.
  pb::UpdateResponse response;
  std::string* records =
      response.GetReflection()->MutableUnknownFields(&response)->AddLengthDelimited(
          kUpdateResponseRecordsField);
  records->swap(pending_);
  const bool sent = writer_(response);
  pending_.swap(*records);
  ResetPending();
  if (!sent) throw common::CancelledError("the Update stream was closed by the client");
  stats_.records_messages += 1;
}

void GrpcRecordSink::DiscardPending() {
  ResetPending();
}

void GrpcRecordSink::AddRecord(const common::TableSchema& table, connector::RecordType type,
                               const common::Value* row) {
  record_.clear();
  RecordWireEncoder::AppendRecord(record_, table, type, row);
  // Keep a message under the record and byte caps; a single oversize record travels alone.
  if (pending_records_ >= options_.max_records_per_message ||
      (pending_records_ > 0 && pending_.size() + record_.size() > options_.max_message_bytes)) {
    Flush();
  }
  pending_.append(record_);
  ++pending_records_;
  ++stats_.records;
}

void GrpcRecordSink::DefineTable(const common::TableSchema& table) {
  if (!options_.known_tables.enabled) return;
  auto& known = options_.known_tables.tables;
  const std::string key = table.QualifiedName();
  const auto it = known.find(key);
  bool is_new = it == known.end();
  if (!is_new && !it->second.empty()) {
    for (const auto& column : table.columns) {
      if (!it->second.count(column.name)) {
        is_new = true;
        break;
      }
    }
  }
  if (!is_new) return;
  Flush();
  pb::UpdateResponse response;
  if (table.schema.empty()) {
    ToProtoTable(table, response.mutable_schema_change()->mutable_without_schema()->add_tables());
  } else {
    ToProtoSchemaList({table}, response.mutable_schema_change()->mutable_with_schema());
  }
  Send(response);
  ++stats_.schema_changes;
  auto& columns = known[key];
  for (const auto& column : table.columns) columns.insert(column.name);
}

void GrpcRecordSink::Truncate(const common::TableSchema& table) {
  AddRecord(table, connector::RecordType::kTruncate, nullptr);
}

void GrpcRecordSink::Write(const common::TableSchema& table, connector::RecordType type,
                           const common::ValueBatch& rows) {
  if (rows.num_columns() != table.columns.size()) {
    throw common::InternalError(
        fmt::format("table '{}': a batch has {} values per row for {} columns", table.name,
                    rows.num_columns(), table.columns.size()));
  }
  for (size_t row = 0; row < rows.num_rows(); ++row) AddRecord(table, type, &rows.at(row, 0));
}

void GrpcRecordSink::Checkpoint(const std::string& state_json) {
  Flush();
  pb::UpdateResponse response;
  response.mutable_checkpoint()->set_state_json(state_json);
  Send(response);
  ++stats_.checkpoints;
}

void GrpcRecordSink::Warning(const std::string& message) {
  Flush();
  pb::UpdateResponse response;
  response.mutable_warning()->set_message(message);
  Send(response);
  ++stats_.warnings;
}

void GrpcRecordSink::Task(const std::string& message) {
  pb::UpdateResponse response;
  response.mutable_task()->set_message(message);
  Send(response);
}

}  // namespace ac::fivetran
