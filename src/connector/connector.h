#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "aws/http.h"
#include "aws/retry.h"
#include "common/clock.h"
#include "common/value.h"
#include "connector/config.h"
#include "connector/query_cost.h"
#include "connector/record_sink.h"

namespace ac::connector {

/// The user's choice of tables/columns (Fivetran's Selection, without_schema form).
struct TableSelection {
  bool included = true;
  std::map<std::string, bool>
      columns;  ///< column -> included; absent columns follow include_new_columns
  bool include_new_columns = true;
};
/// A destination schema's choice (with_schema selections).
struct SchemaSelection {
  bool included = true;
  bool include_new_tables = true;  ///< tables of this schema the selection does not list
};
struct Selection {
  /// By TableConfig::QualifiedDestination() (`schema.table`, or `table` without schemas).
  std::map<std::string, TableSelection> tables;
  bool include_new_tables = true;  ///< tables without a schema the selection does not list
  std::map<std::string, SchemaSelection> schemas;  ///< with_schema: by schema name
  bool include_new_schemas = true;                 ///< schemas the selection does not list

  /// The choice for `table`: nullptr when it is synced with every column (not listed, and new
  /// tables are included); sets `excluded` when it is not synced at all.
  const TableSelection* Find(const std::string& schema, const std::string& qualified_name,
                             bool& excluded) const;
};

/// A setup test offered in the configuration form.
struct ConnectionTest {
  std::string name;   ///< "credentials", "database", "staging"
  std::string label;  ///< human text
};

/// Progress of a running sync, for the `debug` progress line and logs.
struct SyncProgress {
  std::string table;
  int64_t rows = 0;    ///< rows delivered in this sync so far (all tables)
  double seconds = 0;  ///< since the sync started
};

/// What a sync needs from outside: a clock, HTTP transports, a logger hook. Defaults are real.
struct ConnectorEnvironment {
  common::Clock* clock = nullptr;        ///< nullptr = SystemClock
  aws::HttpTransportFactory transports;  ///< empty = libcurl
  /// Called after each batch, from the thread syncing the table; one call at a time.
  std::function<void(const SyncProgress&)> on_progress;
  /// Called once at the end of each sync (also a failed one) with the queries it ran.
  std::function<void(const QueryCost&)> on_cost;
  /// Where the retries of this connector's calls are counted; empty = its own. `debug` shares one
  /// across its setup tests and sync to print them in its summary.
  std::shared_ptr<aws::RetryStats> retry_stats;
  /// Where the unload fetcher downloads Parquet files (one folder per query, kept across syncs
  /// until its read completes; folders of queries the state no longer reads are removed when a
  /// sync starts). `debug` passes `<working-dir>/downloads`; "" = the system temp dir.
  std::filesystem::path download_dir;
};

/// The one sync core, shared by `debug` and the gRPC server: discovers the schema, runs setup
/// tests, and syncs every selected table into a RecordSink with checkpointed state.
class Connector {
 public:
  Connector(Config config, ConnectorEnvironment environment = {});
  ~Connector();

  const Config& config() const { return config_; }

  /// Setup tests offered to Fivetran, in the order they should run.
  static const std::vector<ConnectionTest>& Tests();
  /// Runs one setup test; returns "" on success ("unknown test ..." for a name not in Tests()).
  /// A failing test throws the common::Error naming the cause (its kind tells who must act).
  std::string RunTest(const std::string& name, const common::CancellationToken& cancel);

  /// Destination tables with typed columns and primary keys (from GetTableMetadata for tables,
  /// from the result's ColumnInfo for queries).
  std::vector<common::TableSchema> DiscoverSchema(const common::CancellationToken& cancel);

  /// Syncs every selected table, up to max_parallel_tables at once (ParallelTables); the sink gets
  /// one call at a time. `state_json` is the last checkpoint ("" or "{}" on a first sync). Throws
  /// the first failing table's common::Error, after stopping the others (the sink has received
  /// everything up to the last checkpoint, which resumes every table where it stood).
  void Sync(const std::string& state_json, const Selection* selection, RecordSink& sink,
            const common::CancellationToken& cancel);

 private:
  struct Impl;
  Config config_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ac::connector
