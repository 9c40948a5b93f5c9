#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/http.h"
#include "common/secret.h"
#include "results/fetcher_options.h"

namespace ac::connector {

/// How result rows are fetched: the results module's fetchers (result_fetcher key).
using results::ResultFetcherKind;
using results::ResultFetcherName;

/// One configuration key as shown in Fivetran's setup form and the README reference.
struct ConfigField {
  enum class Kind { kText, kPassword, kDropdown, kToggle };
  std::string name;
  std::string label;
  std::string description;
  bool required = false;
  std::string default_value;  ///< "" = none
  Kind kind = Kind::kText;
  std::vector<std::string> options;  ///< dropdown values
  std::string group;                 ///< "" or the toggle/dropdown that reveals it (conditional)
};

/// Every configuration key this connector understands, in form order.
const std::vector<ConfigField>& ConfigFields();

/// `s3://bucket/prefix/` split into parts (prefix without leading '/', ends with '/' or is empty).
struct S3Location {
  std::string bucket;
  std::string prefix;
  std::string ToString() const { return "s3://" + bucket + "/" + prefix; }
  /// Parses an `s3://bucket[/prefix]` URI; throws common::ConfigError naming `key`.
  static S3Location Parse(std::string_view uri, std::string_view key);
};

/// How a table's syncs choose what to read (`strategy`).
enum class SyncStrategy {
  /// Partitions when the source table is partitioned by a date-like or integer key, else cursor
  /// when a cursor column is given, else full refresh.
  kAuto,
  kPartitions,   ///< later syncs read the partitions from the last one seen less the lookback
  kCursor,       ///< later syncs read rows whose cursor column is at or past the last value seen
  kFullRefresh,  ///< every sync reads everything (TRUNCATE, then upserts)
};
std::string_view SyncStrategyName(SyncStrategy strategy);

/// One table to sync: a source (table or SELECT) and where it lands.
struct TableConfig {
  std::string source_database;           ///< database of source_table; "" = Config::database
  std::string destination_schema;        ///< Fivetran schema; "" = the connection's (one database)
  std::string source_table;              ///< Athena table (when no query)
  std::string query;                     ///< any SELECT (overrides source_table)
  std::string destination_table;         ///< destination table name
  std::vector<std::string> primary_key;  ///< destination primary-key columns; empty = keyless
                                         ///< (Fivetran identifies rows by `_fivetran_id`)
  std::string cursor_column;             ///< optional: incremental sync on this monotonic column
  SyncStrategy strategy = SyncStrategy::kAuto;
  std::string partition_column;  ///< partitions: the key followed; "" = the first partition key
  /// partitions: how far before the last partition seen a later sync starts reading (late rows),
  /// in days for a date-like key, in values for an integer key.
  int partition_lookback = 2;
  /// > 0: every this many syncs the table's keys are read (key columns only) and keys that vanished
  /// at the source are deleted at the destination; 0 = never (incremental tables only).
  int delete_detection_every = 0;

  /// `destination_schema.destination_table`, or `destination_table` without a schema: the
  /// table's key in the state and the selection (as TableSchema::QualifiedName()).
  std::string QualifiedDestination() const {
    return destination_schema.empty() ? destination_table
                                      : destination_schema + "." + destination_table;
  }

  /// SQL that reads the whole source: the query, or `SELECT <columns> FROM <table>` with every
  /// column (`*`) when `columns` is empty; identifiers quoted for Athena.
  std::string BaseSql(const std::vector<std::string>& columns = {}) const;
};

/// Validated configuration. All inputs are strings (as Fivetran sends them); Parse() reports the
/// first bad key with one clear message (never echoing a secret) and rejects unknown keys.
struct Config {
  std::string access_key_id;
  common::Secret secret_access_key;
  common::Secret session_token;
  std::string role_arn;
  std::string external_id;
  std::string region;
  std::string database;                ///< the (first) database: queries run in it
  std::vector<std::string> databases;  ///< every database of database_name (several: tables = *)
  std::string catalog = "AwsDataCatalog";
  std::string workgroup;  ///< "" = not sent (Athena uses primary)
  S3Location staging;
  std::string athena_endpoint_url;  ///< "" = https://athena.<region>.amazonaws.com
  std::string s3_endpoint_url;  ///< "" = https://s3.<region>.amazonaws.com (path-style when set)
  std::vector<TableConfig> tables;  ///< the configured tables (empty when discover_tables)
  /// `tables` = `*`: every table and view of `databases` is discovered from the catalog
  /// (ListTableMetadata) by DiscoverTables, keyed by `primary_keys`.
  bool discover_tables = false;
  /// Several databases discovered: each is a destination schema of its own (Fivetran's
  /// with_schema); one database goes to the connection's schema.
  bool UsesSchemas() const { return discover_tables && databases.size() > 1; }
  /// Discovered tables' primary keys (`primary_keys`: table or database.table -> key columns); a
  /// table not listed is keyless.
  std::map<std::string, std::vector<std::string>> primary_keys;
  /// Discovered tables' sync settings (`table_settings`: table or database.table -> cursor_column,
  /// strategy, partition_column, partition_lookback, delete_detection_every), applied by
  /// DiscoverTables over the defaults.
  std::map<std::string, std::map<std::string, std::string>> table_settings;
  /// Defaults of every table's settings (the top-level keys of the same names).
  TableConfig table_defaults;
  /// partitions: at most this many partitions per query (a first sync of a big table runs in
  /// chunks, each checkpointed, none near Athena's 30-minute limit).
  int partitions_per_query = 50;
  int64_t checkpoint_interval_rows = 100'000;
  ResultFetcherKind result_fetcher = ResultFetcherKind::kAuto;
  int64_t s3_part_size_bytes = 4 << 20;  ///< chosen by measurement: see bench/README.md
  int s3_concurrency = 8;
  int query_max_attempts = 3;         ///< submissions of a query that failed with Retryable=true
  int max_parallel_tables = 4;        ///< tables whose queries and reads are in flight at once
  int query_timeout_minutes = 60;     ///< longest wait for one query; then it is stopped
  int connect_timeout_seconds = 10;   ///< TCP + TLS connect of one HTTP request
  int request_timeout_seconds = 300;  ///< one whole HTTP request (an S3 part, an API call)
  int min_transfer_rate_bytes_per_second = 1024;  ///< slower than this ...
  int min_transfer_rate_window_seconds = 30;      ///< ... for this long fails the request
  int max_response_mb = 64;  ///< largest API response (JSON, XML, small S3 objects) kept in memory
  std::string ca_bundle;     ///< optional CA bundle path
  double price_per_tb_usd = 5.0;  ///< Athena's price per TB scanned, for the cost in the logs
  int result_reuse_minutes = 0;   ///< > 0: Athena may reuse an identical query's result this old
  int64_t max_bytes_scanned_per_sync = 0;  ///< 0 = no cap; else tables that would pass it skip
  bool retry_adaptive = true;     ///< retry_mode adaptive (client-side send rate) or standard
  int retry_max_seconds = 300;    ///< how long one AWS call retries (RetryOptions::max_retry_time)
  int retry_base_delay_ms = 100;  ///< RetryOptions::base_delay; throttle_base_delay is 5x

  /// The transport's time and size bounds of this configuration (CA bundle included).
  aws::HttpTransportOptions TransportOptions() const;
  /// What the result fetchers need of this configuration.
  results::ResultFetcherOptions FetcherOptions() const;

  /// Gives a discovered `table` of `database` (source and destination names and primary key set)
  /// its sync settings: the defaults, overridden by its `table_settings` entry (`database.table`,
  /// else `table`). Throws common::ConfigError when they do not fit the table (e.g.
  /// delete_detection_every without a primary key).
  void ApplyTableSettings(const std::string& database, TableConfig& table) const;

  static Config Parse(const std::map<std::string, std::string>& values);
  /// The keys and values of a configuration.json document (a JSON object of strings); a syntax
  /// error names its place, never the text (which may be a secret).
  static std::map<std::string, std::string> ReadJsonObject(std::string_view json_text,
                                                           std::string_view origin);
  /// Parses a configuration.json document: Parse(ReadJsonObject(...)).
  static Config FromJson(std::string_view json_text, std::string_view origin);
};

}  // namespace ac::connector
