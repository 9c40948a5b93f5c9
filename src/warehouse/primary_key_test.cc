// Bulk loading: the primary key added at the end, after a killed sync, within key_memory_limit.

#include "warehouse/duckdb_warehouse.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <sstream>
#include <string>

#include "common/error.h"
#include "warehouse/warehouse_test_util.h"

namespace ac::warehouse {
namespace {

namespace fs = std::filesystem;
using common::ColumnSchema;
using common::DataType;
using common::TableSchema;
using common::Value;
using common::ValueBatch;
using connector::RecordType;
using testing::AddRow;
using testing::Col;
using testing::CustomerRows;
using testing::Customers;
using testing::Double;
using ::testing::HasSubstr;
using testing::Long;
using testing::Null;
using testing::Str;
using testing::TempDir;
using testing::WarehouseTest;

TEST_P(WarehouseTest, KeyMemoryLimitBoundsOnlyTheKeyBuildAndFallsBackWhenTooSmall) {
  const std::string default_limit = One("SELECT current_setting('memory_limit')");
  EXPECT_NE(default_limit, "244.1 MiB");  // DuckDB's default while rows are written
  WarehouseOptions options = Options();
  options.key_memory_limit = "lots";
  wh_.reset();
  try {
    DuckDbWarehouse bad(options);
    FAIL() << "expected an error naming key_memory_limit";
  } catch (const common::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("key_memory_limit"));
  }
  // A limit the key does not fit in: it is built again without it (one log line), and the limit
  // is not left behind.
  options.key_memory_limit = "4MB";
  wh_ = std::make_unique<DuckDbWarehouse>(options);
  wh_->DefineTable(Customers());
  ValueBatch batch;
  batch.Reset(3);
  for (int i = 0; i < 330'000; ++i) {
    AddRow(batch,
           {Long(i % 300'000), Str(batch, "n" + std::to_string(i)), Null(DataType::kString)});
  }
  wh_->Write(Customers(), RecordType::kUpsert, batch);
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>(
      "capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  wh_->Finish();
  spdlog::set_default_logger(previous);
  if (GetParam()) {
    EXPECT_THAT(log.str(),
                HasSubstr("more memory needed than key_memory_limit 4MB; retrying without it"));
    EXPECT_THAT(log.str(),
                HasSubstr("primary key (customer_id) added after the bulk load, 30000 superseded"));
  }
  EXPECT_EQ(One("SELECT count(*) FROM tester.customers"), "300000");
  EXPECT_EQ(One("SELECT name FROM tester.customers WHERE customer_id = 5"), "n300005");
  EXPECT_EQ(One("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'customers' AND "
                "constraint_type = 'PRIMARY KEY'"),
            "1");
  EXPECT_EQ(One("SELECT current_setting('memory_limit')"), default_limit);
}

TEST_P(WarehouseTest, KeysRepeatedAcrossBatchesAndTruncatesKeepTheLastRow) {
  wh_->DefineTable(Customers());
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a", "x"}, {2, "b", "x"}}));
  wh_->Checkpoint("{}");
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a2", nullptr}, {3, "c", "x"}}));
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "b2", "y"}}));
  // `_fivetran_synced` steps by one microsecond per operation (the clock stands still).
  EXPECT_EQ(All("SELECT customer_id, name, email, _fivetran_deleted, epoch_us(_fivetran_synced) - "
                "1700000000000000 FROM tester.customers ORDER BY 1"),
            "1|a2|NULL|true|2\n2|b2|y|false|4\n3|c|x|true|2\n");
  EXPECT_EQ(All("SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE "
                "table_name = 'customers' AND constraint_type = 'PRIMARY KEY'"),
            "customer_id\n");
  EXPECT_EQ(One("SELECT comment FROM duckdb_tables() WHERE table_name = 'customers'"), "NULL");
}

TEST_P(WarehouseTest, KeysThatCompareOnlyInDuckDbAreKeyedFromTheStart) {
  // A DOUBLE key (-0.0 = 0.0 in DuckDB, not byte for byte) is never bulk-loaded.
  TableSchema t{"points", {Col("x", DataType::kDouble, true), Col("label", DataType::kString)}};
  ValueBatch batch;
  batch.Reset(2);
  AddRow(batch, {Double(0.0), Str(batch, "zero")});
  wh_->DefineTable(t);
  wh_->Write(t, RecordType::kUpsert, batch);
  wh_->Checkpoint("{}");
  batch.Reset(2);
  AddRow(batch, {Double(-0.0), Str(batch, "minus zero")});
  wh_->Write(t, RecordType::kUpsert, batch);
  // Keyed: the second upsert replaced the row of the equal key (keeping the stored key value).
  EXPECT_EQ(All("SELECT x, label FROM tester.points"), "0.0|minus zero\n");
}

// A first sync killed after a checkpoint (the process ends without closing anything) leaves a
// bulk-loaded table without its key; the next definition of the table adds it.
void KilledFirstSync(const fs::path& dir, common::Clock* clock) {
  DuckDbWarehouse warehouse(WarehouseOptions{dir, "tester", clock});
  warehouse.DefineTable(Customers());
  warehouse.Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a", "x"}, {2, "b", "x"}}));
  warehouse.DefineTable(Customers());  // the same declaration again: the bulk load goes on
  warehouse.Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a2", "x"}, {3, "c", "x"}}));
  warehouse.Checkpoint(R"({"rows":4})");
  warehouse.Write(Customers(), RecordType::kUpsert, CustomerRows({{4, "lost", "x"}}));
  std::_Exit(0);
}

TEST(WarehouseBulkLoadTest, AKilledFirstSyncLeavesTheKeyPendingAndTheNextRunAddsIt) {
  TempDir dir;
  common::FakeClock clock{common::SystemTimePoint(std::chrono::seconds(1700000000))};
  // "fast": the child is a fork of this process, so it writes into this test's folder.
  ::testing::FLAGS_gtest_death_test_style = "fast";
  EXPECT_EXIT(KilledFirstSync(dir.path(), &clock), ::testing::ExitedWithCode(0), "");
  ASSERT_TRUE(fs::exists(dir.path() / "state.json"));
  // `show` (read-only) orders the rows by the pending key.
  const std::string preview = FormatTablePreview(dir.path() / "warehouse.db", "customers", 10);
  EXPECT_LT(preview.find("\n2 "), preview.find("\n3 ")) << preview;
  EXPECT_LT(preview.rfind("\n1 "), preview.find("\n2 ")) << preview;
  {
    // As the kill left it (no table is defined by this instance, so nothing is added).
    DuckDbWarehouse raw(WarehouseOptions{dir.path(), "tester", &clock});
    EXPECT_TRUE(raw.Query("SELECT * FROM duckdb_constraints() WHERE table_name = 'customers' AND "
                          "constraint_type = 'PRIMARY KEY'")
                    .rows.empty());
    const QueryResult comment =
        raw.Query("SELECT comment FROM duckdb_tables() WHERE table_name = 'customers'");
    ASSERT_EQ(comment.rows.size(), 1u);
    EXPECT_THAT(comment.rows[0][0].value_or(""), HasSubstr(R"(["customer_id"])"));
    EXPECT_EQ(raw.Query("SELECT customer_id FROM tester.customers").rows.size(), 4u);
  }
  {
    // The same table with another key is refused, and nothing is changed.
    DuckDbWarehouse other(WarehouseOptions{dir.path(), "tester", &clock});
    TableSchema by_email = Customers();
    by_email.columns[0].primary_key = false;
    by_email.columns[2].primary_key = true;
    try {
      other.DefineTable(by_email);
      FAIL() << "expected ConfigError";
    } catch (const common::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr("primary key changed from (customer_id) to (email)"));
    }
  }
  DuckDbWarehouse next(WarehouseOptions{dir.path(), "tester", &clock});
  next.DefineTable(Customers());
  EXPECT_EQ(next.counters().schema_changes, 0u);
  QueryResult rows = next.Query(
      "SELECT customer_id, name, epoch_us(_fivetran_synced) - 1700000000000000 FROM "
      "tester.customers "
      "ORDER BY 1");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[0][1], "a2");  // the later of the two rows of key 1
  EXPECT_EQ(rows.rows[0][2], "1");
  EXPECT_EQ(rows.rows[1][1], "b");
  EXPECT_EQ(rows.rows[2][1], "c");
  EXPECT_EQ(next.Query("SELECT * FROM duckdb_constraints() WHERE table_name = 'customers' AND "
                       "constraint_type = 'PRIMARY KEY'")
                .rows.size(),
            1u);
  EXPECT_EQ(
      next.Query("SELECT comment FROM duckdb_tables() WHERE table_name = 'customers'").rows[0][0],
      std::nullopt);
  // The resumed sync goes on with keyed upserts, later than anything before.
  next.Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a3", "x"}, {4, "d", "x"}}));
  EXPECT_EQ(next.Query("SELECT name FROM tester.customers WHERE customer_id = 1").rows[0][0], "a3");
  EXPECT_EQ(next.Query("SELECT count(*) FROM tester.customers").rows[0][0], "4");
}

/// One random sequence of operations on `table` (seeded): upserts (keys repeating within and
/// across batches, NULLs), truncates, checkpoints and clock steps; then updates and deletes mixed
/// in, which end a bulk load.
void RandomOperations(DuckDbWarehouse& warehouse, common::FakeClock& clock,
                      const TableSchema& table, uint32_t seed) {
  std::mt19937 random(seed);
  auto fill = [&](ValueBatch& batch, int rows) {
    batch.Reset(table.columns.size());
    for (int r = 0; r < rows; ++r) {
      Value* row = batch.AppendRow();
      const int key = static_cast<int>(random() % 400);
      for (size_t c = 0; c < table.columns.size(); ++c) {
        const ColumnSchema& column = table.columns[c];
        const bool null = !column.primary_key && random() % 7 == 0;
        if (null) {
          row[c] = Null(column.type);
        } else if (column.type == DataType::kLong) {
          row[c] = Long(column.primary_key ? key : static_cast<int64_t>(random()));
        } else {
          row[c] = Str(batch, column.primary_key
                                  ? "k" + std::to_string(key % 37)
                                  : std::string(random() % 30, 'v') + std::to_string(random()));
        }
      }
    }
  };
  warehouse.DefineTable(table);
  ValueBatch batch;
  for (int op = 0; op < 150; ++op) {
    const uint32_t dice = random() % 100;
    const bool late = op >= 100;  // updates and deletes only in the last third
    if (dice < 70 || (!late && dice < 85)) {
      fill(batch, 1 + static_cast<int>(random() % 60));
      warehouse.Write(table, RecordType::kUpsert, batch);
    } else if (dice < 78) {
      fill(batch, 1 + static_cast<int>(random() % 20));
      warehouse.Write(table, RecordType::kUpdate, batch);
    } else if (dice < 85) {
      fill(batch, 1 + static_cast<int>(random() % 20));
      warehouse.Write(table, RecordType::kDelete, batch);
    } else if (dice < 89) {
      warehouse.Truncate(table);
    } else if (dice < 96) {
      warehouse.Checkpoint("{}");
    } else {
      clock.Advance(std::chrono::milliseconds(random() % 2000));
    }
  }
}

TEST(WarehouseBulkLoadTest, RandomOperationsEndTheSameWithAndWithoutBulkLoad) {
  const TableSchema tables[] = {
      Customers(),
      TableSchema{"composite",
                  {Col("region", DataType::kString, true), Col("id", DataType::kLong, true),
                   Col("note", DataType::kString)}},
  };
  for (const TableSchema& table : tables) {
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      std::string contents[2];
      for (const bool bulk : {false, true}) {
        TempDir dir;
        common::FakeClock clock{common::SystemTimePoint(std::chrono::seconds(1700000000))};
        WarehouseOptions options{dir.path(), "tester", &clock};
        options.bulk_load = bulk;
        DuckDbWarehouse warehouse(options);
        RandomOperations(warehouse, clock, table, seed);
        std::string order;
        for (size_t index : table.PrimaryKeyIndexes()) {
          order += (order.empty() ? "" : ", ") + ("\"" + table.columns[index].name + "\"");
        }
        for (const auto& row :
             warehouse.Query(fmt::format("SELECT * FROM tester.{} ORDER BY {}", table.name, order))
                 .rows) {
          for (const auto& cell : row) contents[bulk] += cell.value_or("NULL") + "|";
          contents[bulk] += "\n";
        }
        EXPECT_GT(warehouse.counters().upserts, 2000u);
      }
      EXPECT_FALSE(contents[0].empty());
      EXPECT_EQ(contents[0], contents[1]) << table.name << " seed " << seed;
    }
  }
}

}  // namespace
}  // namespace ac::warehouse
