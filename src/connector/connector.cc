#include "connector/connector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cctype>
#include <cmath>
#include <ctime>

#include "athena/athena_client.h"
#include "athena/query_runner.h"
#include "athena/value_decoder.h"
#include "aws/credentials.h"
#include "aws/service_client.h"
#include "common/crypto.h"
#include "common/error.h"
#include "connector/athena_source.h"
#include "connector/cursor.h"
#include "connector/result_fetcher.h"
#include "connector/sync_state.h"

namespace ac::connector {
namespace {

using athena::Column;
using common::TableSchema;

std::string DefaultEndpoint(const std::string& service, const std::string& region) {
  const bool china = region.rfind("cn-", 0) == 0;
  return fmt::format("https://{}.{}.amazonaws.com{}", service, region, china ? ".cn" : "");
}

std::string NowIso8601(common::Clock& clock) {
  const std::time_t t = std::chrono::system_clock::to_time_t(clock.Now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

/// True for statements that can be wrapped in a subquery (SELECT ..., WITH ..., (SELECT ...)).
bool IsSelect(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size() && (std::isspace(static_cast<unsigned char>(sql[i])) || sql[i] == '(')) ++i;
  auto starts_with = [&](std::string_view word) {
    if (sql.size() - i < word.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      if (std::tolower(static_cast<unsigned char>(sql[i + k])) != word[k]) return false;
    }
    return sql.size() - i == word.size() || !std::isalnum(static_cast<unsigned char>(sql[i + word.size()]));
  };
  return starts_with("select") || starts_with("with") || starts_with("values");
}

bool IsResultGone(const common::Error& error) {
  // A result that expired or was deleted: Athena answers InvalidRequestException (or S3 NoSuchKey).
  return error.kind() == common::ErrorKind::kNotFound || error.kind() == common::ErrorKind::kQueryFailed ||
         error.kind() == common::ErrorKind::kProtocol;
}

}  // namespace

struct Connector::Impl {
  Config& config;
  common::Clock& clock;
  aws::HttpTransportFactory transports;
  std::function<void(const SyncProgress&)> on_progress;
  std::shared_ptr<aws::CredentialsProvider> credentials;
  std::shared_ptr<aws::RetryPolicy> retry = std::make_shared<aws::RetryPolicy>();

  Impl(Config& c, ConnectorEnvironment& env)
      : config(c),
        clock(env.clock != nullptr ? *env.clock : common::SystemClock::Instance()),
        transports(env.transports),
        on_progress(env.on_progress) {
    if (!transports) {
      aws::HttpTransportOptions options;
      options.ca_bundle_path = config.ca_bundle;
      transports = aws::CurlTransportFactory(options);
    }
  }

  std::shared_ptr<aws::CredentialsProvider> Credentials() {
    if (!credentials) {
      aws::CredentialChainOptions options;
      options.access_key_id = config.access_key_id;
      options.secret_access_key = config.secret_access_key;
      options.session_token = config.session_token;
      options.assume_role.role_arn = config.role_arn;
      options.assume_role.external_id = config.external_id;
      options.assume_role.region = config.region;
      credentials = aws::MakeDefaultCredentialsProvider(options, aws::ProcessEnvironment(),
                                                        std::shared_ptr<aws::HttpTransport>(transports()), clock);
    }
    return credentials;
  }

  std::unique_ptr<athena::AthenaClient> MakeAthena(const common::CancellationToken& cancel) {
    aws::ServiceEndpoint endpoint;
    endpoint.service = "athena";
    endpoint.region = config.region;
    endpoint.base_url = aws::Url::Parse(
        config.athena_endpoint_url.empty() ? DefaultEndpoint("athena", config.region) : config.athena_endpoint_url,
        "athena_endpoint_url");
    auto service = std::make_shared<aws::ServiceClient>(endpoint, Credentials(), transports, retry, clock,
                                                        aws::ParseJsonError, &cancel);
    return std::make_unique<athena::AthenaClient>(std::move(service));
  }

  std::shared_ptr<aws::ServiceClient> MakeS3(const common::CancellationToken& cancel) {
    aws::ServiceEndpoint endpoint;
    endpoint.service = "s3";
    endpoint.region = config.region;
    endpoint.base_url = aws::Url::Parse(
        config.s3_endpoint_url.empty() ? DefaultEndpoint("s3", config.region) : config.s3_endpoint_url,
        "s3_endpoint_url");
    return std::make_shared<aws::ServiceClient>(endpoint, Credentials(), transports, retry, clock,
                                                aws::ParseXmlError, &cancel);
  }

  athena::QueryRunner Runner(athena::AthenaClient& client, const common::CancellationToken& cancel) {
    athena::QueryRunnerOptions options;
    options.max_attempts = config.query_max_attempts;
    return athena::QueryRunner(client, clock, cancel, options);
  }

  /// Result columns with the declared (nested) types from table metadata where names match.
  static std::vector<Column> MergeDeclared(std::vector<Column> result, const std::vector<Column>& declared) {
    for (auto& column : result) {
      for (const auto& d : declared) {
        if (d.name == column.name && d.type.id == column.type.id) {
          column.type = d.type;
          break;
        }
      }
    }
    return result;
  }

  void SyncTable(athena::AthenaClient& client, ResultFetcherFactory& fetchers, const TableConfig& table, const TableSelection* table_selection,
                 SyncState& state, RecordSink& sink, const common::CancellationToken& cancel, int64_t& total_rows,
                 std::chrono::steady_clock::time_point started);
};

Connector::Connector(Config config, ConnectorEnvironment environment)
    : config_(std::move(config)), impl_(std::make_unique<Impl>(config_, environment)) {}

Connector::~Connector() = default;

const std::vector<ConnectionTest>& Connector::Tests() {
  static const std::vector<ConnectionTest> tests = {
      {"credentials", "AWS credentials are valid and may call Athena"},
      {"database", "The Athena database exists"},
      {"staging", "A query runs and its result in the S3 staging location is readable"},
  };
  return tests;
}

std::string Connector::RunTest(const std::string& name, const common::CancellationToken& cancel) {
  auto client = impl_->MakeAthena(cancel);
  if (name == "credentials") {
    client->ListDatabases(config_.catalog);
  } else if (name == "database") {
    const auto databases = client->ListDatabases(config_.catalog);
    bool found = false;
    for (const auto& db : databases) found = found || db == config_.database;
    if (!found) {
      throw common::NotFoundError(fmt::format("database '{}' does not exist in catalog '{}' ({} databases visible)",
                                              config_.database, config_.catalog, databases.size()));
    }
  } else if (name == "staging") {
    auto runner = impl_->Runner(*client, cancel);
    const athena::QueryExecution execution = runner.Run(QueryRequest(config_, "SELECT 1 AS connection_test"));
    athena::RowBatch rows;
    client->GetQueryResults(execution.id, "", 10, execution.HasHeaderRow(), rows);
    if (rows.num_rows() != 1 || rows.cell(0, 0) != "1") {
      throw common::ProtocolError(
          fmt::format("the test query {} succeeded but its result was not the expected single row", execution.id));
    }
  } else {
    return fmt::format("unknown test '{}'", name);
  }
  return "";
}

std::vector<TableSchema> Connector::DiscoverSchema(const common::CancellationToken& cancel) {
  auto client = impl_->MakeAthena(cancel);
  std::vector<TableSchema> tables;
  for (const auto& table : config_.tables) {
    std::vector<Column> columns;
    if (table.query.empty()) {
      columns = SourceTableColumns(*client, config_, table);
    } else {
      // Column names and types of a SELECT: run it with LIMIT 0 (scans next to nothing). Other
      // statements (SHOW, DESCRIBE, ...) cannot be wrapped and are cheap: run them as they are.
      auto runner = impl_->Runner(*client, cancel);
      const athena::QueryExecution execution = runner.Run(QueryRequest(
          config_, IsSelect(table.query) ? fmt::format("SELECT * FROM ({}) LIMIT 0", table.query) : table.query));
      athena::RowBatch rows;
      columns = client->GetQueryResults(execution.id, "", 1, execution.HasHeaderRow(), rows).columns;
    }
    tables.push_back(DestinationSchema(table, columns));
  }
  return tables;
}

void Connector::Sync(const std::string& state_json, const Selection* selection, RecordSink& sink,
                     const common::CancellationToken& cancel) {
  SyncState state = SyncState::Parse(state_json);
  auto client = impl_->MakeAthena(cancel);
  ResultFetcherFactory fetchers(config_, *client, impl_->MakeS3(cancel), cancel);
  const auto started = std::chrono::steady_clock::now();
  int64_t total_rows = 0;
  if (selection != nullptr) {
    for (const auto& [name, chosen] : selection->tables) {
      bool known = false;
      for (const auto& table : config_.tables) known = known || table.destination_table == name;
      if (!known && chosen.included) {
        sink.Warning(fmt::format("table '{}' is selected but not configured; it is skipped", name));
      }
    }
  }
  for (const auto& table : config_.tables) {
    const TableSelection* table_selection = nullptr;
    if (selection != nullptr) {
      const auto it = selection->tables.find(table.destination_table);
      if (it != selection->tables.end()) {
        table_selection = &it->second;
      } else if (!selection->include_new_tables) {
        spdlog::info("Table '{}' is not selected; skipped", table.destination_table);
        continue;
      }
      if (table_selection != nullptr && !table_selection->included) {
        spdlog::info("Table '{}' is excluded by the selection; skipped", table.destination_table);
        continue;
      }
    }
    impl_->SyncTable(*client, fetchers, table, table_selection, state, sink, cancel, total_rows, started);
  }
}

void Connector::Impl::SyncTable(athena::AthenaClient& client, ResultFetcherFactory& fetchers, const TableConfig& table,
                                const TableSelection* table_selection, SyncState& state, RecordSink& sink,
                                const common::CancellationToken& cancel, int64_t& total_rows,
                                std::chrono::steady_clock::time_point started) {
  TableState& saved = state.tables[table.destination_table];
  const bool incremental = !table.cursor_column.empty();
  std::string sql = table.BaseSql();
  if (incremental && !saved.cursor_value.empty()) {
    sql = SqlFromCursor(sql, table.cursor_column, saved.cursor_type, saved.cursor_value);
  }
  const std::string sql_hash = common::Sha256Hex(sql).substr(0, 16);

  std::vector<Column> declared;
  if (table.query.empty()) declared = SourceTableColumns(client, config, table);

  auto runner = Runner(client, cancel);
  std::optional<athena::QueryExecution> execution;
  athena::ResultPosition start;
  bool resuming = false;
  if (saved.status == TableState::Status::kInProgress && saved.sql_hash == sql_hash &&
      !saved.query_execution_id.empty()) {
    try {
      athena::QueryExecution previous = runner.Wait(saved.query_execution_id);
      if (previous.state == "SUCCEEDED") {
        execution = previous;
        start = saved.position;
        resuming = true;
        spdlog::info("Resuming table '{}' from query {} at row {}", table.destination_table, previous.id,
                     saved.position.rows_read);
      } else {
        spdlog::info("Saved query {} of table '{}' ended {}; running the query again", previous.id,
                     table.destination_table, previous.state);
      }
    } catch (const common::CancelledError&) {
      throw;
    } catch (const common::Error& e) {
      spdlog::info("Saved query {} of table '{}' is no longer available ({}); running the query again",
                   saved.query_execution_id, table.destination_table, e.what());
    }
  }

  std::unique_ptr<athena::ResultReader> reader;
  FetchPlan plan;
  if (resuming) {
    plan.fetcher = ParseResultFetcherName(saved.fetcher);
    plan.sql = execution->query;
    plan.unload_prefix = saved.unload_prefix;
    try {
      reader = fetchers.Open(plan, *execution, start);
    } catch (const common::CancelledError&) {
      throw;
    } catch (const common::Error& e) {
      if (!IsResultGone(e)) throw;
      spdlog::info("The result of query {} is gone ({}); running the query again", execution->id, e.what());
      resuming = false;
    }
  }
  if (!resuming) {
    TableState fresh;
    fresh.cursor_value = saved.cursor_value;
    fresh.cursor_type = saved.cursor_type;
    fresh.completed_at = saved.completed_at;
    saved = std::move(fresh);
    plan = fetchers.Plan(sql, athena::NewClientRequestToken());
    const auto on_started = [&](const std::string& id) {
      // Checkpoint the query id at once: a sync killed while the query runs waits for the same query.
      saved.status = TableState::Status::kInProgress;
      saved.sql_hash = sql_hash;
      saved.query_execution_id = id;
      saved.truncated = false;
      saved.fetcher = std::string(ResultFetcherName(plan.fetcher));
      saved.unload_prefix = plan.unload_prefix;
      saved.position = {};
      saved.rows_synced = 0;
      sink.Checkpoint(state.ToJson());
    };
    try {
      execution = runner.Run(QueryRequest(config, plan.sql), on_started);
    } catch (const common::Error& e) {
      // An UNLOAD that cannot express the query falls back to the plain query (one log line).
      std::optional<FetchPlan> fallback = fetchers.PlanAfterFailure(plan, sql, e);
      if (!fallback) throw;
      plan = std::move(*fallback);
      execution = runner.Run(QueryRequest(config, plan.sql), on_started);
    }
    start = {};
    reader = fetchers.Open(plan, *execution, start);
  }

  const std::vector<Column> columns = MergeDeclared(reader->columns(), declared);
  TableSchema schema = DestinationSchema(table, columns);

  // Column selection: drop deselected columns (never a primary-key column).
  std::vector<size_t> projection;
  TableSchema projected;
  projected.name = schema.name;
  for (size_t i = 0; i < schema.columns.size(); ++i) {
    const auto& column = schema.columns[i];
    bool included = true;
    if (table_selection != nullptr && !column.primary_key) {
      const auto it = table_selection->columns.find(column.name);
      included = it != table_selection->columns.end() ? it->second : table_selection->include_new_columns;
    }
    if (included) {
      projection.push_back(i);
      projected.columns.push_back(column);
    }
  }
  const bool project = projected.columns.size() != schema.columns.size();
  sink.DefineTable(projected);
  if (!incremental && !saved.truncated) {
    // Full refresh: rows that vanished at the source become soft-deleted; sent before the upserts.
    sink.Truncate(projected);
    saved.truncated = true;
    saved.position = start;
    sink.Checkpoint(state.ToJson());
  }

  const int cursor_index = incremental ? schema.FindColumn(table.cursor_column) : -1;
  if (incremental && cursor_index < 0) {
    throw common::ConfigError(fmt::format("cursor column '{}' is not a column of table '{}'", table.cursor_column,
                                          table.destination_table));
  }
  std::optional<CursorTracker> cursor;
  if (cursor_index >= 0) {
    cursor.emplace(columns[static_cast<size_t>(cursor_index)]);
    // A resumed read continues the running maximum of the rows already delivered.
    if (resuming && !saved.pending_cursor_value.empty()) cursor->Seed(saved.pending_cursor_value);
  }

  athena::ValueDecoder decoder(columns);
  // Batches are at most checkpoint_interval_rows; a checkpoint goes out once that many rows have
  // been delivered since the last one (and when the table completes). The sink commits per
  // checkpoint, so this spacing sets the cost of durability, not the batch size.
  int64_t rows_since_checkpoint = 0;
  athena::RowBatch rows;
  common::ValueBatch values;
  common::ValueBatch projected_values;
  while (reader->Next(rows)) {
    if (cancel.IsCancelled()) throw common::CancelledError("sync interrupted");
    decoder.Decode(rows, values);
    if (cursor) {
      const size_t c = static_cast<size_t>(cursor_index);
      for (size_t r = 0; r < values.num_rows(); ++r) {
        if (!values.at(r, c).is_null) cursor->Offer(rows.cell(r, c), values.at(r, c));
      }
      saved.pending_cursor_value = cursor->text();
    }
    const common::ValueBatch* out = &values;
    if (project) {
      projected_values.Reset(projection.size());
      for (size_t r = 0; r < values.num_rows(); ++r) {
        common::Value* row = projected_values.AppendRow();
        for (size_t j = 0; j < projection.size(); ++j) row[j] = values.at(r, projection[j]);
      }
      out = &projected_values;
    }
    if (out->num_rows() > 0) sink.Write(projected, RecordType::kUpsert, *out);
    total_rows += static_cast<int64_t>(values.num_rows());
    saved.status = TableState::Status::kInProgress;
    saved.position = reader->position();
    saved.rows_synced = saved.position.rows_read;
    rows_since_checkpoint += static_cast<int64_t>(values.num_rows());
    if (rows_since_checkpoint >= config.checkpoint_interval_rows) {
      sink.Checkpoint(state.ToJson());
      rows_since_checkpoint = 0;
    }
    if (on_progress) {
      on_progress(SyncProgress{table.destination_table, total_rows,
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()});
    }
  }

  fetchers.Cleanup(plan, *execution);
  saved.status = TableState::Status::kComplete;
  saved.fetcher.clear();
  saved.unload_prefix.clear();
  saved.position = {};
  saved.truncated = false;
  if (cursor && cursor->has_value()) {
    saved.cursor_value = cursor->text();
    saved.cursor_type = columns[static_cast<size_t>(cursor_index)].type.ToString();
  }
  saved.pending_cursor_value.clear();
  saved.completed_at = NowIso8601(clock);
  sink.Checkpoint(state.ToJson());
  spdlog::info("Table '{}' synced: {} rows from query {}", table.destination_table, saved.rows_synced, execution->id);
}

}  // namespace ac::connector
