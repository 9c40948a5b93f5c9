// DuckDbWarehouse's life: opening, transactions between checkpoints, the state file, counters.

#include "warehouse/duckdb_warehouse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"
#include "warehouse/warehouse_test_util.h"

namespace ac::warehouse {
namespace {

namespace fs = std::filesystem;
using common::DataType;
using common::ValueBatch;
using connector::RecordType;
using testing::AddRow;
using testing::CustomerRows;
using testing::Customers;
using ::testing::HasSubstr;
using testing::Long;
using testing::Null;
using testing::Str;
using testing::TempDir;
using testing::WarehouseTest;

TEST_P(WarehouseTest, CheckpointReplacesStateJsonAtomically) {
  wh_->Checkpoint(R"({"cursor":"a"})");
  wh_->Checkpoint(R"({"query_execution_id":"q-1","position":1000})");
  std::ifstream in(wh_->state_path());
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), R"({"query_execution_id":"q-1","position":1000})");
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr("tmp")));
  }
  EXPECT_EQ(wh_->state_path(), dir_.path() / "state.json");
  EXPECT_THROW(wh_->Checkpoint("not json"), common::ProtocolError);
  EXPECT_THROW(wh_->Checkpoint("[1]"), common::ProtocolError);
  std::ifstream again(wh_->state_path());
  std::stringstream unchanged;
  unchanged << again.rdbuf();
  EXPECT_EQ(unchanged.str(), content.str());
  EXPECT_EQ(wh_->counters().checkpoints, 2u);
}

TEST_P(WarehouseTest, CountsEveryOperation) {
  wh_->DefineTable(Customers());
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a", "a"}, {2, "b", "b"}}));
  wh_->Write(Customers(), RecordType::kUpdate, CustomerRows({{1, "c", "c"}}));
  wh_->Write(Customers(), RecordType::kDelete, CustomerRows({{2, nullptr, nullptr}}));
  wh_->Write(Customers(), RecordType::kUpsert, ValueBatch());
  wh_->Checkpoint("{}");
  wh_->Warning("something to know");
  EXPECT_EQ(wh_->counters(), (SyncCounters{.upserts = 2,
                                           .updates = 1,
                                           .deletes = 1,
                                           .truncates = 1,
                                           .schema_changes = 1,
                                           .checkpoints = 1}));
  EXPECT_EQ(wh_->warnings(), std::vector<std::string>{"something to know"});
}

TEST_P(WarehouseTest, WritesBetweenCheckpointsCommitTogether) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}}));
  wh_->Checkpoint(R"({"n":1})");
  // Two writes after the checkpoint, then one that fails: the transaction since the checkpoint is
  // rolled back, so the warehouse never holds more than the state says plus whole batches.
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}}));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann2", "a"}, {3, "Cy", "c"}}));
  ValueBatch latin1;
  latin1.Reset(3);
  AddRow(latin1, {Long(4), Str(latin1, "caf\xE9"), Null(DataType::kString)});
  EXPECT_THROW(wh_->Write(Customers(), RecordType::kUpsert, latin1), common::ProtocolError);
  EXPECT_EQ(All("SELECT customer_id, name FROM tester.customers ORDER BY 1"), "1|Ann\n");

  // Re-delivered after the failure, an upsert of a key inserted in the same transaction replaces
  // it.
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}}));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob2", "b"}, {3, "Cy", "c"}}));
  wh_->Write(Customers(), RecordType::kDelete, CustomerRows({{3, nullptr, nullptr}}));
  wh_->Checkpoint(R"({"n":3})");
  // Writes after the last checkpoint are committed by Close (re-delivering them is harmless).
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{5, "Eve", "e"}}));
  wh_.reset();
  wh_ = Open();
  EXPECT_EQ(All("SELECT customer_id, name, _fivetran_deleted FROM tester.customers ORDER BY 1"),
            "1|Ann|false\n2|Bob2|false\n3|Cy|true\n5|Eve|false\n");
}

TEST_P(WarehouseTest, ReopensExistingWarehouseAndContinues) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}, {2, "Bob", "b"}}));
  wh_->Checkpoint(R"({"n":2})");
  wh_.reset();

  // The clock went backwards; the truncate of the next run still covers the earlier rows.
  clock_.Set(common::SystemTimePoint(std::chrono::seconds(1600000000)));
  wh_ = Open();
  wh_->DefineTable(Customers());
  EXPECT_EQ(wh_->counters().schema_changes, 0u);
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}, {3, "Cy", "c"}}));
  EXPECT_EQ(All("SELECT customer_id, _fivetran_deleted FROM tester.customers ORDER BY 1"),
            "1|true\n2|false\n3|false\n");
  EXPECT_EQ(wh_->counters().upserts, 2u);
  wh_->Close();
  EXPECT_THROW(wh_->Query("SELECT 1"), common::InternalError);
}

INSTANTIATE_TEST_SUITE_P(BulkLoad, WarehouseTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Bulk" : "KeyedUpserts";
                         });

TEST(DuckDbWarehouseOpenTest, UnusableWorkingDirIsAConfigError) {
  TempDir dir;
  const fs::path file = dir.path() / "a_file";
  std::ofstream(file) << "x";
  EXPECT_THROW(DuckDbWarehouse(WarehouseOptions{file, "tester", nullptr}), common::ConfigError);
  DuckDbWarehouse first(WarehouseOptions{dir.path() / "files", "tester", nullptr});
  EXPECT_TRUE(fs::exists(dir.path() / "files" / "warehouse.db"));
}

}  // namespace
}  // namespace ac::warehouse
