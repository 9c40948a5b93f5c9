// Records/s of the local DuckDB warehouse: upserting batches of 1000 rows x 8 columns, one Write
// per batch, all in one transaction; and BM_FirstSync, a first sync as `debug` applies it (batches
// of 10,000 rows, a checkpoint per 100,000, the table's key added at the end). Wall-clock time:
// DuckDB works on its own threads and the commit waits for the disk.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "common/value.h"
#include "warehouse/duckdb_warehouse.h"

namespace {

namespace fs = std::filesystem;
using ac::common::ColumnSchema;
using ac::common::DataType;
using ac::common::TableSchema;
using ac::common::Value;
using ac::common::ValueBatch;

constexpr size_t kRowsPerBatch = 1000;

TableSchema BenchTable(bool keyless) {
  return TableSchema{
      "bench",
      {ColumnSchema{"id", DataType::kLong, !keyless}, ColumnSchema{"name", DataType::kString},
       ColumnSchema{"email", DataType::kString},
       ColumnSchema{"amount", DataType::kDecimal, false, 18, 2},
       ColumnSchema{"score", DataType::kDouble}, ColumnSchema{"created_at", DataType::kUtcDateTime},
       ColumnSchema{"active", DataType::kBoolean}, ColumnSchema{"visits", DataType::kInt}}};
}

Value Typed(DataType type) {
  Value v;
  v.type = type;
  v.is_null = false;
  return v;
}

/// Fills `batch` with `rows` rows whose keys start at `first_id`.
void FillBatch(ValueBatch& batch, int64_t first_id, size_t rows = kRowsPerBatch) {
  batch.Reset(8);
  char text[64];
  for (size_t i = 0; i < rows; ++i) {
    const int64_t id = first_id + static_cast<int64_t>(i);
    Value* row = batch.AppendRow();
    row[0] = Typed(DataType::kLong);
    row[0].int64 = id;
    row[1] = Typed(DataType::kString);
    row[1].text = batch.Store(std::string_view(
        text, std::snprintf(text, sizeof text, "customer %lld", static_cast<long long>(id))));
    row[2] = Typed(DataType::kString);
    row[2].text = batch.Store(std::string_view(
        text, std::snprintf(text, sizeof text, "c%lld@example.com", static_cast<long long>(id))));
    row[3] = Typed(DataType::kDecimal);
    row[3].text = batch.Store(std::string_view(
        text, std::snprintf(text, sizeof text, "%lld.%02lld", static_cast<long long>(id % 100000),
                            static_cast<long long>(id % 100))));
    row[4] = Typed(DataType::kDouble);
    row[4].float64 = static_cast<double>(id) * 0.5;
    row[5] = Typed(DataType::kUtcDateTime);
    row[5].timestamp = {1700000000 + id, 123456000};
    row[6] = Typed(DataType::kBoolean);
    row[6].boolean = (id & 1) != 0;
    row[7] = (id % 7 == 0) ? Value::Null(DataType::kInt) : Typed(DataType::kInt);
    row[7].int32 = static_cast<int32_t>(id % 1000);
  }
}

fs::path BenchDir() {
  return fs::temp_directory_path() / ("ac_warehouse_bench_" + std::to_string(::getpid()));
}

ac::warehouse::WarehouseOptions Options(bool bulk_load) {
  ac::warehouse::WarehouseOptions options{BenchDir()};
  options.bulk_load = bulk_load;
  return options;
}

/// New keys every batch: the table grows (bulk appends, or inserts through ON CONFLICT).
void BM_UpsertNewRows(benchmark::State& state) {
  const bool keyless = state.range(0) != 0;
  fs::remove_all(BenchDir());
  {
    ac::warehouse::DuckDbWarehouse warehouse(Options(state.range(1) != 0));
    const TableSchema table = BenchTable(keyless);
    warehouse.DefineTable(table);
    ValueBatch batch;
    int64_t next_id = 0;
    for (auto _ : state) {
      state.PauseTiming();
      FillBatch(batch, next_id);
      next_id += kRowsPerBatch;
      state.ResumeTiming();
      warehouse.Write(table, ac::connector::RecordType::kUpsert, batch);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRowsPerBatch));
    state.counters["table_rows"] = static_cast<double>(next_id);
  }
  fs::remove_all(BenchDir());
}
BENCHMARK(BM_UpsertNewRows)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"keyless", "bulk"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

/// A first sync of 1,000,000 rows into a new table, as `debug` applies it: the key checked row by
/// row (bulk:0) or bulk-loaded and added at the end (bulk:1).
void BM_FirstSync(benchmark::State& state) {
  constexpr int64_t kRows = 1'000'000;
  constexpr int64_t kRowsPerWrite = 10'000;
  constexpr int64_t kRowsPerCheckpoint = 100'000;
  const TableSchema table = BenchTable(false);
  ValueBatch batch;
  for (auto _ : state) {
    state.PauseTiming();
    fs::remove_all(BenchDir());
    state.ResumeTiming();
    {
      ac::warehouse::DuckDbWarehouse warehouse(Options(state.range(0) != 0));
      warehouse.DefineTable(table);
      for (int64_t id = 0; id < kRows; id += kRowsPerWrite) {
        state.PauseTiming();
        FillBatch(batch, id, kRowsPerWrite);
        state.ResumeTiming();
        warehouse.Write(table, ac::connector::RecordType::kUpsert, batch);
        if ((id + kRowsPerWrite) % kRowsPerCheckpoint == 0) warehouse.Checkpoint("{}");
      }
      warehouse.Finish();
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRows);
  fs::remove_all(BenchDir());
}
BENCHMARK(BM_FirstSync)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("bulk")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);

/// The same 100,000 keys over and over: every record replaces an existing row.
void BM_UpsertReplaceRows(benchmark::State& state) {
  constexpr int64_t kKeys = 100'000;
  fs::remove_all(BenchDir());
  {
    ac::warehouse::DuckDbWarehouse warehouse(ac::warehouse::WarehouseOptions{BenchDir()});
    const TableSchema table = BenchTable(false);
    ValueBatch batch;
    for (int64_t id = 0; id < kKeys; id += kRowsPerBatch) {
      FillBatch(batch, id);
      warehouse.Write(table, ac::connector::RecordType::kUpsert, batch);
    }
    int64_t next_id = 0;
    for (auto _ : state) {
      state.PauseTiming();
      FillBatch(batch, next_id);
      next_id = (next_id + kRowsPerBatch) % kKeys;
      state.ResumeTiming();
      warehouse.Write(table, ac::connector::RecordType::kUpsert, batch);
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kRowsPerBatch));
  }
  fs::remove_all(BenchDir());
}
BENCHMARK(BM_UpsertReplaceRows)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
