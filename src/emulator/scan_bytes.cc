#include "emulator/scan_bytes.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "emulator/catalog.h"
#include "emulator/duckdb_exec.h"

namespace ac::emulator {
namespace {

using json = nlohmann::json;

constexpr const char* kHiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__";

// Collects the catalog table scans (LOGICAL_GET with a table scan's bind data) under `node`.
void CollectScans(const json& node, std::vector<TableRead>& out) {
  if (node.is_array()) {
    for (const auto& child : node) CollectScans(child, out);
    return;
  }
  if (!node.is_object()) return;
  const auto type = node.find("type");
  if (type != node.end() && type->is_string() && *type == "LOGICAL_GET") {
    const auto data = node.find("function_data");
    const auto names = node.find("names");
    if (data != node.end() && data->is_object() && names != node.end() && names->is_array()) {
      const auto catalog = data->find("catalog");
      const auto schema = data->find("schema");
      const auto table = data->find("table");
      if (catalog != data->end() && catalog->is_string() && *catalog == kCatalog &&
          schema != data->end() && schema->is_string() && table != data->end() &&
          table->is_string() && schema->get<std::string>().rfind("__", 0) != 0) {
        TableRead read{Lower(schema->get<std::string>()), Lower(table->get<std::string>()), {}};
        const auto indexes = node.find("column_indexes");
        if (indexes != node.end() && indexes->is_array()) {
          for (const auto& index : *indexes) {
            const auto i = index.find("index");
            if (i == index.end() || !i->is_number_unsigned()) continue;
            const uint64_t column = i->get<uint64_t>();
            if (column < names->size() && (*names)[column].is_string()) {
              read.columns.insert((*names)[column].get<std::string>());
            }
          }
        }
        const auto filters = node.find("table_filters");
        read.scans.push_back(filters != node.end() ? FiltersOfScan(*filters, *names)
                                                   : ScanFilters{});
        out.push_back(std::move(read));
      }
    }
  }
  for (const auto& [key, value] : node.items()) {
    if (value.is_structured()) CollectScans(value, out);
  }
}

// json_serialize_plan's document for `sql` on `conn`.
std::string SerializedPlan(duckdb_connection conn, const std::string& sql, bool optimize) {
  Rows rows =
      QueryRows(conn, "SELECT CAST(json_serialize_plan(" + QuoteLiteral(sql) +
                          ", optimize := " + (optimize ? "true" : "false") + ") AS VARCHAR)");
  if (rows.size() != 1 || rows[0].size() != 1 || !rows[0][0]) {
    throw std::runtime_error("json_serialize_plan returned no plan");
  }
  return *rows[0][0];
}

// The expression summing a column's stored bytes, by its DuckDB type.
std::string ColumnBytesExpression(const std::string& column, duckdb_logical_type type) {
  const std::string ref = QuoteIdentifier(column);
  auto fixed = [&](int width) { return "count(" + ref + ")::UBIGINT * " + std::to_string(width); };
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_UTINYINT:
      return fixed(1);
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_USMALLINT:
      return fixed(2);
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DATE:
      return fixed(4);
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_DOUBLE:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_TZ:
      return fixed(8);
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_UUID:
    case DUCKDB_TYPE_INTERVAL:
      return fixed(16);
    case DUCKDB_TYPE_DECIMAL:
      switch (duckdb_decimal_internal_type(type)) {
        case DUCKDB_TYPE_SMALLINT:
          return fixed(2);
        case DUCKDB_TYPE_INTEGER:
          return fixed(4);
        case DUCKDB_TYPE_BIGINT:
          return fixed(8);
        default:
          return fixed(16);
      }
    case DUCKDB_TYPE_VARCHAR:
      return "coalesce(sum(strlen(" + ref + ")), 0)::UBIGINT";
    case DUCKDB_TYPE_BLOB:
      return "coalesce(sum(octet_length(" + ref + ")), 0)::UBIGINT";
    default:  // nested and other types: the octets of their text form
      return "coalesce(sum(strlen(CAST(" + ref + " AS VARCHAR))), 0)::UBIGINT";
  }
}

uint64_t ParseCount(const Cell& cell) {
  return cell ? std::stoull(*cell) : 0;
}

}  // namespace

std::vector<TableRead> ScansOfPlan(std::string_view plan_json) {
  const json doc = json::parse(plan_json, nullptr, false);
  if (!doc.is_object()) throw std::runtime_error("the plan is not a JSON object");
  const auto error = doc.find("error");
  if (error == doc.end() || !error->is_boolean()) {
    throw std::runtime_error("the plan has no 'error' flag");
  }
  if (error->get<bool>()) {
    const auto message = doc.find("error_message");
    throw std::runtime_error(message != doc.end() && message->is_string()
                                 ? message->get<std::string>()
                                 : std::string("DuckDB could not plan the statement"));
  }
  const auto plans = doc.find("plans");
  if (plans == doc.end() || !plans->is_array()) throw std::runtime_error("the plan has no 'plans'");
  std::vector<TableRead> scans;
  CollectScans(*plans, scans);
  return scans;
}

std::vector<TableRead> MergeScans(const std::vector<TableRead>& bound,
                                  const std::vector<TableRead>* optimized) {
  using Key = std::pair<std::string, std::string>;
  struct Columns {
    size_t scans = 0;
    std::set<std::string> columns;
    std::vector<ScanFilters> filters;
  };
  auto group = [](const std::vector<TableRead>& scans) {
    std::map<Key, Columns> out;
    for (const auto& scan : scans) {
      Columns& c = out[{scan.database, scan.table}];
      ++c.scans;
      c.columns.insert(scan.columns.begin(), scan.columns.end());
      c.filters.insert(c.filters.end(), scan.scans.begin(), scan.scans.end());
    }
    return out;
  };
  const std::map<Key, Columns> by_bound = group(bound);
  const std::map<Key, Columns> by_optimized =
      optimized ? group(*optimized) : std::map<Key, Columns>{};
  std::vector<TableRead> out;
  for (const auto& [key, b] : by_bound) {
    TableRead read{key.first, key.second, b.columns};
    const auto o = by_optimized.find(key);
    if (o != by_optimized.end() && o->second.scans >= b.scans) {
      read.columns.clear();
      // Never more than bound: the optimizer adds only row ids (late materialization).
      std::set_intersection(o->second.columns.begin(), o->second.columns.end(), b.columns.begin(),
                            b.columns.end(), std::inserter(read.columns, read.columns.end()));
      read.scans = o->second.filters;
    }
    out.push_back(std::move(read));
  }
  return out;
}

ReadAnalysis AnalyzeReads(duckdb_connection conn, const std::string& duckdb_sql) {
  ReadAnalysis out;
  std::vector<TableRead> bound;
  try {
    bound = ScansOfPlan(SerializedPlan(conn, duckdb_sql, false));
  } catch (const DuckDbError&) {
    throw;
  } catch (const std::exception& e) {
    out.error = e.what();
    return out;
  }
  std::vector<TableRead> optimized;
  bool have_optimized = true;
  try {
    optimized = ScansOfPlan(SerializedPlan(conn, duckdb_sql, true));
  } catch (const DuckDbError&) {
    throw;
  } catch (const std::exception&) {
    have_optimized = false;  // e.g. a plan the optimizer rewrote beyond what serializes
  }
  out.reads = MergeScans(bound, have_optimized ? &optimized : nullptr);
  return out;
}

uint64_t TableSizes::BytesOf(const std::set<std::string>& columns) const {
  return BytesOf(columns, {});
}

bool TableSizes::Reads(const Partition& partition, const std::vector<ScanFilters>& scans) const {
  if (scans.empty() || partition_keys.empty()) return true;
  std::vector<std::optional<std::string>> values;
  for (const auto& value : partition.values) {
    values.push_back(value == kHiveDefaultPartition ? std::nullopt
                                                    : std::optional<std::string>(value));
  }
  return PartitionRead(scans, partition_keys, values);
}

uint64_t TableSizes::TotalRows() const {
  uint64_t total = 0;
  for (const auto& partition : partitions) total += partition.rows;
  return total;
}

uint64_t TableSizes::TotalBytes() const {
  uint64_t total = 0;
  for (const auto& partition : partitions) {
    for (const auto& [column, bytes] : partition.column_bytes) total += bytes;
  }
  return total;
}

uint64_t TableSizes::BytesOf(const std::set<std::string>& columns,
                             const std::vector<ScanFilters>& scans) const {
  uint64_t total = 0;
  for (const auto& partition : partitions) {
    if (!Reads(partition, scans)) continue;
    for (const auto& column : columns) {
      const auto it = partition.column_bytes.find(column);
      if (it != partition.column_bytes.end()) total += it->second;
    }
  }
  return total;
}

TableSizes MeasureTable(duckdb_connection conn, const std::string& db, const std::string& table) {
  const std::string qualified =
      std::string(kCatalog) + "." + QuoteIdentifier(db) + "." + QuoteIdentifier(table);
  duckdb_prepared_statement stmt = nullptr;
  const std::string probe = "SELECT * FROM " + qualified + " LIMIT 0";
  if (duckdb_prepare(conn, probe.c_str(), &stmt) == DuckDBError) {
    std::string message = duckdb_prepare_error(stmt) ? duckdb_prepare_error(stmt) : "error";
    duckdb_destroy_prepare(&stmt);
    throw DuckDbError(message);
  }
  std::vector<std::string> columns;
  std::vector<std::string> expressions;
  std::map<std::string, std::string> by_lower;  // lower-case name -> name
  const idx_t n = duckdb_prepared_statement_column_count(stmt);
  for (idx_t c = 0; c < n; ++c) {
    const std::string name = PreparedColumnName(stmt, c);
    by_lower[Lower(name)] = name;
    duckdb_logical_type type = duckdb_prepared_statement_column_logical_type(stmt, c);
    columns.push_back(name);
    expressions.push_back(ColumnBytesExpression(name, type));
    duckdb_destroy_logical_type(&type);
  }
  duckdb_destroy_prepare(&stmt);

  TableSizes sizes;
  std::set<std::string> keys;
  for (const auto& key : PartitionKeysOf(conn, db, table)) {
    const auto it = by_lower.find(Lower(key));
    if (it != by_lower.end() && keys.insert(it->second).second) {
      sizes.partition_keys.push_back(it->second);
    }
  }
  std::string select;
  std::string group_by;
  for (size_t k = 0; k < sizes.partition_keys.size(); ++k) {
    select += "coalesce(CAST(" + QuoteIdentifier(sizes.partition_keys[k]) + " AS VARCHAR), " +
              QuoteLiteral(kHiveDefaultPartition) + "), ";
    group_by += (k ? ", " : "") + std::to_string(k + 1);
  }
  select += "count(*)::UBIGINT";
  std::vector<std::string> measured;
  for (size_t c = 0; c < columns.size(); ++c) {
    if (keys.count(columns[c])) continue;
    measured.push_back(columns[c]);
    select += ", " + expressions[c];
  }
  std::string sql = "SELECT " + select + " FROM " + qualified;
  if (!group_by.empty()) sql += " GROUP BY " + group_by + " ORDER BY " + group_by;

  const size_t nkeys = sizes.partition_keys.size();
  for (const auto& row : QueryRows(conn, sql)) {
    TableSizes::Partition partition;
    for (size_t k = 0; k < nkeys; ++k) partition.values.push_back(row[k].value_or(""));
    partition.rows = ParseCount(row[nkeys]);
    for (size_t c = 0; c < measured.size(); ++c) {
      partition.column_bytes[measured[c]] = ParseCount(row[nkeys + 1 + c]);
    }
    sizes.partitions.push_back(std::move(partition));
  }
  return sizes;
}

std::shared_ptr<const TableSizes> ScanSizeCache::Get(duckdb_connection conn, const std::string& db,
                                                     const std::string& table) {
  const std::pair<std::string, std::string> key{Lower(db), Lower(table)};
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = sizes_.find(key);
    if (it != sizes_.end()) return it->second;
    generation = generation_;
  }
  auto sizes = std::make_shared<const TableSizes>(MeasureTable(conn, db, table));
  std::lock_guard<std::mutex> lock(mutex_);
  ++measurements_;
  if (generation == generation_) sizes_[key] = sizes;
  return sizes;
}

uint64_t ScanSizeCache::BytesRead(duckdb_connection conn, const std::vector<TableRead>& reads) {
  uint64_t total = 0;
  for (const auto& read : reads) {
    if (read.columns.empty()) continue;  // count(*): no column read
    total += Get(conn, read.database, read.table)->BytesOf(read.columns, read.scans);
  }
  return total;
}

void ScanSizeCache::Invalidate(const std::string& db, const std::string& table) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  sizes_.erase({Lower(db), Lower(table)});
}

void ScanSizeCache::InvalidateDatabase(const std::string& db) {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  const std::string name = Lower(db);
  for (auto it = sizes_.begin(); it != sizes_.end();) {
    it = it->first.first == name ? sizes_.erase(it) : std::next(it);
  }
}

void ScanSizeCache::InvalidateAll() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++generation_;
  sizes_.clear();
}

uint64_t ScanSizeCache::measurements() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return measurements_;
}

}  // namespace ac::emulator
