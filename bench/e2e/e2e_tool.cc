// Helper of bench/e2e/run.sh.
//
//   e2e_tool read-csv <result.csv> <database file>
//       The floor: DuckDB's own read_csv of an Athena result file from local disk into a table of
//       an on-disk database (as the connector's warehouse is), types inferred. Prints rows.
//   e2e_tool fetch-only <configuration.json>
//       The connector's sync (query, fetcher, decoding) into a sink that drops the records: what
//       the fetchers cost without the DuckDB warehouse. Prints rows.
//   e2e_tool protocol <configuration.json>
//       The connector's gRPC server on a loopback TCP port and Fivetran's side of the Update call:
//       every record is encoded, sent, received, parsed and grouped into batches, then dropped.
//       What a sync costs up to the destination (the production path). Prints rows.
//   e2e_tool sync <configuration.json> <working dir>
//       The same sync into the DuckDB warehouse, without debug's gRPC hop. Prints rows.
//   e2e_tool soak-client <host:port> <configuration.json> <state file>
//       Fivetran's side against a connector server running elsewhere (bench/soak/run.sh kills
//       and restarts it): Update from the state file, again from the last checkpoint whenever the
//       call breaks, until a sync completes; the state file follows every checkpoint. Keeps one
//       64-bit hash of each key's last row per table, so rows delivered again after a kill count
//       once. Prints `attempts N`, one `failed: <message>` line per broken attempt, and per table
//       `table <name> received <rows delivered> distinct <keys> digest <hex>` (the digest does not
//       depend on the order or repetition of deliveries).
#include <duckdb.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>

#include "common/clock.h"
#include "connector/background_sink.h"
#include "connector/config.h"
#include "connector/connector.h"
#include "connector/record_sink.h"
#include "fivetran/local_runner.h"
#include "warehouse/duckdb_warehouse.h"

namespace {

int ReadCsv(const std::string& csv, const std::string& database) {
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
  if (duckdb_open(database.c_str(), &db) != DuckDBSuccess ||
      duckdb_connect(db, &con) != DuckDBSuccess) {
    std::fprintf(stderr, "cannot open %s\n", database.c_str());
    return 1;
  }
  std::string escaped;
  for (const char c : csv) {
    if (c == '\'')
      escaped += "''";
    else
      escaped.push_back(c);
  }
  const std::string sql = "CREATE TABLE result AS SELECT * FROM read_csv('" + escaped +
                          "', header = true, quote = '\"', escape = '\"')";
  duckdb_result result;
  if (duckdb_query(con, sql.c_str(), &result) != DuckDBSuccess) {
    std::fprintf(stderr, "read_csv failed: %s\n", duckdb_result_error(&result));
    duckdb_destroy_result(&result);
    return 1;
  }
  duckdb_destroy_result(&result);
  duckdb_query(con, "SELECT count(*) FROM result", &result);
  std::printf("rows %lld\n", static_cast<long long>(duckdb_value_int64(&result, 0, 0)));
  duckdb_destroy_result(&result);
  duckdb_disconnect(&con);
  duckdb_close(&db);
  return 0;
}

/// Counts what it is given and keeps nothing.
class NullSink final : public ac::connector::RecordSink {
 public:
  void DefineTable(const ac::common::TableSchema&) override {}
  void Truncate(const ac::common::TableSchema&) override {}
  void Write(const ac::common::TableSchema&, ac::connector::RecordType,
             const ac::common::ValueBatch& rows) override {
    rows_ += static_cast<long long>(rows.num_rows());
  }
  void Checkpoint(const std::string&) override {}
  void Warning(const std::string& message) override {
    std::fprintf(stderr, "warning: %s\n", message.c_str());
  }
  long long rows() const { return rows_; }

 private:
  long long rows_ = 0;
};

int Protocol(const std::string& configuration) {
  std::ifstream in(configuration);
  std::stringstream text;
  text << in.rdbuf();
  ac::fivetran::LocalSyncOptions options;
  options.use_tcp = true;
  options.run_tests = false;
  const nlohmann::json parsed = nlohmann::json::parse(text.str());
  for (const auto& [key, value] : parsed.items()) {
    options.configuration[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  NullSink sink;
  const ac::fivetran::LocalSyncResult result = ac::fivetran::RunLocalSync(options, sink);
  if (!result.ok) {
    std::fprintf(stderr, "sync failed: %s\n", result.message.c_str());
    return 1;
  }
  std::printf("rows %lld\n", sink.rows());
  return 0;
}

/// FNV-1a over bytes, continued from `hash`.
uint64_t Fnv(uint64_t hash, const void* data, size_t size) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ULL;
  return hash;
}

uint64_t HashValue(uint64_t hash, const ac::common::Value& v) {
  using ac::common::DataType;
  const auto type = static_cast<uint8_t>(v.type);
  hash = Fnv(hash, &type, 1);
  const uint8_t null = v.is_null ? 1 : 0;
  hash = Fnv(hash, &null, 1);
  if (v.is_null) return hash;
  switch (v.type) {
    case DataType::kBoolean:
      return Fnv(hash, &v.boolean, sizeof(v.boolean));
    case DataType::kShort:
    case DataType::kInt:
      return Fnv(hash, &v.int32, sizeof(v.int32));
    case DataType::kLong:
      return Fnv(hash, &v.int64, sizeof(v.int64));
    case DataType::kFloat:
      return Fnv(hash, &v.float32, sizeof(v.float32));
    case DataType::kDouble:
      return Fnv(hash, &v.float64, sizeof(v.float64));
    case DataType::kNaiveDate:
    case DataType::kNaiveDateTime:
    case DataType::kUtcDateTime:
      hash = Fnv(hash, &v.timestamp.seconds, sizeof(v.timestamp.seconds));
      return Fnv(hash, &v.timestamp.nanos, sizeof(v.timestamp.nanos));
    default:
      return Fnv(hash, v.text.data(), v.text.size());
  }
}

/// Per table, the hash of each key's last row (an upsert replaces it) and every row received.
class DigestSink final : public ac::connector::RecordSink {
 public:
  void DefineTable(const ac::common::TableSchema& table) override {
    tables_[table.QualifiedName()];
  }
  void Truncate(const ac::common::TableSchema&) override {}
  void Write(const ac::common::TableSchema& table, ac::connector::RecordType,
             const ac::common::ValueBatch& rows) override {
    Table& t = tables_[table.QualifiedName()];
    std::vector<size_t> keys;
    for (size_t c = 0; c < table.columns.size(); ++c) {
      if (table.columns[c].primary_key) keys.push_back(c);
    }
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      uint64_t key = 14695981039346656037ULL;
      uint64_t row = 14695981039346656037ULL;
      for (size_t c = 0; c < rows.num_columns(); ++c) row = HashValue(row, rows.at(r, c));
      if (keys.empty()) {
        key = row;  // no key: the row is its own identity, as _fivetran_id
      } else {
        for (const size_t c : keys) key = HashValue(key, rows.at(r, c));
      }
      t.rows[key] = row;
      ++t.received;
    }
  }
  /// Each checkpoint's state replaces the state file at once, as Fivetran keeps it.
  void Checkpoint(const std::string& state_json) override {
    if (state_path_.empty()) return;
    const std::string temp = state_path_ + ".tmp";
    std::ofstream(temp, std::ios::trunc) << state_json;
    std::filesystem::rename(temp, state_path_);
  }
  void Warning(const std::string& message) override {
    std::fprintf(stderr, "warning: %s\n", message.c_str());
  }
  void set_state_path(std::string path) { state_path_ = std::move(path); }
  void Print() const {
    for (const auto& [name, t] : tables_) {
      uint64_t digest = 0;
      for (const auto& [key, row] : t.rows) digest += (key * 0x9E3779B97F4A7C15ULL) ^ row;
      std::printf("table %s received %lld distinct %zu digest %016llx\n", name.c_str(),
                  static_cast<long long>(t.received), t.rows.size(),
                  static_cast<unsigned long long>(digest));
    }
  }

 private:
  struct Table {
    std::unordered_map<uint64_t, uint64_t> rows;
    int64_t received = 0;
  };
  std::map<std::string, Table> tables_;
  std::string state_path_;
};

int SoakClient(const std::string& target, const std::string& configuration,
               const std::string& state_path) {
  std::ifstream in(configuration);
  std::stringstream text;
  text << in.rdbuf();
  ac::fivetran::LocalSyncOptions options;
  options.target = target;
  options.run_tests = false;
  const nlohmann::json parsed = nlohmann::json::parse(text.str());
  for (const auto& [key, value] : parsed.items()) {
    options.configuration[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
  std::string state;
  if (std::filesystem::exists(state_path)) {
    std::ifstream saved(state_path);
    std::stringstream buffer;
    buffer << saved.rdbuf();
    state = buffer.str();
  }
  DigestSink sink;
  sink.set_state_path(state_path);
  for (int attempt = 1;; ++attempt) {
    options.state_json = state;
    const ac::fivetran::LocalSyncResult result = ac::fivetran::RunLocalSync(options, sink);
    if (!result.last_state_json.empty()) state = result.last_state_json;
    if (result.ok) {
      std::printf("attempts %d\n", attempt);
      break;
    }
    std::printf("failed: %s\n", result.message.c_str());
    std::fflush(stdout);
    if (attempt >= 200) return 1;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  sink.Print();
  return 0;
}

int Sync(const std::string& configuration, const std::string& working_dir) {
  std::ifstream in(configuration);
  std::stringstream text;
  text << in.rdbuf();
  try {
    ac::connector::Connector connector(ac::connector::Config::FromJson(text.str(), configuration));
    ac::common::CancellationToken cancel;
    if (working_dir.empty()) {
      NullSink sink;
      connector.Sync("", nullptr, sink, cancel);
      std::printf("rows %lld\n", sink.rows());
    } else {
      ac::warehouse::WarehouseOptions options;
      options.working_dir = working_dir;
      ac::warehouse::DuckDbWarehouse warehouse(options);
      {
        // As `debug` does: the warehouse writes on its own thread.
        ac::connector::BackgroundRecordSink background(warehouse);
        connector.Sync("", nullptr, background, cancel);
        background.Drain();
      }
      warehouse.Finish();
      std::printf("synced\n");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sync failed: %s\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "read-csv" && argc == 4) return ReadCsv(argv[2], argv[3]);
  if (command == "fetch-only" && argc == 3) return Sync(argv[2], "");
  if (command == "protocol" && argc == 3) return Protocol(argv[2]);
  if (command == "sync" && argc == 4) return Sync(argv[2], argv[3]);
  if (command == "soak-client" && argc == 5) return SoakClient(argv[2], argv[3], argv[4]);
  std::fprintf(stderr,
               "usage: %s read-csv <result.csv> <database> | fetch-only <configuration.json> | "
               "protocol <configuration.json> | sync <configuration.json> <dir> | soak-client "
               "<host:port> <configuration.json> <state file>\n",
               argv[0]);
  return 2;
}
