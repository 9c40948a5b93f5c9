#include "connector/config.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <optional>
#include <set>

#include "common/error.h"
#include "common/json_error.h"
#include "common/sql_quote.h"
#include "common/strings.h"

namespace ac::connector {
namespace {

using common::ConfigError;
using common::Trim;

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t comma = text.find(',', start);
    const std::string part(Trim(text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
    if (!part.empty()) out.push_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] =
          std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

int64_t ParsePositiveInt(const std::string& key, const std::string& value, int64_t min,
                         int64_t max) {
  int64_t out = 0;
  const auto* end = value.data() + value.size();
  const auto result = std::from_chars(value.data(), end, out);
  if (result.ec != std::errc() || result.ptr != end || out < min || out > max) {
    throw ConfigError(
        fmt::format("configuration key '{}' must be an integer between {} and {}, got '{}'", key,
                    min, max, value));
  }
  return out;
}

void ValidateIdentifier(const std::string& key, const std::string& value) {
  if (value.empty())
    throw ConfigError(fmt::format("configuration key '{}' must not be empty", key));
  for (const char c : value) {
    if (c == '"' || c == '`' || c == '\'' || c == ';' || static_cast<unsigned char>(c) < 0x20) {
      throw ConfigError(
          fmt::format("configuration key '{}' has an invalid character in '{}'", key, value));
    }
  }
}

void ValidateEndpoint(const std::string& key, const std::string& value) {
  if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) {
    throw ConfigError(
        fmt::format("configuration key '{}' must be an http(s):// URL, got '{}'", key, value));
  }
}

/// `max_bytes_scanned_per_sync`: a number of bytes with an optional unit (B, KB, MB, GB, TB; binary
/// multiples, as Athena's console shows sizes), e.g. `500GB`, `1.5 TB`.
int64_t ParseByteSize(const std::string& text) {
  double number = 0;
  const char* end = text.data() + text.size();
  const auto result = std::from_chars(text.data(), end, number);
  std::string unit(Trim(std::string_view(result.ptr, static_cast<size_t>(end - result.ptr))));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  const std::map<std::string, double> units = {{"", 1},
                                               {"B", 1},
                                               {"KB", 1024.0},
                                               {"MB", 1048576.0},
                                               {"GB", 1073741824.0},
                                               {"TB", 1099511627776.0}};
  const auto it = units.find(unit);
  const double bytes = result.ec == std::errc() && it != units.end() ? number * it->second : -1;
  if (!(bytes >= 10485760.0) || bytes > 9.0e18) {
    throw ConfigError(fmt::format(
        "configuration key 'max_bytes_scanned_per_sync' must be a size of at least 10 MB such as "
        "500GB or 2TB, got '{}'",
        text));
  }
  return static_cast<int64_t>(bytes);
}

/// The JSON value of configuration key `key`; a syntax error names its place, never the text.
nlohmann::json ParseJsonKey(const char* key, const std::string& text) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("configuration key '{}' is not valid JSON: {}", key,
                                  common::JsonErrorWithoutInput(e)));
  }
}

/// `primary_keys`: a JSON object, table name -> key columns (a list of strings, or one string of
/// comma-separated names).
std::map<std::string, std::vector<std::string>> ParsePrimaryKeys(const std::string& text) {
  const nlohmann::json object = ParseJsonKey("primary_keys", text);
  if (!object.is_object()) {
    throw ConfigError(
        "configuration key 'primary_keys' must be a JSON object of table -> key columns, e.g. "
        "{\"orders\": [\"order_id\"]}");
  }
  std::map<std::string, std::vector<std::string>> keys;
  for (const auto& [table, value] : object.items()) {
    ValidateIdentifier("primary_keys", table);
    std::vector<std::string> columns;
    if (value.is_string()) {
      columns = SplitList(value.get<std::string>());
    } else if (value.is_array()) {
      for (const auto& column : value) {
        if (!column.is_string()) {
          throw ConfigError(fmt::format(
              "configuration key 'primary_keys': the key of table '{}' must list strings", table));
        }
        columns.push_back(std::string(Trim(column.get<std::string>())));
      }
    }
    if (columns.empty()) {
      throw ConfigError(fmt::format(
          "configuration key 'primary_keys': table '{}' needs at least one key column", table));
    }
    for (const auto& column : columns) ValidateIdentifier("primary_keys", column);
    keys[table] = std::move(columns);
  }
  return keys;
}

/// The keys of a table's sync settings (top level, `tables` entries, `table_settings` entries).
constexpr const char* kSyncSettingKeys[] = {"cursor_column", "strategy", "partition_column",
                                            "partition_lookback", "delete_detection_every"};

/// Reads the sync settings present in `values` over those of `table` (absent keys keep them) and
/// checks that they fit together; `where` prefixes the messages ("tables[1]: ").
void ParseSyncSettings(const std::map<std::string, std::string>& values, const std::string& where,
                       TableConfig& table) {
  auto get = [&](const char* key) -> std::optional<std::string> {
    const auto it = values.find(key);
    if (it == values.end()) return std::nullopt;
    return std::string(Trim(it->second));
  };
  if (auto cursor = get("cursor_column")) {
    table.cursor_column = *cursor;
    if (!cursor->empty()) ValidateIdentifier("cursor_column", *cursor);
  }
  if (auto strategy = get("strategy"); strategy && !strategy->empty()) {
    if (*strategy == "auto") {
      table.strategy = SyncStrategy::kAuto;
    } else if (*strategy == "partitions") {
      table.strategy = SyncStrategy::kPartitions;
    } else if (*strategy == "cursor") {
      table.strategy = SyncStrategy::kCursor;
    } else if (*strategy == "full_refresh") {
      table.strategy = SyncStrategy::kFullRefresh;
    } else {
      throw ConfigError(fmt::format(
          "{}configuration key 'strategy' must be one of auto, partitions, cursor, full_refresh; "
          "got '{}'",
          where, *strategy));
    }
  }
  if (auto column = get("partition_column")) {
    table.partition_column = *column;
    if (!column->empty()) ValidateIdentifier("partition_column", *column);
  }
  if (auto lookback = get("partition_lookback"); lookback && !lookback->empty()) {
    table.partition_lookback =
        static_cast<int>(ParsePositiveInt("partition_lookback", *lookback, 0, 36500));
  }
  if (auto every = get("delete_detection_every"); every && !every->empty()) {
    table.delete_detection_every =
        static_cast<int>(ParsePositiveInt("delete_detection_every", *every, 0, 100000));
  }
}

/// Checks that a table's settings fit together; `where` prefixes the messages ("tables[1]: ").
void CheckSyncSettings(const TableConfig& table, const std::string& where) {
  if (table.strategy == SyncStrategy::kCursor && table.cursor_column.empty()) {
    throw ConfigError(
        fmt::format("{}strategy 'cursor' needs 'cursor_column' (the column whose higher values "
                    "mark new or changed rows)",
                    where));
  }
  if (!table.query.empty() &&
      (table.strategy == SyncStrategy::kPartitions || !table.partition_column.empty())) {
    throw ConfigError(fmt::format(
        "{}strategy 'partitions' and 'partition_column' need a 'source_table' (a query has no "
        "partitions of its own)",
        where));
  }
  if (table.delete_detection_every > 0 && table.primary_key.empty()) {
    throw ConfigError(fmt::format(
        "{}'delete_detection_every' needs a primary key (deleted rows are found by their keys)",
        where));
  }
  if (table.delete_detection_every > 0 && table.strategy == SyncStrategy::kFullRefresh) {
    throw ConfigError(fmt::format(
        "{}'delete_detection_every' applies to incremental tables; a full refresh already "
        "deletes what vanished",
        where));
  }
}

/// `table_settings`: a JSON object, table (or database.table) -> an object of sync settings
/// (strings, or numbers for the counts).
std::map<std::string, std::map<std::string, std::string>> ParseTableSettings(
    const std::string& text) {
  const nlohmann::json object = ParseJsonKey("table_settings", text);
  if (!object.is_object()) {
    throw ConfigError(
        "configuration key 'table_settings' must be a JSON object of table -> settings, e.g. "
        "{\"orders\": {\"cursor_column\": \"updated_at\"}}");
  }
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& [table, settings] : object.items()) {
    ValidateIdentifier("table_settings", table);
    if (!settings.is_object()) {
      throw ConfigError(fmt::format(
          "configuration key 'table_settings': the settings of table '{}' must be an object",
          table));
    }
    std::map<std::string, std::string> entry;
    for (const auto& [key, value] : settings.items()) {
      if (std::find(std::begin(kSyncSettingKeys), std::end(kSyncSettingKeys), key) ==
          std::end(kSyncSettingKeys)) {
        throw ConfigError(fmt::format(
            "configuration key 'table_settings': table '{}' has unknown setting '{}' (known: "
            "cursor_column, strategy, partition_column, partition_lookback, "
            "delete_detection_every)",
            table, key));
      }
      if (value.is_string()) {
        entry[key] = value.get<std::string>();
      } else if (value.is_number_unsigned()) {
        entry[key] = std::to_string(value.get<uint64_t>());
      } else {
        throw ConfigError(fmt::format(
            "configuration key 'table_settings': table '{}' setting '{}' must be a string or a "
            "non-negative integer",
            table, key));
      }
    }
    // Parsed once here so that a bad value is reported at configuration time.
    TableConfig probe;
    ParseSyncSettings(entry, fmt::format("table_settings '{}': ", table), probe);
    out[table] = std::move(entry);
  }
  return out;
}

// Keys of one table, shared by the top-level keys and the entries of `tables`; sync settings not
// given take those of `defaults` (the top-level keys).
TableConfig ParseTable(const std::map<std::string, std::string>& values, const std::string& where,
                       const TableConfig& defaults) {
  TableConfig table = defaults;
  auto get = [&](const char* key) -> std::string {
    const auto it = values.find(key);
    return it == values.end() ? std::string() : std::string(Trim(it->second));
  };
  table.source_table = get("source_table");
  table.query = get("query");
  if (!table.source_table.empty() && !table.query.empty()) {
    throw ConfigError(fmt::format("{}set either 'source_table' or 'query', not both", where));
  }
  if (table.source_table.empty() && table.query.empty()) table.source_table = "test_rows";
  if (!table.source_table.empty()) ValidateIdentifier("source_table", table.source_table);
  table.destination_table = get("destination_table");
  if (table.destination_table.empty()) table.destination_table = "customers";
  ValidateIdentifier("destination_table", table.destination_table);
  const auto pk_it = values.find("primary_key");
  table.primary_key =
      pk_it == values.end() ? std::vector<std::string>{"customer_id"} : SplitList(pk_it->second);
  for (const auto& column : table.primary_key) ValidateIdentifier("primary_key", column);
  ParseSyncSettings(values, where, table);
  CheckSyncSettings(table, where);
  return table;
}

}  // namespace

std::string_view SyncStrategyName(SyncStrategy strategy) {
  switch (strategy) {
    case SyncStrategy::kPartitions:
      return "partitions";
    case SyncStrategy::kCursor:
      return "cursor";
    case SyncStrategy::kFullRefresh:
      return "full_refresh";
    case SyncStrategy::kAuto:
      break;
  }
  return "auto";
}

void Config::ApplyTableSettings(const std::string& database, TableConfig& table) const {
  const std::string where = fmt::format("table '{}.{}': ", database, table.source_table);
  const std::vector<std::string> primary_key = table.primary_key;
  const std::string source_table = table.source_table;
  const std::string destination_table = table.destination_table;
  TableConfig merged = table_defaults;
  merged.source_database = table.source_database;
  merged.destination_schema = table.destination_schema;
  merged.source_table = source_table;
  merged.destination_table = destination_table;
  merged.primary_key = primary_key;
  auto settings = table_settings.find(database + "." + source_table);
  if (settings == table_settings.end()) settings = table_settings.find(source_table);
  const std::map<std::string, std::string> none;
  const auto& own = settings != table_settings.end() ? settings->second : none;
  ParseSyncSettings(own, where, merged);
  // A default that cannot apply to this table is left out for it; the table's own entry is checked.
  if (!own.count("delete_detection_every") && merged.primary_key.empty())
    merged.delete_detection_every = 0;
  if (!own.count("strategy") && merged.strategy == SyncStrategy::kCursor &&
      merged.cursor_column.empty()) {
    merged.strategy = SyncStrategy::kAuto;
  }
  if (!own.count("delete_detection_every") && merged.strategy == SyncStrategy::kFullRefresh)
    merged.delete_detection_every = 0;
  CheckSyncSettings(merged, where);
  table = std::move(merged);
}

const std::vector<ConfigField>& ConfigFields() {
  using K = ConfigField::Kind;
  static const std::vector<ConfigField> fields = {
      {"aws_access_key_id",
       "AWS access key ID",
       "Access key of an IAM user or role allowed to run Athena queries and read the staging "
       "location.",
       true,
       "",
       K::kText,
       {},
       ""},
      {"aws_secret_access_key",
       "AWS secret access key",
       "Secret of the access key.",
       true,
       "",
       K::kPassword,
       {},
       ""},
      {"aws_session_token",
       "AWS session token",
       "Session token, for temporary credentials only.",
       false,
       "",
       K::kPassword,
       {},
       ""},
      {"region_name",
       "AWS region",
       "Region of the Athena workgroup and the staging bucket, e.g. us-east-1.",
       true,
       "",
       K::kText,
       {},
       ""},
      {"database_name",
       "Athena database",
       "Database (Glue/Hive schema) the queries run in.",
       true,
       "",
       K::kText,
       {},
       ""},
      {"s3_staging_dir",
       "S3 staging location",
       "Where Athena writes query results: s3://bucket/prefix/.",
       true,
       "",
       K::kText,
       {},
       ""},
      {"workgroup",
       "Workgroup",
       "Athena workgroup; empty uses the account's primary workgroup.",
       false,
       "",
       K::kText,
       {},
       ""},
      {"catalog",
       "Data catalog",
       "Data catalog of the database.",
       false,
       "AwsDataCatalog",
       K::kText,
       {},
       ""},
      {"role_arn",
       "IAM role ARN",
       "Role to assume with STS before calling Athena (optional).",
       false,
       "",
       K::kText,
       {},
       ""},
      {"external_id",
       "External ID",
       "External ID required by the role's trust policy (optional).",
       false,
       "",
       K::kText,
       {},
       ""},
      {"source_table",
       "Source table",
       "Athena table to sync (when no query is given).",
       false,
       "test_rows",
       K::kText,
       {},
       ""},
      {"query", "Query", "A SELECT to sync instead of a whole table.", false, "", K::kText, {}, ""},
      {"destination_table",
       "Destination table",
       "Name of the destination table.",
       false,
       "customers",
       K::kText,
       {},
       ""},
      {"primary_key",
       "Primary key",
       "Primary-key column(s) of the destination table, comma-separated.",
       false,
       "customer_id",
       K::kText,
       {},
       ""},
      {"cursor_column",
       "Cursor column",
       "Optional monotonically increasing column (e.g. updated_at): later syncs read only newer "
       "rows.",
       false,
       "",
       K::kText,
       {},
       ""},
      {"strategy",
       "Sync strategy",
       "auto = partitions for a table partitioned by a date-like or integer key, else cursor when "
       "a "
       "cursor column is given, else full refresh. partitions = later syncs read only the "
       "partitions from the last one seen less the lookback; cursor = rows at or past the last "
       "cursor value; full_refresh = everything, every sync.",
       false,
       "auto",
       K::kDropdown,
       {"auto", "partitions", "cursor", "full_refresh"},
       ""},
      {"partition_column",
       "Partition column",
       "The partition key the partitions strategy follows (date-like, e.g. dt=2026-12-01, or "
       "integer). Empty = the table's first partition key.",
       false,
       "",
       K::kText,
       {},
       ""},
      {"partition_lookback",
       "Partition lookback",
       "How far before the last partition seen a later sync starts reading, for late-arriving "
       "rows: days for a date-like key, values for an integer key.",
       false,
       "2",
       K::kText,
       {},
       ""},
      {"partitions_per_query",
       "Partitions per query",
       "Most partitions one query reads: a first sync of a big partitioned table runs in chunks, "
       "each checkpointed.",
       false,
       "50",
       K::kText,
       {},
       ""},
      {"delete_detection_every",
       "Delete detection (every N syncs)",
       "For incremental tables with a primary key: every N syncs read the key columns only and "
       "delete at the destination the rows whose keys vanished at the source. 0 = never.",
       false,
       "0",
       K::kText,
       {},
       ""},
      {"tables",
       "Tables",
       "* = all tables and views of the database (discovered from the catalog; pick them in the "
       "schema tab). Or several tables: a JSON list of objects with source_table or query, "
       "destination_table, primary_key, cursor_column. Empty = the single table above.",
       false,
       "",
       K::kText,
       {},
       ""},
      {"primary_keys",
       "Primary keys (JSON)",
       "With tables = *: a JSON object of table -> key columns, e.g. {\"orders\": [\"order_id\"]}. "
       "Tables not listed are synced without a key (rows identified by _fivetran_id).",
       false,
       "",
       K::kText,
       {},
       ""},
      {"table_settings",
       "Table settings (JSON)",
       "With tables = *: a JSON object of table -> sync settings (cursor_column, strategy, "
       "partition_column, partition_lookback, delete_detection_every), e.g. {\"orders\": "
       "{\"cursor_column\": \"updated_at\"}}. Tables not listed take the settings above.",
       false,
       "",
       K::kText,
       {},
       ""},
      {"checkpoint_interval_rows",
       "Checkpoint interval (rows)",
       "Rows delivered between two checkpoints (each saves the resume position; the destination "
       "commits at each).",
       false,
       "100000",
       K::kText,
       {},
       ""},
      {"result_fetcher",
       "Result fetcher",
       "How results are read: auto, api (GetQueryResults), s3 (result file, parallel ranges) or "
       "unload (Parquet).",
       false,
       "auto",
       K::kDropdown,
       {"auto", "api", "s3", "unload"},
       ""},
      {"s3_part_size_mb",
       "S3 part size (MiB)",
       "Size of each ranged GET of a result file.",
       false,
       "4",
       K::kText,
       {},
       ""},
      {"s3_concurrency",
       "S3 concurrency",
       "Parallel ranged GETs of a result file.",
       false,
       "8",
       K::kText,
       {},
       ""},
      {"query_max_attempts",
       "Query attempts",
       "Submissions of a query that Athena reports as retryable.",
       false,
       "3",
       K::kText,
       {},
       ""},
      {"retry_max_seconds",
       "Retry time per AWS call (s)",
       "How long one Athena or S3 call keeps retrying throttling and transient errors (backoff "
       "with jitter, and a client-side send rate that slows down when AWS throttles) before the "
       "sync fails (1-3600).",
       false,
       "300",
       K::kText,
       {},
       ""},
      {"retry_mode",
       "Retry mode",
       "adaptive (default): like the AWS SDKs' adaptive mode, all requests to a service slow down "
       "to a client-side send rate when AWS throttles them for their rate, and speed up again as "
       "calls succeed; throttling that a lower rate does not reduce is left to each call's "
       "backoff. standard: backoff only.",
       false,
       "adaptive",
       K::kDropdown,
       {"adaptive", "standard"},
       ""},
      {"retry_base_delay_ms",
       "Retry backoff base (ms)",
       "First backoff ceiling of a transient error (throttling: 5x); it doubles per attempt up to "
       "20 s (1-10000). Lower only for tests against an emulator.",
       false,
       "100",
       K::kText,
       {},
       ""},
      {"max_parallel_tables",
       "Tables in parallel",
       "How many tables are synced at once (1-32): their Athena queries run and their results are "
       "read at the same time. Each running query counts against Athena's active-query quota; "
       "when it is full, new queries wait for capacity.",
       false,
       "4",
       K::kText,
       {},
       ""},
      {"price_per_tb_usd",
       "Price per TB scanned (USD)",
       "Athena's price per terabyte scanned in your region, for the cost each sync logs (bytes "
       "rounded up to the megabyte, 10 MB minimum per query).",
       false,
       "5",
       K::kText,
       {},
       ""},
      {"result_reuse_minutes",
       "Reuse results (minutes)",
       "When above 0, Athena may answer a query with the result of an identical query run at most "
       "this many minutes ago, scanning (and billing) nothing. 0 = always run the query.",
       false,
       "0",
       K::kText,
       {},
       ""},
      {"query_timeout_minutes",
       "Query timeout (minutes)",
       "Longest wait for one Athena query to finish (queued and running, 1-1440). A query still "
       "running then is stopped (StopQueryExecution) and the sync fails naming this limit.",
       false,
       "60",
       K::kText,
       {},
       ""},
      {"connect_timeout_seconds",
       "Connect timeout (seconds)",
       "Longest wait to connect (TCP and TLS) to Athena, S3 or STS, 1-300; a timeout is retried.",
       false,
       "10",
       K::kText,
       {},
       ""},
      {"request_timeout_seconds",
       "Request timeout (seconds)",
       "Longest time one HTTP request may take, body included (one API call, one S3 part), "
       "1-3600; a timeout is retried.",
       false,
       "300",
       K::kText,
       {},
       ""},
      {"min_transfer_rate_bytes_per_second",
       "Minimum transfer rate (bytes/s)",
       "A request that receives fewer bytes per second than this for "
       "min_transfer_rate_window_seconds (a silent or trickling server) times out and is retried "
       "(1-104857600).",
       false,
       "1024",
       K::kText,
       {},
       ""},
      {"min_transfer_rate_window_seconds",
       "Minimum transfer rate window (seconds)",
       "How long a request may stay below min_transfer_rate_bytes_per_second, 1-3600.",
       false,
       "30",
       K::kText,
       {},
       ""},
      {"max_response_mb",
       "Maximum response size (MiB)",
       "Largest response body of an API call held in memory (Athena JSON, S3 listings and small "
       "objects), 1-1024; a larger one fails the sync naming this limit. S3 result parts are "
       "streamed and bounded by the range asked for.",
       false,
       "64",
       K::kText,
       {},
       ""},
      {"max_bytes_scanned_per_sync",
       "Scan cap per sync",
       "Most bytes a sync may scan, e.g. 500GB or 2TB (empty = no cap). A table whose next query "
       "would pass it (estimated from what its last sync scanned) is skipped with a warning "
       "naming it, never synced in part.",
       false,
       "",
       K::kText,
       {},
       ""},
      {"athena_endpoint_url",
       "Athena endpoint URL",
       "Override for VPC/private endpoints or athena-local.",
       false,
       "",
       K::kText,
       {},
       ""},
      {"s3_endpoint_url",
       "S3 endpoint URL",
       "Override for VPC/private endpoints or athena-local (path-style addressing).",
       false,
       "",
       K::kText,
       {},
       ""},
      {"ca_bundle",
       "CA bundle path",
       "PEM file of the CA certificates to trust instead of the system's (TLS verification stays "
       "on).",
       false,
       "",
       K::kText,
       {},
       ""},
  };
  return fields;
}

S3Location S3Location::Parse(std::string_view uri, std::string_view key) {
  constexpr std::string_view kScheme = "s3://";
  if (uri.substr(0, kScheme.size()) != kScheme) {
    throw ConfigError(fmt::format(
        "configuration key '{}' must be an s3://bucket/prefix/ URI, got '{}'", key, uri));
  }
  const std::string_view rest = uri.substr(kScheme.size());
  const size_t slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  location.prefix = slash == std::string_view::npos ? "" : std::string(rest.substr(slash + 1));
  const bool bucket_ok =
      location.bucket.size() >= 3 && location.bucket.size() <= 63 &&
      std::all_of(location.bucket.begin(), location.bucket.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
      });
  if (!bucket_ok) {
    throw ConfigError(
        fmt::format("configuration key '{}' has an invalid bucket name '{}' (3-63 lowercase "
                    "letters, digits, '-', '.')",
                    key, location.bucket));
  }
  if (!location.prefix.empty() && location.prefix.back() != '/') location.prefix.push_back('/');
  return location;
}

std::string TableConfig::BaseSql(const std::vector<std::string>& columns) const {
  if (!query.empty()) return query;
  std::string list;
  for (const auto& column : columns) {
    if (!list.empty()) list += ", ";
    list += common::QuoteIdentifier(column);
  }
  if (list.empty()) list = "*";
  if (source_database.empty())
    return fmt::format("SELECT {} FROM {}", list, common::QuoteIdentifier(source_table));
  return fmt::format("SELECT {} FROM {}.{}", list, common::QuoteIdentifier(source_database),
                     common::QuoteIdentifier(source_table));
}

aws::HttpTransportOptions Config::TransportOptions() const {
  aws::HttpTransportOptions options;
  options.ca_bundle_path = ca_bundle;
  options.timeouts.connect = std::chrono::seconds(connect_timeout_seconds);
  options.timeouts.total = std::chrono::seconds(request_timeout_seconds);
  options.timeouts.low_speed_bytes_per_second =
      static_cast<uint32_t>(min_transfer_rate_bytes_per_second);
  options.timeouts.low_speed_window = std::chrono::seconds(min_transfer_rate_window_seconds);
  options.limits.max_body_bytes = static_cast<size_t>(max_response_mb) << 20;
  return options;
}

results::ResultFetcherOptions Config::FetcherOptions() const {
  results::ResultFetcherOptions options;
  options.fetcher = result_fetcher;
  options.staging = staging.ToString();
  options.s3_path_style = !s3_endpoint_url.empty();
  options.s3_part_size_bytes = s3_part_size_bytes;
  options.s3_concurrency = s3_concurrency;
  options.checkpoint_interval_rows = checkpoint_interval_rows;
  options.query_max_attempts = query_max_attempts;
  options.query_timeout_minutes = query_timeout_minutes;
  options.database = database;
  options.catalog = catalog;
  options.workgroup = workgroup;
  return options;
}

Config Config::Parse(const std::map<std::string, std::string>& values) {
  std::set<std::string> known;
  for (const auto& field : ConfigFields()) known.insert(field.name);
  // Undocumented test knob: the S3 part size in bytes (s3_part_size_mb is in MiB).
  known.insert("s3_part_size_bytes");
  for (const auto& [key, value] : values) {
    if (known.count(key)) continue;
    std::string suggestion;
    size_t best = 3;
    for (const auto& candidate : known) {
      const size_t distance = EditDistance(key, candidate);
      if (distance < best) {
        best = distance;
        suggestion = candidate;
      }
    }
    throw ConfigError(
        suggestion.empty()
            ? fmt::format("unknown configuration key '{}'", key)
            : fmt::format("unknown configuration key '{}' (did you mean '{}'?)", key, suggestion));
  }
  auto get = [&](const char* key) -> std::string {
    const auto it = values.find(key);
    return it == values.end() ? std::string() : std::string(Trim(it->second));
  };
  auto require = [&](const char* key) -> std::string {
    std::string value = get(key);
    if (value.empty())
      throw ConfigError(fmt::format("missing required configuration key '{}'", key));
    return value;
  };

  Config config;
  config.access_key_id = require("aws_access_key_id");
  {
    const auto it = values.find("aws_secret_access_key");
    if (it == values.end() || Trim(it->second).empty()) {
      throw ConfigError("missing required configuration key 'aws_secret_access_key'");
    }
    config.secret_access_key = common::Secret(std::string(Trim(it->second)));
  }
  config.session_token = common::Secret(get("aws_session_token"));
  config.region = require("region_name");
  const bool region_ok = std::all_of(config.region.begin(), config.region.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (!region_ok) {
    throw ConfigError(fmt::format(
        "configuration key 'region_name' must be an AWS region such as us-east-1, got '{}'",
        config.region));
  }
  config.databases = SplitList(require("database_name"));
  if (config.databases.empty())
    throw ConfigError("missing required configuration key 'database_name'");
  for (const auto& database : config.databases) {
    ValidateIdentifier("database_name", database);
    if (std::count(config.databases.begin(), config.databases.end(), database) > 1) {
      throw ConfigError(
          fmt::format("configuration key 'database_name' names '{}' twice", database));
    }
  }
  config.database = config.databases.front();
  config.staging = S3Location::Parse(require("s3_staging_dir"), "s3_staging_dir");
  config.role_arn = get("role_arn");
  if (!config.role_arn.empty() && config.role_arn.rfind("arn:", 0) != 0) {
    throw ConfigError(
        fmt::format("configuration key 'role_arn' must be an IAM role ARN "
                    "(arn:aws:iam::<account>:role/<name>), got '{}'",
                    config.role_arn));
  }
  config.external_id = get("external_id");
  if (!get("catalog").empty()) config.catalog = get("catalog");
  ValidateIdentifier("catalog", config.catalog);
  config.workgroup = get("workgroup");
  config.athena_endpoint_url = get("athena_endpoint_url");
  if (!config.athena_endpoint_url.empty())
    ValidateEndpoint("athena_endpoint_url", config.athena_endpoint_url);
  config.s3_endpoint_url = get("s3_endpoint_url");
  if (!config.s3_endpoint_url.empty()) ValidateEndpoint("s3_endpoint_url", config.s3_endpoint_url);
  config.ca_bundle = get("ca_bundle");

  // The top-level sync settings are every table's defaults (a table's own entry overrides them).
  ParseSyncSettings(values, "", config.table_defaults);
  if (!get("partitions_per_query").empty()) {
    config.partitions_per_query = static_cast<int>(
        ParsePositiveInt("partitions_per_query", get("partitions_per_query"), 1, 10000));
  }
  const std::string tables_json = get("tables");
  const std::string primary_keys_json = get("primary_keys");
  if (tables_json == "*") {
    for (const char* key : {"source_table", "query", "destination_table", "primary_key",
                            "cursor_column", "partition_column"}) {
      if (values.count(key)) {
        throw ConfigError(fmt::format(
            "configuration key '{}' cannot be combined with 'tables' = '*' (every table of the "
            "database); use 'primary_keys' for keys and 'table_settings' for cursors",
            key));
      }
    }
    config.discover_tables = true;
    if (!primary_keys_json.empty()) config.primary_keys = ParsePrimaryKeys(primary_keys_json);
    if (!get("table_settings").empty())
      config.table_settings = ParseTableSettings(get("table_settings"));
  } else if (config.databases.size() > 1) {
    throw ConfigError(fmt::format(
        "configuration key 'database_name' lists {} databases; several databases need 'tables' = "
        "'*' (every table of each, one destination schema per database)",
        config.databases.size()));
  } else if (!primary_keys_json.empty()) {
    throw ConfigError(
        "configuration key 'primary_keys' applies to 'tables' = '*' only; give 'primary_key' "
        "per table instead");
  } else if (!get("table_settings").empty()) {
    throw ConfigError(
        "configuration key 'table_settings' applies to 'tables' = '*' only; give the settings in "
        "each table entry instead");
  } else if (!tables_json.empty()) {
    for (const char* key : {"source_table", "query", "destination_table", "primary_key",
                            "cursor_column", "partition_column"}) {
      if (values.count(key)) {
        throw ConfigError(
            fmt::format("configuration key '{}' cannot be combined with 'tables'; put it inside "
                        "each table entry",
                        key));
      }
    }
    const nlohmann::json list = ParseJsonKey("tables", tables_json);
    if (!list.is_array() || list.empty())
      throw ConfigError("configuration key 'tables' must be a non-empty JSON list of objects");
    std::set<std::string> destinations;
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string where = fmt::format("tables[{}]: ", i);
      if (!list[i].is_object())
        throw ConfigError(fmt::format("configuration key 'tables': entry {} is not an object", i));
      std::map<std::string, std::string> entry;
      for (const auto& [key, value] : list[i].items()) {
        const bool setting = std::find(std::begin(kSyncSettingKeys), std::end(kSyncSettingKeys),
                                       key) != std::end(kSyncSettingKeys);
        if (!setting && key != "source_table" && key != "query" && key != "destination_table" &&
            key != "primary_key") {
          throw ConfigError(
              fmt::format("configuration key 'tables': entry {} has unknown key '{}'", i, key));
        }
        if (value.is_string()) {
          entry[key] = value.get<std::string>();
        } else if (setting && value.is_number_unsigned()) {
          entry[key] = std::to_string(value.get<uint64_t>());
        } else if (key == "primary_key" && value.is_array()) {
          std::string joined;
          for (const auto& column : value) {
            if (!column.is_string())
              throw ConfigError(fmt::format(
                  "configuration key 'tables': entry {} primary_key must list strings", i));
            if (!joined.empty()) joined.push_back(',');
            joined += column.get<std::string>();
          }
          entry[key] = joined;
        } else {
          throw ConfigError(fmt::format(
              "configuration key 'tables': entry {} key '{}' must be a string", i, key));
        }
      }
      if (!entry.count("source_table") && !entry.count("query")) {
        throw ConfigError(
            fmt::format("configuration key 'tables': entry {} needs 'source_table' or 'query'", i));
      }
      if (!entry.count("destination_table")) {
        if (!entry.count("source_table")) {
          throw ConfigError(fmt::format(
              "configuration key 'tables': entry {} with a query needs 'destination_table'", i));
        }
        entry["destination_table"] = entry["source_table"];
      }
      TableConfig table = ParseTable(entry, where, config.table_defaults);
      if (!destinations.insert(table.destination_table).second) {
        throw ConfigError(
            fmt::format("configuration key 'tables': destination table '{}' appears twice",
                        table.destination_table));
      }
      config.tables.push_back(std::move(table));
    }
  } else {
    config.tables.push_back(ParseTable(values, "", config.table_defaults));
  }
  if (!get("checkpoint_interval_rows").empty()) {
    config.checkpoint_interval_rows = ParsePositiveInt(
        "checkpoint_interval_rows", get("checkpoint_interval_rows"), 1, 1'000'000'000);
  }
  const std::string fetcher = get("result_fetcher");
  if (fetcher.empty() || fetcher == "auto") {
    config.result_fetcher = ResultFetcherKind::kAuto;
  } else if (fetcher == "api") {
    config.result_fetcher = ResultFetcherKind::kApi;
  } else if (fetcher == "s3") {
    config.result_fetcher = ResultFetcherKind::kS3;
  } else if (fetcher == "unload") {
    config.result_fetcher = ResultFetcherKind::kUnload;
  } else {
    throw ConfigError(fmt::format(
        "configuration key 'result_fetcher' must be one of auto, api, s3, unload; got '{}'",
        fetcher));
  }
  if (!get("price_per_tb_usd").empty()) {
    const std::string text = get("price_per_tb_usd");
    double price = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), price);
    if (result.ec != std::errc() || result.ptr != text.data() + text.size() || !(price >= 0) ||
        price > 10000) {
      throw ConfigError(fmt::format(
          "configuration key 'price_per_tb_usd' must be a number of dollars between 0 and 10000, "
          "got '{}'",
          text));
    }
    config.price_per_tb_usd = price;
  }
  if (!get("max_bytes_scanned_per_sync").empty())
    config.max_bytes_scanned_per_sync = ParseByteSize(get("max_bytes_scanned_per_sync"));
  if (!get("result_reuse_minutes").empty()) {
    // Athena's limit: 10080 minutes (7 days).
    config.result_reuse_minutes = static_cast<int>(
        ParsePositiveInt("result_reuse_minutes", get("result_reuse_minutes"), 0, 10080));
  }
  if (!get("s3_part_size_mb").empty()) {
    config.s3_part_size_bytes = ParsePositiveInt("s3_part_size_mb", get("s3_part_size_mb"), 1, 1024)
                                << 20;
  }
  if (!get("s3_part_size_bytes").empty()) {
    config.s3_part_size_bytes =
        ParsePositiveInt("s3_part_size_bytes", get("s3_part_size_bytes"), 1, int64_t{1} << 30);
  }
  if (!get("s3_concurrency").empty()) {
    config.s3_concurrency =
        static_cast<int>(ParsePositiveInt("s3_concurrency", get("s3_concurrency"), 1, 64));
  }
  if (!get("query_max_attempts").empty()) {
    config.query_max_attempts =
        static_cast<int>(ParsePositiveInt("query_max_attempts", get("query_max_attempts"), 1, 10));
  }
  const std::string retry_mode = get("retry_mode");
  if (retry_mode == "standard") {
    config.retry_adaptive = false;
  } else if (!retry_mode.empty() && retry_mode != "adaptive") {
    throw common::ConfigError(fmt::format(
        "configuration key 'retry_mode' must be one of adaptive, standard; got '{}'", retry_mode));
  }
  if (!get("retry_base_delay_ms").empty()) {
    config.retry_base_delay_ms = static_cast<int>(
        ParsePositiveInt("retry_base_delay_ms", get("retry_base_delay_ms"), 1, 10'000));
  }
  if (!get("retry_max_seconds").empty()) {
    config.retry_max_seconds =
        static_cast<int>(ParsePositiveInt("retry_max_seconds", get("retry_max_seconds"), 1, 3600));
  }
  if (!get("max_parallel_tables").empty()) {
    config.max_parallel_tables = static_cast<int>(
        ParsePositiveInt("max_parallel_tables", get("max_parallel_tables"), 1, 32));
  }
  const auto int_key = [&](const char* key, int& out, int64_t min, int64_t max) {
    if (!get(key).empty()) out = static_cast<int>(ParsePositiveInt(key, get(key), min, max));
  };
  int_key("query_timeout_minutes", config.query_timeout_minutes, 1, 1440);
  int_key("connect_timeout_seconds", config.connect_timeout_seconds, 1, 300);
  int_key("request_timeout_seconds", config.request_timeout_seconds, 1, 3600);
  int_key("min_transfer_rate_bytes_per_second", config.min_transfer_rate_bytes_per_second, 1,
          100 << 20);
  int_key("min_transfer_rate_window_seconds", config.min_transfer_rate_window_seconds, 1, 3600);
  int_key("max_response_mb", config.max_response_mb, 1, 1024);
  return config;
}

std::map<std::string, std::string> Config::ReadJsonObject(std::string_view json_text,
                                                          std::string_view origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {
    // Never nlohmann's message: it quotes the text it last read, which may be a secret.
    throw ConfigError(
        fmt::format("{} is not valid JSON: {}", origin, common::JsonErrorWithoutInput(e)));
  }
  if (!doc.is_object())
    throw ConfigError(fmt::format("{} must hold a JSON object of strings", origin));
  std::map<std::string, std::string> values;
  for (const auto& [key, value] : doc.items()) {
    if (!value.is_string()) {
      throw ConfigError(fmt::format(
          "{}: configuration key '{}' must be a string (Fivetran sends every value as a string)",
          origin, key));
    }
    values[key] = value.get<std::string>();
  }
  return values;
}

Config Config::FromJson(std::string_view json_text, std::string_view origin) {
  return Parse(ReadJsonObject(json_text, origin));
}

}  // namespace ac::connector
