#include "fivetran/grpc_record_sink.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"

namespace ac::fivetran {
namespace {

constexpr size_t kRecordOverheadBytes = 16;

pb::RecordType ToProtoRecordType(connector::RecordType type) {
  return static_cast<pb::RecordType>(static_cast<int>(type));
}

}  // namespace

GrpcRecordSink::GrpcRecordSink(UpdateWriter writer, GrpcRecordSinkOptions options)
    : writer_(std::move(writer)), options_(std::move(options)) {
  if (options_.max_records_per_message == 0) options_.max_records_per_message = 1;
  ResetPending();
}

GrpcRecordSink::~GrpcRecordSink() = default;

void GrpcRecordSink::ResetPending() {
  pending_ = nullptr;
  arena_.Reset();
  pending_ = google::protobuf::Arena::CreateMessage<pb::UpdateResponse>(&arena_);
  pending_->mutable_records();
  pending_records_ = 0;
  pending_bytes_ = 0;
}

void GrpcRecordSink::Send(const pb::UpdateResponse& response) {
  if (!writer_(response)) {
    throw common::CancelledError("the Update stream was closed by the client");
  }
}

void GrpcRecordSink::Flush() {
  if (pending_records_ == 0) return;
  Send(*pending_);
  stats_.records_messages += 1;
  ResetPending();
}

void GrpcRecordSink::DiscardPending() { ResetPending(); }

pb::Record* GrpcRecordSink::NewRecord(const std::string& table_name, connector::RecordType type) {
  if (pending_records_ >= options_.max_records_per_message) Flush();
  pb::Record* record = pending_->mutable_records()->add_records();
  record->set_table_name(table_name);
  record->set_type(ToProtoRecordType(type));
  ++pending_records_;
  ++stats_.records;
  pending_bytes_ += kRecordOverheadBytes + table_name.size();
  return record;
}

void GrpcRecordSink::DefineTable(const common::TableSchema& table) {
  if (!options_.known_tables.enabled) return;
  auto& known = options_.known_tables.tables;
  const auto it = known.find(table.name);
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
  ToProtoTable(table, response.mutable_schema_change()->mutable_without_schema()->add_tables());
  Send(response);
  ++stats_.schema_changes;
  auto& columns = known[table.name];
  for (const auto& column : table.columns) columns.insert(column.name);
}

void GrpcRecordSink::Truncate(const common::TableSchema& table) {
  NewRecord(table.name, connector::RecordType::kTruncate);
}

void GrpcRecordSink::Write(const common::TableSchema& table, connector::RecordType type,
                           const common::ValueBatch& rows) {
  const size_t num_rows = rows.num_rows();
  const size_t num_columns = std::min(rows.num_columns(), table.columns.size());
  if (rows.num_columns() != table.columns.size()) {
    throw common::InternalError(fmt::format("table '{}': a batch has {} values per row for {} columns",
                                            table.name, rows.num_columns(), table.columns.size()));
  }
  size_t names_bytes = 0;
  for (size_t column = 0; column < num_columns; ++column) names_bytes += table.columns[column].name.size();
  for (size_t row = 0; row < num_rows; ++row) {
    size_t row_bytes = names_bytes;
    for (size_t column = 0; column < num_columns; ++column) row_bytes += EstimateValueBytes(rows.at(row, column));
    // Keep a message under the byte cap; a single oversize record travels alone.
    if (pending_records_ > 0 && pending_bytes_ + row_bytes > options_.max_message_bytes) Flush();
    pb::Record* record = NewRecord(table.name, type);
    auto& data = *record->mutable_data();
    for (size_t column = 0; column < num_columns; ++column) {
      ToValueType(rows.at(row, column), &data[table.columns[column].name]);
    }
    pending_bytes_ += row_bytes;
  }
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
