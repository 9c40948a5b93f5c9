// ParallelTables (the table scheduler) and SerializedRecordSink with jobs that block on condition
// variables the test controls: the order jobs start in, how many run at once, the first failure
// cancelling the others, the sync's own cancellation. Nothing sleeps; a wait that times out (30 s)
// fails the test instead of hanging it.
#include "connector/parallel_tables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <set>
#include <stdexcept>
#include <thread>

#include "common/error.h"

namespace ac::connector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr auto kStuck = std::chrono::seconds(30);

/// What the jobs did, and the releases the test hands them.
class Board {
 public:
  void Started(int job) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.insert(job);
    started_.push_back(job);
    threads_.insert(std::this_thread::get_id());
    max_running_ = std::max(max_running_, running_.size());
    cv_.notify_all();
  }
  void Finished(int job) {
    std::lock_guard<std::mutex> lock(mutex_);
    running_.erase(job);
    finished_.push_back(job);
    cv_.notify_all();
  }
  void Release(int job) {
    std::lock_guard<std::mutex> lock(mutex_);
    released_.insert(job);
    cv_.notify_all();
  }
  /// Blocks the calling job until the test releases it.
  void AwaitRelease(int job) {
    ASSERT_TRUE(WaitUntil([&] { return released_.count(job) > 0; })) << "job " << job;
  }
  /// Waits until the jobs running are exactly `jobs`.
  bool WaitRunning(const std::set<int>& jobs) {
    return WaitUntil([&] { return running_ == jobs; });
  }

  std::vector<int> started() {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_;
  }
  std::vector<int> finished() {
    std::lock_guard<std::mutex> lock(mutex_);
    return finished_;
  }
  size_t max_running() {
    std::lock_guard<std::mutex> lock(mutex_);
    return max_running_;
  }
  size_t threads() {
    std::lock_guard<std::mutex> lock(mutex_);
    return threads_.size();
  }

 private:
  template <typename Predicate>
  bool WaitUntil(Predicate predicate) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, kStuck, predicate);
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  std::set<int> running_;
  std::set<int> released_;
  std::vector<int> started_;
  std::vector<int> finished_;
  std::set<std::thread::id> threads_;
  size_t max_running_ = 0;
};

/// Jobs "t0".."t<n-1>" that each run `body(i)` between Started and Finished.
std::vector<TableJob> Jobs(int n, Board& board, const std::function<void(int)>& body) {
  std::vector<TableJob> jobs;
  for (int i = 0; i < n; ++i) {
    jobs.push_back({"t" + std::to_string(i), [&board, body, i] {
                      board.Started(i);
                      body(i);
                      board.Finished(i);
                    }});
  }
  return jobs;
}

/// Runs `jobs` on another thread; Join() returns what Run threw (nullptr when it returned).
class Runner {
 public:
  Runner(ParallelTables& parallel, std::vector<TableJob> jobs)
      : thread_([this, &parallel, jobs = std::move(jobs)]() mutable {
          try {
            parallel.Run(std::move(jobs));
          } catch (...) {
            error_ = std::current_exception();
          }
        }) {}
  ~Runner() {
    if (thread_.joinable()) thread_.join();
  }
  std::exception_ptr Join() {
    thread_.join();
    return error_;
  }

 private:
  std::exception_ptr error_;
  std::thread thread_;
};

TEST(ParallelTablesTest, OneAtATimeRunsTheTablesInOrderOnOneThread) {
  common::CancellationToken sync_cancel;
  ParallelTables parallel(1, sync_cancel);
  Board board;
  parallel.Run(Jobs(5, board, [](int) {}));
  EXPECT_THAT(board.started(), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(board.finished(), ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(board.max_running(), 1u);
  EXPECT_EQ(board.threads(), 1u);
}

TEST(ParallelTablesTest, AtMostMaxParallelRunAndTheNextJobInOrderTakesAFreedWorker) {
  common::CancellationToken sync_cancel;
  ParallelTables parallel(3, sync_cancel);
  Board board;
  Runner runner(parallel, Jobs(8, board, [&](int i) { board.AwaitRelease(i); }));
  ASSERT_TRUE(board.WaitRunning({0, 1, 2}));
  board.Release(1);
  ASSERT_TRUE(board.WaitRunning({0, 2, 3}));  // job 3, not any later one
  board.Release(2);
  board.Release(0);
  ASSERT_TRUE(board.WaitRunning({3, 4, 5}));
  board.Release(5);
  ASSERT_TRUE(board.WaitRunning({3, 4, 6}));
  for (int i = 0; i < 8; ++i) board.Release(i);
  EXPECT_EQ(runner.Join(), nullptr);
  EXPECT_EQ(board.finished().size(), 8u);
  EXPECT_EQ(board.max_running(), 3u);
  EXPECT_EQ(board.threads(), 3u);  // a fixed pool, not a thread per table
}

TEST(ParallelTablesTest, FewerTablesThanWorkersStartOnlyAsManyWorkers) {
  common::CancellationToken sync_cancel;
  ParallelTables parallel(32, sync_cancel);
  Board board;
  Runner runner(parallel, Jobs(2, board, [&](int i) { board.AwaitRelease(i); }));
  ASSERT_TRUE(board.WaitRunning({0, 1}));
  board.Release(0);
  board.Release(1);
  EXPECT_EQ(runner.Join(), nullptr);
  EXPECT_EQ(board.threads(), 2u);
  parallel.Run({});  // no tables: nothing to do
}

TEST(ParallelTablesTest, TheFirstFailureCancelsTheOthersSkipsTheRestAndIsRethrown) {
  common::CancellationToken sync_cancel;
  ParallelTables parallel(3, sync_cancel);
  Board board;
  std::atomic<int> saw_cancel{0};
  auto body = [&](int i) {
    if (i == 1) {
      // Fails once its neighbours are in flight.
      ASSERT_TRUE(board.WaitRunning({0, 1, 2}));
      throw common::NotFoundError("table 'b' does not exist");
    }
    // Tables 0 and 2 read until they are told to stop, then fail as a cancelled table does (2:
    // with an error of another kind, which is logged, not rethrown).
    if (!parallel.cancel().WaitFor(kStuck)) return;
    ++saw_cancel;
    if (i == 2) throw std::runtime_error("transfer aborted");
    throw common::CancelledError("sync interrupted");
  };
  Runner runner(parallel, Jobs(6, board, body));
  const std::exception_ptr error = runner.Join();
  ASSERT_NE(error, nullptr);
  try {
    std::rethrow_exception(error);
  } catch (const common::NotFoundError& e) {
    EXPECT_STREQ(e.what(), "table 'b' does not exist");
  } catch (...) {
    FAIL() << "not the first failure";
  }
  EXPECT_EQ(saw_cancel, 2);
  EXPECT_EQ(board.started().size(), 3u);  // tables 3, 4 and 5 never started
  EXPECT_TRUE(parallel.cancel().IsCancelled());
  EXPECT_FALSE(sync_cancel.IsCancelled());  // the sync's own token is the caller's business
}

TEST(ParallelTablesTest, AnyExceptionTypeIsRethrownAsItIs) {
  common::CancellationToken sync_cancel;
  ParallelTables parallel(2, sync_cancel);
  Board board;
  EXPECT_THROW(parallel.Run(Jobs(1, board, [](int) { throw std::logic_error("bug"); })),
               std::logic_error);
}

TEST(ParallelTablesTest, CancellingTheSyncStopsEveryWorker) {
  common::CancellationToken sync_cancel;
  ParallelTables parallel(2, sync_cancel);
  Board board;
  auto body = [&](int) {
    if (parallel.cancel().WaitFor(kStuck)) throw common::CancelledError("sync interrupted");
  };
  Runner runner(parallel, Jobs(5, board, body));
  ASSERT_TRUE(board.WaitRunning({0, 1}));
  sync_cancel.Cancel();  // the gRPC client went away / Ctrl-C
  const std::exception_ptr error = runner.Join();
  ASSERT_NE(error, nullptr);
  EXPECT_THROW(std::rethrow_exception(error), common::CancelledError);
  EXPECT_THAT(board.started(), ::testing::UnorderedElementsAre(0, 1));
}

TEST(ParallelTablesTest, ASyncCancelledBeforehandStartsNothingAndSaysSo) {
  common::CancellationToken sync_cancel;
  sync_cancel.Cancel();
  ParallelTables parallel(4, sync_cancel);
  EXPECT_TRUE(parallel.cancel().IsCancelled());
  Board board;
  try {
    parallel.Run(Jobs(3, board, [](int) {}));
    FAIL() << "no throw";
  } catch (const common::CancelledError& e) {
    EXPECT_THAT(e.what(), HasSubstr("sync interrupted before table 't0' started"));
  }
  EXPECT_TRUE(board.started().empty());
}

TEST(ParallelTablesTest, TheSyncsTokenMayBeCancelledAfterTheSchedulerIsGone) {
  common::CancellationToken sync_cancel;
  { ParallelTables parallel(2, sync_cancel); }
  sync_cancel.Cancel();  // its callback holds the scheduler's token, not the scheduler
  SUCCEED();
}

/// A sink that notices two calls at once and records each call's (thread, sequence) in order.
class OverlapDetectingSink final : public RecordSink {
 public:
  void DefineTable(const common::TableSchema&) override { Enter(""); }
  void Truncate(const common::TableSchema&) override { Enter(""); }
  void Write(const common::TableSchema& table, RecordType, const common::ValueBatch&) override {
    Enter(table.name);
  }
  void Checkpoint(const std::string& state) override { Enter(state); }
  void Warning(const std::string&) override { Enter(""); }

  std::atomic<int> overlaps{0};
  std::vector<std::string> calls;  // only touched inside Enter, one caller at a time

 private:
  void Enter(const std::string& what) {
    if (inside_.fetch_add(1) != 0) ++overlaps;
    for (int i = 0; i < 20; ++i) std::this_thread::yield();  // widen the window
    calls.push_back(what);
    inside_.fetch_sub(1);
  }
  std::atomic<int> inside_{0};
};

TEST(SerializedRecordSinkTest, LetsOneCallThroughAtATimeAndKeepsEachCallersOrder) {
  OverlapDetectingSink target;
  SerializedRecordSink sink(target);
  constexpr int kThreads = 4;
  constexpr int kCalls = 300;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&sink, t] {
      common::TableSchema table;
      table.name = "t" + std::to_string(t);
      common::ValueBatch rows;
      for (int i = 0; i < kCalls; ++i) {
        if (i % 3 == 2) {
          sink.Checkpoint(table.name + ":" + std::to_string(i));
        } else {
          sink.Write(table, RecordType::kUpsert, rows);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(target.overlaps, 0);
  ASSERT_EQ(target.calls.size(), static_cast<size_t>(kThreads * kCalls));
  // Each thread's checkpoints arrive in the order it made them.
  std::map<std::string, int> last;
  for (const auto& call : target.calls) {
    const size_t colon = call.find(':');
    if (colon == std::string::npos) continue;
    const std::string table = call.substr(0, colon);
    const int seq = std::stoi(call.substr(colon + 1));
    const auto it = last.find(table);
    if (it != last.end()) {
      EXPECT_GT(seq, it->second) << table;
    }
    last[table] = seq;
  }
  EXPECT_EQ(last.size(), static_cast<size_t>(kThreads));
}

}  // namespace
}  // namespace ac::connector
