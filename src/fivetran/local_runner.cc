#include "fivetran/local_runner.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <unordered_map>

#include "fivetran/convert.h"
#include "fivetran/record_wire.h"
#include "fivetran/server.h"
#include "fivetran/status.h"

namespace ac::fivetran {

/// An UpdateResponse kept as its wire bytes: RunLocalSync reads the Update stream with this type
/// so that records are read in place (UpdateApplier::ApplySerialized) instead of being parsed into
/// a protobuf map per record.
struct SerializedUpdateResponse {
  std::string bytes;
};

}  // namespace ac::fivetran

template <>
class grpc::SerializationTraits<ac::fivetran::SerializedUpdateResponse, void> {
 public:
  static grpc::Status Serialize(const ac::fivetran::SerializedUpdateResponse& message,
                                grpc::ByteBuffer* buffer, bool* own_buffer) {
    grpc::Slice slice(message.bytes);
    *buffer = grpc::ByteBuffer(&slice, 1);
    *own_buffer = true;
    return grpc::Status::OK;
  }
  static grpc::Status Deserialize(grpc::ByteBuffer* buffer,
                                  ac::fivetran::SerializedUpdateResponse* message) {
    std::vector<grpc::Slice> slices;
    grpc::Status status = buffer->Dump(&slices);
    message->bytes
        .clear();  // keeps its capacity: no allocation per message once it is large enough
    for (const grpc::Slice& slice : slices) {
      message->bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
    buffer->Clear();
    return status;
  }
};

namespace ac::fivetran {
namespace {

using common::ErrorKind;
using connector::RecordType;

struct TableState {
  common::TableSchema schema;
  std::unordered_map<std::string, size_t> index;  // column name -> position
  // Column positions in the order the previous record listed its values: records of one table
  // usually list them in the same order, so a name comparison replaces a hash lookup per cell.
  std::vector<const std::string*> last_order;
  std::vector<size_t> last_positions;

  void Reindex() {
    index.clear();
    last_order.clear();
    last_positions.clear();
    for (size_t i = 0; i < schema.columns.size(); ++i) index.emplace(schema.columns[i].name, i);
  }

  // Positions of the record's values in `positions` (in the record's order); false when a name
  // is not a column of the table.
  bool Resolve(const WireRecord& record, std::vector<size_t>& positions) {
    positions.clear();
    size_t k = 0;
    for (const auto& entry : record.entries) {
      const std::string_view name = entry.name;
      if (k < last_order.size() && *last_order[k] == name) {
        positions.push_back(last_positions[k]);
      } else {
        const auto it = index.find(std::string(name));
        if (it == index.end()) return false;
        positions.push_back(it->second);
        if (k < last_order.size()) {
          last_order[k] = &schema.columns[it->second].name;
          last_positions[k] = it->second;
        } else {
          last_order.push_back(&schema.columns[it->second].name);
          last_positions.push_back(it->second);
        }
      }
      ++k;
    }
    return true;
  }
};

// Links the caller's CancellationToken to whichever ClientContext is current. The token's
// callbacks cannot be removed, so they hold this shared state, not the context itself.
class CancelLink {
 public:
  explicit CancelLink(const common::CancellationToken* token) : state_(std::make_shared<State>()) {
    if (token == nullptr) return;
    const_cast<common::CancellationToken*>(token)->OnCancel([state = state_] {
      std::lock_guard<std::mutex> lock(state->mutex);
      state->cancelled = true;
      if (state->context != nullptr) state->context->TryCancel();
    });
  }
  ~CancelLink() { Attach(nullptr); }
  // Returns false when already cancelled.
  bool Attach(grpc::ClientContext* context) {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->context = context;
    return !state_->cancelled;
  }
  bool cancelled() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->cancelled;
  }

 private:
  struct State {
    std::mutex mutex;
    grpc::ClientContext* context = nullptr;
    bool cancelled = false;
  };
  std::shared_ptr<State> state_;
};

std::optional<ErrorKind> KindFromMetadata(const grpc::ClientContext& context) {
  const auto& metadata = context.GetServerTrailingMetadata();
  const auto it = metadata.find(kErrorKindMetadataKey);
  if (it == metadata.end()) return std::nullopt;
  return ErrorKindFromToken(std::string_view(it->second.data(), it->second.size()));
}

void Fail(LocalSyncResult& result, ErrorKind kind, grpc::StatusCode code,
          const std::string& message) {
  result.ok = false;
  result.error_kind = kind;
  result.status_code = code;
  result.message = OneLine(message);
}

void FailWithStatus(LocalSyncResult& result, const char* rpc, const grpc::Status& status,
                    const grpc::ClientContext& context) {
  const ErrorKind kind =
      KindFromMetadata(context).value_or(ErrorKindForStatus(status.error_code()));
  std::string message = status.error_message();
  if (message.empty())
    message = fmt::format("{} failed with {}", rpc, StatusCodeName(status.error_code()));
  Fail(result, kind, status.error_code(), message);
}

RecordType RecordTypeOf(const WireRecord& record) {
  if (record.type < 0 || record.type > static_cast<int>(RecordType::kTruncate)) {
    throw common::ProtocolError(
        fmt::format("record of table '{}' has an unknown type {}", record.table_name, record.type));
  }
  return static_cast<RecordType>(record.type);
}

/// A parsed Record as a WireRecord (views into `record`).
void ViewRecord(const pb::Record& record, WireRecord& out) {
  out.schema_name = record.schema_name();
  out.table_name = record.table_name();
  out.type = static_cast<int>(record.type());
  out.entries.clear();
  for (const auto& [name, value] : record.data()) out.entries.push_back({name, CarriedOf(value)});
}

}  // namespace

struct UpdateApplier::Impl {
  connector::RecordSink& sink;
  LocalSyncResult& result;
  size_t max_rows;
  /// schema ("" = none) -> table -> state; looked up by the record's views, without copies.
  std::map<std::string, std::map<std::string, TableState, std::less<>>, std::less<>> tables;

  // The group of consecutive records being gathered into `batch`.
  TableState* group_table = nullptr;
  RecordType group_type = RecordType::kUpsert;
  std::vector<size_t> group_columns;  // UPDATE/DELETE: positions of the columns present
  common::TableSchema group_schema;   // UPDATE/DELETE: the table with only those columns
  common::ValueBatch batch;
  std::vector<size_t> present;    // scratch
  std::vector<size_t> positions;  // scratch: column position of each value of a record
  WireRecord record_view;         // scratch: the record being applied

  Impl(connector::RecordSink& s, LocalSyncResult& r, size_t m)
      : sink(s), result(r), max_rows(std::max<size_t>(m, 1)) {}

  void Flush() {
    if (group_table != nullptr && batch.num_rows() > 0) {
      const bool partial = group_type == RecordType::kUpdate || group_type == RecordType::kDelete;
      sink.WriteAndRecycle(partial ? group_schema : group_table->schema, group_type, batch);
    }
    group_table = nullptr;
    batch.Clear();
  }

  TableState& Define(common::TableSchema schema) {
    Flush();
    TableState& state = tables[schema.schema][schema.name];
    state.schema = std::move(schema);
    state.Reindex();
    sink.DefineTable(state.schema);
    auto it =
        std::find_if(result.tables.begin(), result.tables.end(), [&](const common::TableSchema& t) {
          return t.schema == state.schema.schema && t.name == state.schema.name;
        });
    if (it == result.tables.end()) {
      result.tables.push_back(state.schema);
    } else {
      *it = state.schema;
    }
    return state;
  }

  // A table no Schema or SchemaChange announced: columns by name, types from the values.
  TableState& DefineFromRecord(const WireRecord& record) {
    common::TableSchema schema;
    schema.schema = std::string(record.schema_name);
    schema.name = std::string(record.table_name);
    for (const auto& entry : record.entries) {
      const common::DataType type = entry.value.type;
      const auto same_name = [&](const common::ColumnSchema& c) { return c.name == entry.name; };
      if (std::any_of(schema.columns.begin(), schema.columns.end(), same_name))
        continue;  // a repeated key
      schema.columns.push_back(
          {std::string(entry.name),
           type == common::DataType::kUnspecified ? common::DataType::kString : type, false, 0, 0});
    }
    std::sort(schema.columns.begin(), schema.columns.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    return Define(std::move(schema));
  }

  void ApplyRecord(const WireRecord& record) {
    const RecordType type = RecordTypeOf(record);
    TableState* found = nullptr;
    if (const auto schema = tables.find(record.schema_name); schema != tables.end()) {
      if (const auto it = schema->second.find(record.table_name); it != schema->second.end())
        found = &it->second;
    }
    TableState& table = found != nullptr ? *found : DefineFromRecord(record);
    if (type == RecordType::kTruncate) {
      Flush();
      sink.Truncate(table.schema);
      ++result.counters.truncates;
      return;
    }
    // Columns the table does not have yet extend it (declared to the sink first).
    if (!table.Resolve(record, positions)) {
      Flush();
      for (const auto& entry : record.entries) {
        std::string name(entry.name);
        if (table.index.count(name)) continue;
        const common::DataType value_type = entry.value.type;
        table.schema.columns.push_back(
            {name,
             value_type == common::DataType::kUnspecified ? common::DataType::kString : value_type,
             false, 0, 0});
        table.index.emplace(std::move(name), table.schema.columns.size() - 1);
      }
      Define(table.schema);
      table.Resolve(record, positions);
    }

    const size_t num_columns = table.schema.columns.size();
    if (type == RecordType::kUpsert) {
      if (group_table != &table || group_type != type || batch.num_rows() >= max_rows) {
        Flush();
        group_table = &table;
        group_type = type;
        batch.Reset(num_columns);
      }
      common::Value* row = batch.AppendRow();
      for (size_t i = 0; i < num_columns; ++i)
        row[i] = common::Value::Null(table.schema.columns[i].type);
      size_t k = 0;
      for (const auto& entry : record.entries) {
        const size_t i = positions[k++];
        row[i] = FromCarriedValue(entry.value, table.schema.columns[i].type, batch);
      }
      ++result.counters.upserts;
      return;
    }

    // UPDATE / DELETE: only the columns present (a partial row), grouped while that set is equal.
    present.assign(positions.begin(), positions.end());
    std::sort(present.begin(), present.end());
    if (group_table != &table || group_type != type || group_columns != present ||
        batch.num_rows() >= max_rows) {
      Flush();
      group_table = &table;
      group_type = type;
      group_columns = present;
      group_schema.name = table.schema.name;
      group_schema.columns.clear();
      for (const size_t i : present) group_schema.columns.push_back(table.schema.columns[i]);
      batch.Reset(present.size());
    }
    common::Value* row = batch.AppendRow();
    size_t k = 0;
    for (const auto& entry : record.entries) {
      const size_t i = positions[k++];
      const size_t position =
          std::lower_bound(group_columns.begin(), group_columns.end(), i) - group_columns.begin();
      row[position] = FromCarriedValue(entry.value, table.schema.columns[i].type, batch);
    }
    ++(type == RecordType::kUpdate ? result.counters.updates : result.counters.deletes);
  }

  bool Apply(const pb::UpdateResponse& response) {
    switch (response.operation_case()) {
      case pb::UpdateResponse::kRecords:
        ++result.records_messages;
        for (const auto& record : response.records().records()) {
          ViewRecord(record, record_view);
          ApplyRecord(record_view);
        }
        return true;
      case pb::UpdateResponse::kRecord:
        ViewRecord(response.record(), record_view);
        ApplyRecord(record_view);
        return true;
      case pb::UpdateResponse::kSchemaChange: {
        const auto& change = response.schema_change();
        if (change.has_without_schema()) {
          for (const auto& table : change.without_schema().tables()) {
            Define(FromProtoTable(table));
            ++result.counters.schema_changes;
          }
        } else if (change.has_with_schema()) {
          for (auto& table : FromProtoSchemaList(change.with_schema())) {
            Define(std::move(table));
            ++result.counters.schema_changes;
          }
        }
        return true;
      }
      case pb::UpdateResponse::kCheckpoint:
        Flush();
        sink.Checkpoint(response.checkpoint().state_json());
        result.last_state_json = response.checkpoint().state_json();
        ++result.counters.checkpoints;
        return true;
      case pb::UpdateResponse::kWarning:
        Flush();
        sink.Warning(response.warning().message());
        result.warnings.push_back(response.warning().message());
        return true;
      case pb::UpdateResponse::kTask:
        Flush();
        result.task = true;
        result.message = OneLine(response.task().message());
        return false;
      case pb::UpdateResponse::OPERATION_NOT_SET:
        return true;
    }
    return true;
  }
};

UpdateApplier::UpdateApplier(connector::RecordSink& sink, LocalSyncResult& result,
                             size_t max_rows_per_write)
    : impl_(std::make_unique<Impl>(sink, result, max_rows_per_write)) {}

UpdateApplier::~UpdateApplier() = default;

void UpdateApplier::DefineTables(const std::vector<common::TableSchema>& tables) {
  for (const auto& table : tables) {
    impl_->Define(table);
    ++impl_->result.counters.schema_changes;
  }
}

bool UpdateApplier::Apply(const pb::UpdateResponse& response) {
  return impl_->Apply(response);
}

bool UpdateApplier::ApplySerialized(std::string_view message) {
  if (const std::optional<std::string_view> records = UpdateResponseRecords(message)) {
    ++impl_->result.records_messages;
    RecordWireDecoder decoder(*records);
    while (decoder.Next(impl_->record_view)) impl_->ApplyRecord(impl_->record_view);
    return true;
  }
  pb::UpdateResponse response;
  if (!response.ParseFromArray(message.data(), static_cast<int>(message.size()))) {
    throw common::ProtocolError(
        "malformed Update stream message: it does not parse as an UpdateResponse");
  }
  return impl_->Apply(response);
}

void UpdateApplier::Flush() {
  impl_->Flush();
}

namespace {

/// The selection `debug` sends: every table and column, or only `options.tables`, without
/// `options.excluded_columns` (a local run has no dashboard); tables named as the Schema lists
/// them (`schema.table` when the connector has schemas). with_schema when the Schema had schemas.
/// Returns the selected tables with their selected columns (a primary-key column always stays), as
/// Fivetran creates them before the Update. Throws common::ConfigError naming a table or column
/// the Schema did not list.
std::vector<common::TableSchema> SelectTables(const std::vector<common::TableSchema>& tables,
                                              const LocalSyncOptions& options,
                                              pb::Selection& selection) {
  std::string names;
  for (const auto& table : tables) names += (names.empty() ? "" : ", ") + table.QualifiedName();
  auto find_table = [&](std::string_view name) -> const common::TableSchema* {
    for (const auto& table : tables) {
      if (table.QualifiedName() == name) return &table;
    }
    return nullptr;
  };
  for (const auto& name : options.tables) {
    if (find_table(name) == nullptr) {
      throw common::ConfigError(fmt::format("--tables: no table '{}' (tables: {})", name,
                                            names.empty() ? "none" : names));
    }
  }
  std::set<std::pair<std::string, std::string>> excluded;  // (qualified table, column)
  for (const auto& entry : options.excluded_columns) {
    const size_t dot = entry.rfind('.');
    const std::string table_name = dot == std::string::npos ? entry : entry.substr(0, dot);
    const common::TableSchema* table = find_table(table_name);
    if (dot == std::string::npos || table == nullptr) {
      throw common::ConfigError(fmt::format(
          "--exclude-columns: '{}' is not <table>.<column> of a table (tables: {})", entry, names));
    }
    const std::string column = entry.substr(dot + 1);
    if (table->FindColumn(column) < 0) {
      throw common::ConfigError(
          fmt::format("--exclude-columns: table '{}' has no column '{}'", table_name, column));
    }
    excluded.emplace(table_name, column);
  }
  const bool all_tables = options.tables.empty();
  auto add = [&](const common::TableSchema& table, pb::TableSelection* t) {
    bool included = all_tables;
    for (const auto& name : options.tables) included = included || name == table.QualifiedName();
    t->set_included(included);
    t->set_table_name(table.name);
    t->set_include_new_columns(true);
    for (const auto& column : table.columns) {
      (*t->mutable_columns())[column.name] = !excluded.count({table.QualifiedName(), column.name});
    }
  };
  std::vector<common::TableSchema> selected;
  for (const auto& table : tables) {
    bool included = all_tables;
    for (const auto& name : options.tables) included = included || name == table.QualifiedName();
    if (!included) continue;
    common::TableSchema& kept = selected.emplace_back(table);
    kept.columns.clear();
    for (const auto& column : table.columns) {
      if (column.primary_key || !excluded.count({table.QualifiedName(), column.name}))
        kept.columns.push_back(column);
    }
  }
  if (!AnySchema(tables)) {
    pb::TablesWithNoSchema* list = selection.mutable_without_schema();
    list->set_include_new_tables(all_tables);
    for (const auto& table : tables) add(table, list->add_tables());
    return selected;
  }
  pb::TablesWithSchema* schemas = selection.mutable_with_schema();
  schemas->set_include_new_schemas(all_tables);
  for (const auto& table : tables) {
    pb::SchemaSelection* schema = nullptr;
    for (auto& existing : *schemas->mutable_schemas()) {
      if (existing.schema_name() == table.schema) schema = &existing;
    }
    if (schema == nullptr) {
      schema = schemas->add_schemas();
      schema->set_schema_name(table.schema);
      schema->set_included(true);
      schema->set_include_new_tables(all_tables);
    }
    add(table, schema->add_tables());
  }
  return selected;
}

}  // namespace

LocalSyncResult RunLocalSync(const LocalSyncOptions& options, connector::RecordSink& sink) {
  LocalSyncResult result;
  auto print = [&](const std::string& line) {
    if (options.print) options.print(line);
  };
  CancelLink cancel(options.cancel);
  auto cancelled = [&] {
    Fail(result, ErrorKind::kCancelled, grpc::StatusCode::CANCELLED, "the sync was cancelled");
    return result;
  };

  std::unique_ptr<Server> server;
  try {
    if (options.target.empty()) {
      ServerOptions server_options;
      server_options.listen = options.use_tcp;
      server_options.host = "127.0.0.1";
      server_options.port = 0;
      server_options.json_logs = false;
      server_options.service = options.service;
      server = Server::Start(server_options);
    }
    std::shared_ptr<grpc::Channel> channel;
    if (!options.target.empty() || options.use_tcp) {
      grpc::ChannelArguments args;
      args.SetMaxReceiveMessageSize(kMaxMessageBytes);
      args.SetMaxSendMessageSize(kMaxMessageBytes);
      channel = grpc::CreateCustomChannel(
          options.target.empty() ? fmt::format("127.0.0.1:{}", server->port()) : options.target,
          grpc::InsecureChannelCredentials(), args);
    } else {
      channel = server->InProcessChannel();
    }
    auto stub = pb::SourceConnector::NewStub(channel);
    const auto& configuration = options.configuration;

    // 1. The form: which tests to run.
    pb::ConfigurationFormResponse form;
    {
      grpc::ClientContext context;
      context.set_wait_for_ready(true);
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
      if (!cancel.Attach(&context)) return cancelled();
      const grpc::Status status =
          stub->ConfigurationForm(&context, pb::ConfigurationFormRequest(), &form);
      cancel.Attach(nullptr);
      if (!status.ok()) {
        FailWithStatus(result, "ConfigurationForm", status, context);
        return result;
      }
    }

    // 2. Setup tests, in order; the first failure stops the run.
    if (options.run_tests) {
      for (const auto& test : form.tests()) {
        pb::TestRequest request;
        request.set_name(test.name());
        request.mutable_configuration()->insert(configuration.begin(), configuration.end());
        pb::TestResponse response;
        grpc::ClientContext context;
        if (!cancel.Attach(&context)) return cancelled();
        const grpc::Status status = stub->Test(&context, request, &response);
        cancel.Attach(nullptr);
        if (!status.ok()) {
          FailWithStatus(result, "Test", status, context);
          result.failed_test = test.label();
          print(fmt::format("[{}]: FAILED: {}", test.label(), result.message));
          return result;
        }
        if (response.has_failure() || !response.success()) {
          const std::string failure =
              response.has_failure() ? response.failure() : "the test did not pass";
          Fail(result, KindFromMetadata(context).value_or(ErrorKind::kConfig), grpc::StatusCode::OK,
               failure);
          result.failed_test = test.label();
          print(fmt::format("[{}]: FAILED: {}", test.label(), result.message));
          return result;
        }
        print(fmt::format("[{}]: PASSED", test.label()));
      }
    }

    // 3. Schema, and a selection of every table and column.
    std::vector<common::TableSchema> tables;
    {
      pb::SchemaRequest request;
      request.mutable_configuration()->insert(configuration.begin(), configuration.end());
      pb::SchemaResponse response;
      grpc::ClientContext context;
      if (!cancel.Attach(&context)) return cancelled();
      const grpc::Status status = stub->Schema(&context, request, &response);
      cancel.Attach(nullptr);
      if (!status.ok()) {
        FailWithStatus(result, "Schema", status, context);
        return result;
      }
      if (response.has_without_schema()) {
        tables = FromProtoTableList(response.without_schema());
      } else if (response.has_with_schema()) {
        tables = FromProtoSchemaList(response.with_schema());
      }
    }
    pb::UpdateRequest request;
    request.mutable_configuration()->insert(configuration.begin(), configuration.end());
    if (!options.state_json.empty()) request.set_state_json(options.state_json);
    try {
      tables = SelectTables(tables, options, *request.mutable_selection());
    } catch (const common::Error& e) {
      Fail(result, e.kind(), grpc::StatusCode::OK, e.what());
      return result;
    }

    // 4. Update: apply the stream to the sink.
    UpdateApplier applier(sink, result, options.max_rows_per_write);
    applier.DefineTables(tables);
    grpc::ClientContext context;
    if (!cancel.Attach(&context)) return cancelled();
    // The stub's Update method, read as wire bytes (SerializedUpdateResponse): the same factory
    // and method name the generated stub uses, with another response type.
    const std::string update_method_name =
        fmt::format("/{}/Update", pb::SourceConnector::service_full_name());
    const grpc::internal::RpcMethod update_method(
        update_method_name.c_str(), grpc::internal::RpcMethod::SERVER_STREAMING, channel);
    std::unique_ptr<grpc::ClientReader<SerializedUpdateResponse>> reader(
        grpc::internal::ClientReaderFactory<SerializedUpdateResponse>::Create(
            channel.get(), update_method, &context, request));
    SerializedUpdateResponse message;
    std::optional<common::Error> sink_error;
    std::string task_message;
    try {
      while (reader->Read(&message)) {
        if (!applier.ApplySerialized(message.bytes)) {
          task_message = result.message;
          break;
        }
      }
      applier.Flush();
      sink.Drain();
    } catch (const common::Error& e) {
      sink_error.emplace(e.kind(), e.what());
    } catch (const std::exception& e) {
      sink_error.emplace(ErrorKind::kInternal, e.what());
    }
    if (sink_error) context.TryCancel();
    // After a task the server ends the call itself; read to its status (and error kind).
    while (reader->Read(&message)) {
    }
    const grpc::Status status = reader->Finish();
    cancel.Attach(nullptr);
    if (sink_error) {
      Fail(result, sink_error->kind(), grpc::StatusCode::ABORTED, sink_error->what());
      return result;
    }
    if (result.task) {
      const ErrorKind kind =
          status.ok() ? ErrorKind::kConfig : KindFromMetadata(context).value_or(ErrorKind::kConfig);
      Fail(result, kind, status.error_code(), task_message);
      return result;
    }
    if (!status.ok()) {
      if (cancel.cancelled()) return cancelled();
      FailWithStatus(result, "Update", status, context);
      return result;
    }
    result.ok = true;
    result.message.clear();
    return result;
  } catch (const common::Error& e) {
    Fail(result, e.kind(), grpc::StatusCode::ABORTED, e.what());
  } catch (const std::exception& e) {
    Fail(result, ErrorKind::kInternal, grpc::StatusCode::INTERNAL,
         fmt::format("internal error: {}", e.what()));
  }
  return result;
}

}  // namespace ac::fivetran
