#include "connector/connector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <map>
#include <mutex>
#include <set>

#include "athena/athena_client.h"
#include "athena/query_runner.h"
#include "aws/credentials.h"
#include "aws/service_client.h"
#include "common/error.h"
#include "connector/athena_source.h"
#include "connector/parallel_tables.h"
#include "connector/sync_state.h"
#include "connector/table_sync.h"
#include "results/result_fetcher.h"
#include "results/unload_download_dir.h"

namespace ac::connector {
namespace {

using athena::Column;
using common::TableSchema;

std::string DefaultEndpoint(const std::string& service, const std::string& region) {
  const bool china = region.rfind("cn-", 0) == 0;
  return fmt::format("https://{}.{}.amazonaws.com{}", service, region, china ? ".cn" : "");
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
    return sql.size() - i == word.size() ||
           !std::isalnum(static_cast<unsigned char>(sql[i + word.size()]));
  };
  return starts_with("select") || starts_with("with") || starts_with("values");
}

}  // namespace

const TableSelection* Selection::Find(const std::string& schema, const std::string& qualified_name,
                                      bool& excluded) const {
  excluded = false;
  bool schema_included = true;
  bool include_new = include_new_tables;
  if (!schema.empty()) {
    const auto chosen = schemas.find(schema);
    schema_included = chosen != schemas.end() ? chosen->second.included : include_new_schemas;
    include_new = chosen != schemas.end() ? chosen->second.include_new_tables : include_new_schemas;
  }
  const auto it = tables.find(qualified_name);
  if (!schema_included || (it == tables.end() && !include_new) ||
      (it != tables.end() && !it->second.included)) {
    excluded = true;
    return nullptr;
  }
  return it != tables.end() ? &it->second : nullptr;
}

namespace {

aws::RetryOptions RetryOptionsOf(const Config& config) {
  aws::RetryOptions options;
  options.max_retry_time = std::chrono::seconds(config.retry_max_seconds);
  options.adaptive = config.retry_adaptive;
  options.base_delay = std::chrono::milliseconds(config.retry_base_delay_ms);
  options.throttle_base_delay = 5 * options.base_delay;
  return options;
}

/// Removes the unload download folders under `root` that belong to no query `state` is reading
/// (leftovers of killed syncs, of reads that started over): the folders kept are at most one per
/// table in progress.
void RemoveStaleDownloads(const SyncState& state, const std::filesystem::path& root) {
  std::set<std::string> reading;
  for (const auto& [name, table] : state.tables) {
    if (table.status == TableState::Status::kInProgress && !table.query_execution_id.empty())
      reading.insert(table.query_execution_id);
  }
  const int removed = results::RemoveStaleUnloadDownloads(root, reading);
  if (removed > 0) {
    spdlog::info("Removed {} stale UNLOAD download folder{} under {}", removed,
                 removed == 1 ? "" : "s", results::UnloadDownloadRoot(root).string());
  }
}

}  // namespace

struct Connector::Impl {
  Config& config;
  common::Clock& clock;
  aws::HttpTransportFactory transports;
  std::function<void(const SyncProgress&)> on_progress;
  std::function<void(const QueryCost&)> on_cost;
  std::shared_ptr<aws::CredentialsProvider> credentials;
  /// One retry policy for everything this connector calls (setup tests, catalog, every table of
  /// a sync): one retry quota and one adaptive send rate per service.
  std::shared_ptr<aws::RetryPolicy> retry;
  std::filesystem::path download_dir;

  Impl(Config& c, ConnectorEnvironment& env)
      : config(c),
        clock(env.clock != nullptr ? *env.clock : common::SystemClock::Instance()),
        transports(env.transports),
        on_progress(env.on_progress),
        on_cost(env.on_cost),
        retry(std::make_shared<aws::RetryPolicy>(RetryOptionsOf(c), env.retry_stats)),
        download_dir(env.download_dir) {
    if (!transports) {
      transports = aws::CurlTransportFactory(config.TransportOptions());
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
      credentials = aws::MakeDefaultCredentialsProvider(
          options, aws::ProcessEnvironment(), std::shared_ptr<aws::HttpTransport>(transports()),
          clock);
    }
    return credentials;
  }

  std::unique_ptr<athena::AthenaClient> MakeAthena(const common::CancellationToken& cancel) {
    aws::ServiceEndpoint endpoint;
    endpoint.service = "athena";
    endpoint.region = config.region;
    endpoint.base_url = aws::Url::Parse(config.athena_endpoint_url.empty()
                                            ? DefaultEndpoint("athena", config.region)
                                            : config.athena_endpoint_url,
                                        "athena_endpoint_url");
    auto service = std::make_shared<aws::ServiceClient>(endpoint, Credentials(), transports, retry,
                                                        clock, aws::ParseJsonError, &cancel);
    return std::make_unique<athena::AthenaClient>(std::move(service));
  }

  std::shared_ptr<aws::ServiceClient> MakeS3(const common::CancellationToken& cancel) {
    aws::ServiceEndpoint endpoint;
    endpoint.service = "s3";
    endpoint.region = config.region;
    endpoint.base_url =
        aws::Url::Parse(config.s3_endpoint_url.empty() ? DefaultEndpoint("s3", config.region)
                                                       : config.s3_endpoint_url,
                        "s3_endpoint_url");
    return std::make_shared<aws::ServiceClient>(endpoint, Credentials(), transports, retry, clock,
                                                aws::ParseXmlError, &cancel);
  }

  athena::QueryRunner Runner(athena::AthenaClient& client,
                             const common::CancellationToken& cancel) {
    athena::QueryRunnerOptions options;
    options.max_attempts = config.query_max_attempts;
    options.timeout = std::chrono::minutes(config.query_timeout_minutes);
    return athena::QueryRunner(client, clock, cancel, options);
  }
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
      throw common::NotFoundError(
          fmt::format("database '{}' does not exist in catalog '{}' ({} databases visible)",
                      config_.database, config_.catalog, databases.size()));
    }
  } else if (name == "staging") {
    auto runner = impl_->Runner(*client, cancel);
    const athena::QueryExecution execution =
        runner.Run(QueryRequest(config_, "SELECT 1 AS connection_test"));
    athena::RowBatch rows;
    client->GetQueryResults(execution.id, "", 10, execution.HasHeaderRow(), rows);
    if (rows.num_rows() != 1 || rows.cell(0, 0) != "1") {
      throw common::ProtocolError(
          fmt::format("the test query {} succeeded but its result was not the expected single row",
                      execution.id));
    }
  } else {
    return fmt::format("unknown test '{}'", name);
  }
  return "";
}

std::vector<TableSchema> Connector::DiscoverSchema(const common::CancellationToken& cancel) {
  auto client = impl_->MakeAthena(cancel);
  std::vector<TableSchema> tables;
  if (config_.discover_tables) {
    for (const auto& source : DiscoverTables(*client, config_))
      tables.push_back(DestinationSchema(source.table, source.columns));
    return tables;
  }
  for (const auto& table : config_.tables) {
    std::vector<Column> columns;
    if (table.query.empty()) {
      columns = SourceTableColumns(*client, config_, table);
    } else {
      // Column names and types of a SELECT: run it with LIMIT 0 (scans next to nothing). Other
      // statements (SHOW, DESCRIBE, ...) cannot be wrapped and are cheap: run them as they are.
      auto runner = impl_->Runner(*client, cancel);
      const athena::QueryExecution execution = runner.Run(QueryRequest(
          config_, IsSelect(table.query) ? fmt::format("SELECT * FROM ({}) LIMIT 0", table.query)
                                         : table.query));
      athena::RowBatch rows;
      columns =
          client->GetQueryResults(execution.id, "", 1, execution.HasHeaderRow(), rows).columns;
    }
    tables.push_back(DestinationSchema(table, columns));
  }
  return tables;
}

void Connector::Sync(const std::string& state_json, const Selection* selection,
                     RecordSink& unserialized_sink, const common::CancellationToken& sync_cancel) {
  SyncState state = SyncState::Parse(state_json);
  // The state as it came, without a sync under way: a failed sync that changed nothing from it
  // need not be closed.
  SyncState closed_input = state;
  closed_input.sync_id.clear();
  const std::string closed_input_json = closed_input.ToJson();
  if (state.sync_id.empty()) {
    state.sync_id = athena::NewClientRequestToken();
  } else {
    spdlog::info(
        "Continuing sync {}, which was interrupted: the tables it completed are not synced "
        "again",
        state.sync_id);
  }
  // The retries of this sync (catalog calls included) in one line, whether it succeeds or fails.
  struct LogRetries {
    aws::RetryPolicy& retry;
    ~LogRetries() { spdlog::info("{}", aws::RetryStats::SummaryLine(retry.stats().Take())); }
  } log_retries{*impl_->retry};
  // Up to max_parallel_tables tables at once; everything below waits on the scheduler's token, so
  // the first failing table (or the sync's own cancellation) stops the others.
  ParallelTables parallel(config_.max_parallel_tables, sync_cancel);
  const common::CancellationToken& cancel = parallel.cancel();
  SerializedRecordSink sink(unserialized_sink);
  auto client = impl_->MakeAthena(cancel);
  results::ResultFetcherOptions fetcher_options = config_.FetcherOptions();
  fetcher_options.download_root = impl_->download_dir;
  RemoveStaleDownloads(state, fetcher_options.download_root);
  results::ResultFetcherFactory fetchers(fetcher_options, *client, impl_->MakeS3(cancel), cancel);
  auto runner = impl_->Runner(*client, cancel);
  SyncTotals totals;
  std::mutex state_mutex;
  const TableSyncServices services{config_, *client,      runner, fetchers,
                                   sink,    impl_->clock, cancel, impl_->on_progress,
                                   totals,  state_mutex};
  std::vector<TableJob> jobs;
  std::vector<TableConfig> tables;
  if (config_.discover_tables) {
    for (auto& source : DiscoverTables(*client, config_)) tables.push_back(std::move(source.table));
  } else {
    tables = config_.tables;
  }
  if (selection != nullptr) {
    for (const auto& [name, chosen] : selection->tables) {
      bool known = false;
      for (const auto& table : tables) known = known || table.QualifiedDestination() == name;
      if (!known && chosen.included) {
        sink.Warning(
            config_.discover_tables
                ? fmt::format("table '{}' is selected but the catalog no longer has it; "
                              "it is skipped",
                              name)
                : fmt::format("table '{}' is selected but not configured; it is skipped", name));
      }
    }
  }
  for (const auto& table : tables) {
    const TableSelection* table_selection = nullptr;
    if (selection != nullptr) {
      bool excluded = false;
      table_selection =
          selection->Find(table.destination_schema, table.QualifiedDestination(), excluded);
      if (excluded) {
        spdlog::info("Table '{}' is not selected; skipped", table.QualifiedDestination());
        continue;
      }
    }
    jobs.push_back({table.QualifiedDestination(), [&services, &table, table_selection, &state] {
                      TableSync(services, table, table_selection, state).Run();
                    }});
  }
  // The Athena bill of this sync, whether it ends well or not: one log line, and to the caller.
  auto report_cost = [&] {
    std::lock_guard<std::mutex> lock(totals.cost_mutex);
    totals.cost.usd_per_tb = config_.price_per_tb_usd;
    spdlog::info("Athena cost of this sync: {}", totals.cost.Describe());
    if (impl_->on_cost) impl_->on_cost(totals.cost);
  };
  // Closes the sync in the state: the next one reads every table again.
  auto close_sync = [&](bool only_if_changed) {
    std::lock_guard<std::mutex> lock(state_mutex);
    if (state.sync_id.empty()) return;
    state.sync_id.clear();
    // Entries of tables that did nothing (skipped whole) stay out, as they were.
    std::erase_if(state.tables, [](const auto& entry) {
      return SyncState{{{entry.first, entry.second}}, ""}.ToJson() ==
             SyncState{{{entry.first, TableState{}}}, ""}.ToJson();
    });
    const std::string closed = state.ToJson();
    if (only_if_changed && closed == closed_input_json) return;
    sink.Checkpoint(closed);
  };
  totals.tables_left = static_cast<int64_t>(jobs.size());
  try {
    parallel.Run(std::move(jobs));
  } catch (const common::CancelledError&) {
    report_cost();  // interrupted: the next sync continues this one
    throw;
  } catch (const common::Error& e) {
    report_cost();
    // Failed: the sync is over, so a table that keeps failing never keeps the others from being
    // synced again. Every table keeps its position (a resumed read goes on from it).
    try {
      close_sync(/*only_if_changed=*/true);
    } catch (const common::Error& closing) {
      spdlog::warn(
          "The failed sync could not be closed in the state ({}); the next sync "
          "continues it",
          closing.what());
    }
    throw;
  } catch (...) {
    report_cost();
    throw;
  }
  report_cost();
  // No table's final checkpoint closed the sync (a table was skipped, or none ran): this one does.
  close_sync(/*only_if_changed=*/false);
}

}  // namespace ac::connector
