#include "connector/background_sink.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/error.h"

namespace ac::connector {
namespace {

using common::ColumnSchema;
using common::DataType;
using common::TableSchema;
using common::Value;
using common::ValueBatch;

TableSchema People() {
  return TableSchema{
      "people",
      {ColumnSchema{"id", DataType::kLong, true}, ColumnSchema{"name", DataType::kString}}};
}

/// Rows (id, "name <id>") for ids [first, first + count).
void FillPeople(ValueBatch& batch, int64_t first, int64_t count) {
  batch.Reset(2);
  for (int64_t id = first; id < first + count; ++id) {
    Value* row = batch.AppendRow();
    row[0].type = DataType::kLong;
    row[0].is_null = false;
    row[0].int64 = id;
    row[1].type = DataType::kString;
    row[1].is_null = false;
    row[1].text = batch.Store("name " + std::to_string(id));
  }
}

/// Records every call as one line ("write people 0:name 0,1:name 1"); can hold writes back and
/// fail chosen calls. Its methods run on the background sink's worker.
class ScriptedSink final : public RecordSink {
 public:
  void DefineTable(const TableSchema& table) override { Record("define " + table.name); }
  void Truncate(const TableSchema& table) override { Record("truncate " + table.name); }
  void Write(const TableSchema& table, RecordType type, const ValueBatch& rows) override {
    {
      std::unique_lock<std::mutex> lock(mutex);
      ++writes_started;
      changed.notify_all();
      changed.wait(lock, [this] { return writes_allowed < 0 || writes_started <= writes_allowed; });
    }
    std::string line = "write " + table.name + " " + std::to_string(static_cast<int>(type)) + " ";
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      if (r > 0) line += ",";
      line += std::to_string(rows.at(r, 0).int64) + ":" + std::string(rows.at(r, 1).text);
    }
    if (fail_write_containing >= 0 &&
        line.find(" " + std::to_string(fail_write_containing) + ":") != std::string::npos) {
      throw common::ProtocolError("warehouse: row " + std::to_string(fail_write_containing) +
                                  " does not fit");
    }
    Record(line);
  }
  void Checkpoint(const std::string& state_json) override { Record("checkpoint " + state_json); }
  void Warning(const std::string& message) override { Record("warning " + message); }

  void Record(std::string line) {
    std::lock_guard<std::mutex> lock(mutex);
    calls.push_back(std::move(line));
  }
  std::vector<std::string> Calls() {
    std::lock_guard<std::mutex> lock(mutex);
    return calls;
  }
  void AllowWrites(int n) {
    std::lock_guard<std::mutex> lock(mutex);
    writes_allowed = n;
    changed.notify_all();
  }
  void WaitForWritesStarted(int n) {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return writes_started >= n; });
  }

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> calls;
  int writes_started = 0;
  int writes_allowed = -1;  // < 0: all
  int64_t fail_write_containing = -1;
};

TEST(BackgroundRecordSinkTest, AppliesEveryCallInOrder) {
  ScriptedSink inner;
  {
    BackgroundRecordSink sink(inner);
    ValueBatch batch;
    sink.DefineTable(People());
    sink.Truncate(People());
    FillPeople(batch, 0, 2);
    sink.Write(People(), RecordType::kUpsert, batch);
    // Write copied the rows: changing the caller's batch afterwards does not reach the sink.
    FillPeople(batch, 50, 1);
    sink.WriteAndRecycle(People(), RecordType::kDelete, batch);
    EXPECT_EQ(batch.num_rows(), 0u);
    sink.Warning("heads up");
    sink.Checkpoint(R"({"n":3})");
    FillPeople(batch, 7, 1);
    sink.WriteAndRecycle(People(), RecordType::kUpsert, batch);
    sink.Drain();
  }
  EXPECT_EQ(inner.Calls(),
            (std::vector<std::string>{"define people", "truncate people",
                                      "write people 0 0:name 0,1:name 1",
                                      "write people 2 50:name 50", "warning heads up",
                                      R"(checkpoint {"n":3})", "write people 0 7:name 7"}));
}

TEST(BackgroundRecordSinkTest, RecycledBatchesKeepTheirRowsIntactUntilWritten) {
  ScriptedSink inner;
  std::vector<std::string> expected;
  {
    BackgroundRecordSink sink(inner, 2);
    ValueBatch batch;
    for (int64_t i = 0; i < 200; ++i) {
      // Each batch is refilled from whatever spare came back; the sink must see each as filled.
      batch.Reset(2);
      FillPeople(batch, i * 3, 3);
      expected.push_back("write people 0 " + std::to_string(i * 3) + ":name " +
                         std::to_string(i * 3) + "," + std::to_string(i * 3 + 1) + ":name " +
                         std::to_string(i * 3 + 1) + "," + std::to_string(i * 3 + 2) + ":name " +
                         std::to_string(i * 3 + 2));
      sink.WriteAndRecycle(People(), RecordType::kUpsert, batch);
      ASSERT_EQ(batch.num_rows(), 0u);
    }
  }  // the destructor applies what is queued
  EXPECT_EQ(inner.Calls(), expected);
}

TEST(BackgroundRecordSinkTest, AtMostMaxQueuedWritesWaitAndCheckpointWaitsForThem) {
  ScriptedSink inner;
  inner.AllowWrites(0);  // the sink holds every write until allowed
  BackgroundRecordSink sink(inner, 2);
  std::atomic<int> returned{0};
  std::thread producer([&] {
    ValueBatch batch;
    for (int64_t i = 0; i < 4; ++i) {
      FillPeople(batch, i, 1);
      sink.WriteAndRecycle(People(), RecordType::kUpsert, batch);
      ++returned;
    }
    sink.Checkpoint("{}");
    ++returned;
  });
  // Write 0 is with the sink, writes 1 and 2 are queued; write 3 must wait for room.
  inner.WaitForWritesStarted(1);
  while (returned.load() < 3) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(returned.load(), 3);
  EXPECT_TRUE(inner.Calls().empty());
  inner.AllowWrites(-1);
  producer.join();
  // Checkpoint returned only after every write before it was applied.
  const std::vector<std::string> calls = inner.Calls();
  ASSERT_EQ(calls.size(), 5u);
  EXPECT_EQ(calls.back(), "checkpoint {}");
}

TEST(BackgroundRecordSinkTest, AFailedCallStopsEverythingAfterItAndIsRethrown) {
  ScriptedSink inner;
  inner.fail_write_containing = 1;
  BackgroundRecordSink sink(inner);
  ValueBatch batch;
  FillPeople(batch, 0, 1);
  sink.WriteAndRecycle(People(), RecordType::kUpsert, batch);
  FillPeople(batch, 1, 1);
  sink.WriteAndRecycle(People(), RecordType::kUpsert, batch);  // fails in the sink, later
  FillPeople(batch, 2, 1);
  // The checkpoint after the failed rows is never applied: it throws the write's error.
  try {
    sink.WriteAndRecycle(People(), RecordType::kUpsert, batch);
    sink.Checkpoint(R"({"after":"lost rows"})");
    FAIL() << "expected the sink's ProtocolError";
  } catch (const common::ProtocolError& e) {
    EXPECT_STREQ(e.what(), "warehouse: row 1 does not fit");
  }
  EXPECT_THROW(sink.Drain(), common::ProtocolError);
  EXPECT_THROW(sink.Warning("later"), common::ProtocolError);
  EXPECT_EQ(inner.Calls(), (std::vector<std::string>{"write people 0 0:name 0"}));
}

TEST(BackgroundRecordSinkTest, AnyExceptionTypeReachesTheCaller) {
  class Throwing final : public RecordSink {
   public:
    void DefineTable(const TableSchema&) override {
      throw std::runtime_error("not a common::Error");
    }
    void Truncate(const TableSchema&) override {}
    void Write(const TableSchema&, RecordType, const ValueBatch&) override {}
    void Checkpoint(const std::string&) override {}
    void Warning(const std::string&) override {}
  } inner;
  BackgroundRecordSink sink(inner);
  sink.DefineTable(People());
  EXPECT_THROW(sink.Drain(), std::runtime_error);
}

}  // namespace
}  // namespace ac::connector
