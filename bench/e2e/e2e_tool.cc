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
#include <duckdb.h>

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

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
  std::fprintf(stderr,
               "usage: %s read-csv <result.csv> <database> | fetch-only <configuration.json> | "
               "protocol <configuration.json> | sync <configuration.json> <dir>\n",
               argv[0]);
  return 2;
}
