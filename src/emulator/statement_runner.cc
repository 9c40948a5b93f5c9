#include "emulator/statement_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "emulator/catalog.h"
#include "emulator/duckdb_exec.h"
#include "emulator/engine.h"
#include "emulator/partition_listing.h"
#include "emulator/result_columns.h"
#include "emulator/scan_bytes.h"

namespace ac::emulator {

namespace fs = std::filesystem;
namespace {

std::string Pad20(std::string_view s) {
  std::string out(s);
  if (out.size() < 20) out.append(20 - out.size(), ' ');
  return out;
}

ResultColumn StringColumn(const std::string& name) {
  return ResultColumn{name, ColumnType{"string", 0, 0, false}};
}

// Prepares a query for a result file: a query with columns CellFormatter cannot format (BIT,
// UNION, BIGNUM, ...) is wrapped to cast those to VARCHAR, and `sql` becomes the wrapped text.
duckdb_prepared_statement PrepareFormattable(duckdb_connection conn, std::string& sql) {
  duckdb_prepared_statement stmt = nullptr;
  auto prepare = [&](const std::string& text) {
    if (stmt) duckdb_destroy_prepare(&stmt);
    if (duckdb_prepare(conn, text.c_str(), &stmt) == DuckDBError) {
      std::string message = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "error";
      duckdb_destroy_prepare(&stmt);
      throw DuckDbError(message);
    }
  };
  prepare(sql);
  const idx_t ncols = duckdb_prepared_statement_column_count(stmt);
  std::vector<std::string> duck_names;
  bool unsupported = false;
  for (idx_t c = 0; c < ncols; ++c) {
    duck_names.emplace_back(PreparedColumnName(stmt, c));
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(stmt, c);
    unsupported |= !IsFormattableType(t);
    duckdb_destroy_logical_type(&t);
  }
  if (unsupported) {
    std::string wrapped = "SELECT ";
    for (idx_t c = 0; c < ncols; ++c) {
      duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(stmt, c);
      const std::string ref = "__q.#" + std::to_string(c + 1);
      wrapped += (c ? ", " : "") + (IsFormattableType(t) ? ref : "CAST(" + ref + " AS VARCHAR)") +
                 " AS " + QuoteIdentifier(duck_names[c]);
      duckdb_destroy_logical_type(&t);
    }
    sql = wrapped + " FROM (" + sql + ") AS __q";
    prepare(sql);
  }
  return stmt;
}

// Executes a prepared statement with a streaming result; destroys the statement.
duckdb_result ExecuteStreaming(duckdb_prepared_statement stmt) {
  duckdb_pending_result pending = nullptr;
  if (duckdb_pending_prepared_streaming(stmt, &pending) == DuckDBError) {
    std::string message = duckdb_pending_error(pending) ? duckdb_pending_error(pending) : "error";
    duckdb_destroy_pending(&pending);
    duckdb_destroy_prepare(&stmt);
    throw DuckDbError(message);
  }
  duckdb_result result;
  if (duckdb_execute_pending(pending, &result) == DuckDBError) {
    std::string message = duckdb_result_error(&result) ? duckdb_result_error(&result) : "error";
    duckdb_destroy_result(&result);
    duckdb_destroy_pending(&pending);
    duckdb_destroy_prepare(&stmt);
    throw DuckDbError(message);
  }
  duckdb_destroy_pending(&pending);
  duckdb_destroy_prepare(&stmt);
  return result;
}

}  // namespace

AthenaErrorInfo UserError(int error_type, const std::string& message) {
  AthenaErrorInfo error;
  error.category = 2;
  error.type = error_type;
  error.message = message;
  return error;
}

StatementFailed::StatementFailed(int error_type, const std::string& message)
    : std::runtime_error(message), error_(UserError(error_type, message)) {}

StatementFailed StatementFailed::SchemaNotFound(const std::string& schema) {
  return StatementFailed(1301, "SCHEMA_NOT_FOUND: Schema '" + schema + "' does not exist");
}

StatementFailed StatementFailed::TableNotFound(const std::string& db, const std::string& table,
                                               bool view) {
  return StatementFailed(1301, std::string(view ? "VIEW_NOT_FOUND" : "TABLE_NOT_FOUND") +
                                   ": line 1:1: " + (view ? "View" : "Table") +
                                   " 'awsdatacatalog." + db + "." + table + "' does not exist");
}

// Athena's StateChangeReason for a query stopped by the workgroup's per-query data usage control
// (as clients log it, e.g. dbt-labs/dbt-adapters#1221).
ScanLimitExceeded::ScanLimitExceeded(uint64_t cutoff)
    : StatementFailed(1000, "Bytes scanned limit was exceeded"), cutoff_(cutoff) {}

void ThrowIfCancelled(const RunContext& ctx) {
  if (ctx.cancel->load()) throw QueryCancelled();
}

std::optional<std::string> UnloadCopyOptions(const UnloadSpec& unload) {
  const std::string& format = unload.format;
  if (format == "PARQUET") {
    const std::string compression = unload.compression.empty() ? "gzip" : unload.compression;
    return "FORMAT PARQUET, COMPRESSION " + QuoteLiteral(compression);
  }
  if (format == "JSON") return "FORMAT JSON, COMPRESSION 'gzip'";
  if (format == "TEXTFILE") {
    const std::string delim =
        unload.field_delimiter.empty() ? std::string("\x01") : unload.field_delimiter;
    return "FORMAT CSV, HEADER false, COMPRESSION 'gzip', DELIMITER " + QuoteLiteral(delim);
  }
  return std::nullopt;
}

std::vector<std::string> MatchingNames(const std::vector<std::string>& names,
                                       const std::string& pattern) {
  std::regex re(pattern.empty() ? ".*" : HivePatternToRegex(pattern), std::regex::icase);
  std::vector<std::string> out;
  for (const auto& name : names) {
    if (std::regex_match(name, re)) out.push_back(name);
  }
  return out;
}

StatementRunner::StatementRunner(Engine& engine, const RunContext& ctx, const Statement& st)
    : engine_(engine),
      ctx_(ctx),
      st_(st),
      db_(st.database.empty() ? ctx.database : Lower(st.database)),
      qualified_(QuoteIdentifier(db_) + "." + QuoteIdentifier(st.table)),
      output_(engine.buckets(), ctx.id, ctx.bucket, ctx.prefix) {}

StatementOutcome StatementRunner::Run() {
  StatementOutcome outcome = RunKind();
  if (!scan_error_.empty()) {
    spdlog::warn(
        "query {}: DataScannedInBytes reported as 0: DuckDB could not plan it for "
        "its scans: {}",
        ctx_.id, scan_error_);
  }
  return outcome;
}

StatementOutcome StatementRunner::RunKind() {
  using Kind = Statement::Kind;
  switch (st_.kind) {
    case Kind::kQuery:
      return Query();
    case Kind::kExplain:
      return Explain();
    case Kind::kInsert:
      return Insert();
    case Kind::kModify:
      return Modify();
    case Kind::kCtas:
      return CreateTableAsSelect();
    case Kind::kUnload:
      return Unload();
    case Kind::kCreateTable:
      return CreateTable();
    case Kind::kCreateView:
      return CreateView();
    case Kind::kDropTable:
    case Kind::kDropView:
      return DropTableOrView();
    case Kind::kCreateDatabase:
      return CreateDatabase();
    case Kind::kDropDatabase:
      return DropDatabase();
    case Kind::kAlterTable:
      return AlterTableAddColumns();
    case Kind::kNoOpDdl:
      return EmptyDdlResult();
    case Kind::kShowTables:
    case Kind::kShowViews:
      return ShowTables();
    case Kind::kShowDatabases:
      return ShowDatabases();
    case Kind::kShowColumns:
    case Kind::kDescribe:
    case Kind::kShowCreateTable:
    case Kind::kShowPartitions:
      return DescribeTable();
  }
  return StatementOutcome{};
}

// ---- row-returning and DML statements ---------------------------------------------------------

StatementOutcome StatementRunner::Query() {
  const std::string sql = WithPartitionsTables(st_.duckdb_sql);
  const uint64_t scanned = BytesScannedBy(sql);
  StatementOutcome outcome = WriteQueryResult(sql);
  outcome.data_scanned_bytes = scanned;
  return outcome;
}

StatementOutcome StatementRunner::Explain() {
  Rows rows = QueryRows(ctx_.conn, st_.duckdb_sql);
  std::vector<std::string> lines;
  for (auto& r : rows) {
    if (r.size() < 2 || !r[1]) continue;
    std::istringstream in(*r[1]);
    std::string line;
    while (std::getline(in, line)) lines.push_back(line);
  }
  return TextResult({ResultColumn{"Query Plan", ColumnType{"varchar", 2147483647, 0, true}}},
                    lines);
}

StatementOutcome StatementRunner::Insert() {
  if (!TableExistsIn(ctx_.conn, db_, st_.table)) {
    throw StatementFailed::TableNotFound(db_, st_.table);
  }
  const uint64_t scanned = BytesScannedBy(st_.duckdb_sql);
  idx_t changed = 0;
  QueryRows(ctx_.conn, st_.duckdb_sql, &changed);
  TableChanged();
  StatementOutcome outcome = UpdateCount(changed);
  outcome.manifest_location = output_.WriteManifest({});
  outcome.data_scanned_bytes = scanned;
  return outcome;
}

StatementOutcome StatementRunner::Modify() {
  idx_t changed = 0;
  try {
    QueryRows(ctx_.conn, st_.duckdb_sql, &changed);
  } catch (...) {
    engine_.scan_sizes().InvalidateAll();  // which table changed is not recorded: forget all
    throw;
  }
  engine_.scan_sizes().InvalidateAll();
  return UpdateCount(changed);
}

StatementOutcome StatementRunner::CreateTableAsSelect() {
  if (TableExistsIn(ctx_.conn, db_, st_.table)) {
    if (st_.if_not_exists) return UpdateCount(0);
    throw StatementFailed(1003, "ALREADY_EXISTS: line 1:1: Destination table 'awsdatacatalog." +
                                    db_ + "." + st_.table + "' already exists");
  }
  const uint64_t scanned = BytesScannedBy(st_.duckdb_sql);
  Exec(ctx_.conn, st_.duckdb_sql);
  TableChanged();
  Rows count = QueryRows(ctx_.conn, "SELECT count(*) FROM " + qualified_);
  const uint64_t n = count.empty() || !count[0][0] ? 0 : std::stoull(*count[0][0]);
  RegisterTable(ctx_.conn, st_, db_);
  StatementOutcome outcome = UpdateCount(n);
  outcome.manifest_location = output_.WriteManifest({});
  outcome.data_scanned_bytes = scanned;
  return outcome;
}

/// The COPY option that splits an UNLOAD's output into files.
static std::string FileSplitOption(int64_t rows_per_file) {
  if (rows_per_file <= 0) return ", FILE_SIZE_BYTES '256MB'";
  return ", ROW_GROUP_SIZE " + std::to_string(rows_per_file) + ", ROW_GROUPS_PER_FILE 1";
}

StatementOutcome StatementRunner::Unload() {
  const UnloadSpec& unload = st_.unload;
  std::string target_bucket, target_prefix;
  if (!SplitOutputLocation(unload.target, &target_bucket, &target_prefix)) {
    throw StatementFailed(
        1100, "INVALID_ARGUMENT: UNLOAD target is not a valid S3 location: " + unload.target);
  }
  BucketStore& buckets = engine_.buckets();
  if (!buckets.List(target_bucket, target_prefix).empty()) {
    throw StatementFailed(1000, "HIVE_PATH_ALREADY_EXISTS: Target directory for table '" + ctx_.id +
                                    "' already exists: " + unload.target +
                                    ". You may need to manually clean the data at location '" +
                                    unload.target +
                                    "' before retrying. Athena will not delete "
                                    "data in your account.");
  }
  const std::optional<std::string> options = UnloadCopyOptions(unload);
  if (!options) {
    throw StatementFailed(1200, "NOT_SUPPORTED: UNLOAD format " + unload.format +
                                    " is not supported by athena-local (use PARQUET, JSON or "
                                    "TEXTFILE)");
  }
  const uint64_t scanned = BytesScannedBy(unload.select_sql);
  const fs::path temp_dir = output_.NewTempPath(ctx_.id + "-unload");
  fs::create_directories(temp_dir);
  idx_t written = 0;
  try {
    QueryRows(ctx_.conn,
              "COPY (" + unload.select_sql + ") TO " + QuoteLiteral(temp_dir.string()) + " (" +
                  *options + FileSplitOption(engine_.options().unload_rows_per_file) +
                  ", FILENAME_PATTERN " + QuoteLiteral(ctx_.id + "_{i}") + ")",
              &written);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(temp_dir, ec);
    throw;
  }
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(temp_dir)) {
    files.push_back(entry.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> uris;
  for (const auto& f : files) {
    buckets.CommitObject(temp_dir / f, target_bucket, target_prefix + f);
    uris.push_back("s3://" + target_bucket + "/" + target_prefix + f);
  }
  std::error_code ec;
  fs::remove_all(temp_dir, ec);
  StatementOutcome outcome = UpdateCount(written);
  outcome.manifest_location = output_.WriteManifest(uris);
  outcome.data_scanned_bytes = scanned;
  return outcome;
}

// ---- DDL --------------------------------------------------------------------------------------

StatementOutcome StatementRunner::CreateTable() {
  if (TableExistsIn(ctx_.conn, db_, st_.table)) {
    if (!st_.if_not_exists) {
      throw StatementFailed(1003, "ALREADY_EXISTS: line 1:1: Table 'awsdatacatalog." + db_ + "." +
                                      st_.table + "' already exists");
    }
  } else {
    Exec(ctx_.conn, st_.duckdb_sql);
    TableChanged();
    RegisterTable(ctx_.conn, st_, db_);
  }
  return EmptyDdlResult();
}

StatementOutcome StatementRunner::CreateView() {
  Exec(ctx_.conn, st_.duckdb_sql);
  return EmptyDdlResult();
}

StatementOutcome StatementRunner::DropTableOrView() {
  const bool view = st_.kind == Statement::Kind::kDropView;
  std::string type;
  if (!TableExistsIn(ctx_.conn, db_, st_.table, &type)) {
    if (!st_.if_exists) throw StatementFailed::TableNotFound(db_, st_.table, view);
  } else {
    Exec(ctx_.conn, std::string(type == "VIEW" ? "DROP VIEW " : "DROP TABLE ") + qualified_);
    TableChanged();
    UnregisterTables(ctx_.conn, db_, st_.table);
  }
  return EmptyDdlResult();
}

StatementOutcome StatementRunner::CreateDatabase() {
  if (SchemaExistsIn(ctx_.conn, st_.database)) {
    if (!st_.if_not_exists) {
      throw StatementFailed(1003, "FAILED: Database " + Lower(st_.database) + " already exists");
    }
  } else {
    Exec(ctx_.conn, "CREATE SCHEMA " + QuoteIdentifier(Lower(st_.database)));
  }
  return EmptyDdlResult();
}

StatementOutcome StatementRunner::DropDatabase() {
  const std::string database = Lower(st_.database);
  if (!SchemaExistsIn(ctx_.conn, st_.database)) {
    if (!st_.if_exists) throw StatementFailed::SchemaNotFound(database);
  } else {
    if (database == ctx_.database) UseDatabase(ctx_.conn, "default");
    Exec(ctx_.conn, "DROP SCHEMA " + QuoteIdentifier(database) + (st_.cascade ? " CASCADE" : ""));
    engine_.scan_sizes().InvalidateDatabase(database);
    UnregisterTables(ctx_.conn, database, "");
  }
  return EmptyDdlResult();
}

StatementOutcome StatementRunner::AlterTableAddColumns() {
  for (const auto& col : st_.columns) {
    Exec(ctx_.conn, "ALTER TABLE " + qualified_ + " ADD COLUMN " + QuoteIdentifier(col.name) + " " +
                        TranslateTypeText(col.athena_type));
    TableChanged();
    RegisterAddedColumn(ctx_.conn, db_, st_.table, col);
  }
  return EmptyDdlResult();
}

// ---- utilities --------------------------------------------------------------------------------

StatementOutcome StatementRunner::ShowTables() {
  if (!SchemaExistsIn(ctx_.conn, db_)) throw StatementFailed::SchemaNotFound(db_);
  const bool views = st_.kind == Statement::Kind::kShowViews;
  return TextResult({StringColumn(views ? "views" : "tab_name")},
                    MatchingNames(ListTableNames(ctx_.conn, db_, views), st_.pattern));
}

StatementOutcome StatementRunner::ShowDatabases() {
  return TextResult({StringColumn("database_name")},
                    MatchingNames(engine_.ListDatabases(), st_.pattern));
}

StatementOutcome StatementRunner::DescribeTable() {
  auto table = ReadTableInfo(ctx_.conn, db_, st_.table, engine_.start_time());
  if (!table) throw StatementFailed::TableNotFound(db_, st_.table);
  if (st_.kind == Statement::Kind::kShowPartitions) return ShowPartitions();
  std::vector<std::string> lines;
  if (st_.kind == Statement::Kind::kShowColumns) {
    for (const auto& c : table->columns) lines.push_back(Pad20(c.name));
    return TextResult({StringColumn("field")}, lines);
  }
  if (st_.kind == Statement::Kind::kDescribe) {
    for (const auto& c : table->columns) {
      lines.push_back(Pad20(c.name) + "\t" + Pad20(c.hive_type) + "\t" + Pad20(c.comment));
    }
    return TextResult(
        {StringColumn("col_name"), StringColumn("data_type"), StringColumn("comment")}, lines);
  }
  if (st_.kind == Statement::Kind::kShowCreateTable) {
    lines.push_back("CREATE EXTERNAL TABLE `" + db_ + "`.`" + table->name + "`(");
    for (size_t i = 0; i < table->columns.size(); ++i) {
      lines.push_back("  `" + table->columns[i].name + "` " + table->columns[i].hive_type +
                      (i + 1 < table->columns.size() ? ", " : ")"));
    }
    lines.push_back("LOCATION");
    lines.push_back("  's3://athena-local/" + db_ + "/" + table->name + "'");
    return TextResult({StringColumn("createtab_stmt")}, lines);
  }
  return ShowPartitions();
}

StatementOutcome StatementRunner::ShowPartitions() {
  const auto sizes = PartitionedSizes(db_, st_.table);
  if (!sizes) {
    throw StatementFailed(1000, "FAILED: SemanticException [Error 10241]: Table " + st_.table +
                                    " is not a partitioned table");
  }
  return TextResult({StringColumn("partition")}, PartitionNames(*sizes));
}

// ---- data scanned -----------------------------------------------------------------------------

uint64_t StatementRunner::BytesScannedBy(const std::string& duckdb_sql) {
  const ReadAnalysis analysis = AnalyzeReads(ctx_.conn, duckdb_sql);
  ThrowIfCancelled(ctx_);
  if (!analysis.error.empty()) {
    scan_error_ = analysis.error;
    return 0;
  }
  const uint64_t scanned = engine_.scan_sizes().BytesRead(ctx_.conn, analysis.reads);
  const uint64_t cutoff = engine_.options().bytes_scanned_cutoff;
  if (cutoff > 0 && scanned > cutoff) throw ScanLimitExceeded(cutoff);
  return scanned;
}

void StatementRunner::TableChanged() {
  engine_.scan_sizes().Invalidate(db_, st_.table);
}

// ---- partition metadata -----------------------------------------------------------------------

std::shared_ptr<const TableSizes> StatementRunner::PartitionedSizes(const std::string& db,
                                                                    const std::string& table) {
  std::string type;
  if (!TableExistsIn(ctx_.conn, db, table, &type) || type == "VIEW") return nullptr;
  if (PartitionKeysOf(ctx_.conn, db, table).empty()) return nullptr;
  auto sizes = engine_.scan_sizes().Get(ctx_.conn, db, table);
  return sizes->partition_keys.empty() ? nullptr : sizes;
}

std::string StatementRunner::WithPartitionsTables(const std::string& sql) {
  const std::vector<PartitionsTableRef> refs = FindPartitionsTables(sql);
  if (refs.empty()) return sql;
  std::string out = sql;
  for (auto it = refs.rbegin(); it != refs.rend(); ++it) {
    const std::string db = it->database.empty() ? ctx_.database : it->database;
    const auto sizes = PartitionedSizes(db, it->table);
    if (!sizes) throw StatementFailed::TableNotFound(db, it->table + "$partitions");
    std::vector<std::string> types;
    for (const auto& key : sizes->partition_keys) {
      Rows rows =
          QueryRows(ctx_.conn, std::string("SELECT data_type FROM information_schema.columns WHERE "
                                           "table_catalog = '") +
                                   kCatalog + "' AND lower(table_schema) = " + QuoteLiteral(db) +
                                   " AND lower(table_name) = " + QuoteLiteral(it->table) +
                                   " AND column_name = " + QuoteLiteral(key));
      types.push_back(rows.empty() || !rows[0][0] ? "VARCHAR" : *rows[0][0]);
    }
    std::string replacement = PartitionsSubquery(*sizes, types);
    if (!it->has_alias) replacement += " AS " + QuoteIdentifier(it->table + "$partitions");
    out.replace(it->begin, it->end - it->begin, replacement);
  }
  return out;
}

// ---- results ----------------------------------------------------------------------------------

StatementOutcome StatementRunner::WriteQueryResult(std::string sql) {
  duckdb_prepared_statement stmt = PrepareFormattable(ctx_.conn, sql);
  ResultColumns columns =
      DescribeResultColumns(ctx_.conn, stmt, sql, ctx_.database, ctx_.display_zone);
  ThrowIfCancelled(ctx_);
  duckdb_result result = ExecuteStreaming(stmt);

  const std::string name = ctx_.id + ".csv";
  ResultMetadata metadata;
  metadata.format = ResultMetadata::Format::kCsv;
  metadata.columns = columns.columns;
  StatementOutcome outcome;
  const fs::path temp = output_.NewTempPath(name);
  try {
    ResultFileWriter writer(temp, metadata.format);
    std::vector<std::string> names;
    for (const auto& column : columns.columns) names.push_back(column.name);
    writer.WriteHeader(names);
    writer.SetFormatters(std::move(columns.formatters));
    while (true) {
      duckdb_data_chunk chunk = duckdb_fetch_chunk(result);
      if (chunk == nullptr) break;
      writer.WriteChunk(chunk);
      duckdb_destroy_data_chunk(&chunk);
      ThrowIfCancelled(ctx_);
    }
    const char* error = duckdb_result_error(&result);
    if (error != nullptr) throw DuckDbError(error);
    writer.Finish();
    outcome.result_rows = writer.rows();
    outcome.result_bytes = writer.bytes();
  } catch (...) {
    duckdb_destroy_result(&result);
    std::error_code ec;
    fs::remove(temp, ec);
    throw;
  }
  duckdb_destroy_result(&result);
  metadata.rows = outcome.result_rows;
  output_.Commit(temp, name);
  output_.WriteMetadata(name, metadata);
  return outcome;
}

StatementOutcome StatementRunner::TextResult(const std::vector<ResultColumn>& columns,
                                             const std::vector<std::string>& lines) {
  StatementOutcome outcome;
  outcome.text_result = true;
  outcome.result_rows = lines.size();
  outcome.result_bytes = output_.WriteTextResult(columns, lines);
  return outcome;
}

StatementOutcome StatementRunner::UpdateCount(uint64_t rows) {
  output_.WriteUpdateCountMetadata();
  StatementOutcome outcome;
  outcome.has_update_count = true;
  outcome.update_count = static_cast<int64_t>(rows);
  return outcome;
}

}  // namespace ac::emulator
