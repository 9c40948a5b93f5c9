// Connector::Sync with several tables in parallel, against a scripted Athena behind a fake HTTP
// transport, delivering into a recording sink. The stream may interleave tables; what must hold:
// one sink call at a time, each table's rows complete and in order, and every checkpoint carries
// for each table a position no further than the rows the sink has already received for it. Also:
// the first failing table stops the others and is what the sync throws; a cancelled sync resumes
// every table where it stood without running a saved query again. Nothing sleeps: the clock is
// fake, every query has finished when first polled, and the only waits are condition variables
// that the scripted Athena uses to hold the first result pages until several tables have started.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "athena/fake_athena_test_util.h"
#include "common/error.h"
#include "connector/connector.h"
#include "connector/recording_sink_test_util.h"
#include "connector/sync_state.h"

namespace ac::connector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Row = std::vector<std::string>;

/// A RecordingSink that counts calls made while another one is under way (there must be none).
class CheckedSink final : public RecordSink {
 public:
  void DefineTable(const common::TableSchema& table) override {
    Guard guard(*this);
    recorded.DefineTable(table);
  }
  void Truncate(const common::TableSchema& table) override {
    Guard guard(*this);
    recorded.Truncate(table);
  }
  void Write(const common::TableSchema& table, RecordType type,
             const common::ValueBatch& rows) override {
    Guard guard(*this);
    recorded.Write(table, type, rows);
  }
  void Checkpoint(const std::string& state_json) override {
    Guard guard(*this);
    recorded.Checkpoint(state_json);
  }
  void Warning(const std::string& message) override {
    Guard guard(*this);
    recorded.Warning(message);
  }

  testing::RecordingSink recorded;
  std::atomic<int> overlaps{0};

 private:
  struct Guard {
    explicit Guard(CheckedSink& s) : sink(s) {
      if (sink.inside.fetch_add(1) != 0) ++sink.overlaps;
    }
    ~Guard() { sink.inside.fetch_sub(1); }
    CheckedSink& sink;
  };
  std::atomic<int> inside{0};
};

class ParallelSyncTest : public ::testing::Test {
 protected:
  static constexpr size_t kPageRows = 2;

  ParallelSyncTest() {
    fake_->handlers["StartQueryExecution"] = [this](const nlohmann::json& r) { return Start(r); };
    fake_->handlers["GetQueryExecution"] = [this](const nlohmann::json& r) { return Execution(r); };
    fake_->handlers["GetQueryResults"] = [this](const nlohmann::json& r) { return Results(r); };
  }

  // The scripted Athena. Table tK's query is `SELECT * FROM tK`; its result is rows_[K], ids
  // K*1000+1, K*1000+2, ... Query ids are q-1, q-2, ... in the order they were started.

  std::pair<int, std::string> Start(const nlohmann::json& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string sql = request["QueryString"].get<std::string>();
    const std::string table = sql.substr(sql.rfind(' ') + 1);
    const std::string id = "q-" + std::to_string(++queries_started_);
    query_table_[id] = table;
    started_tables_.push_back(table);
    cv_.notify_all();
    return {200, nlohmann::json{{"QueryExecutionId", id}}.dump()};
  }

  std::pair<int, std::string> Execution(const nlohmann::json& request) {
    std::unique_lock<std::mutex> lock(mutex_);
    const std::string id = request["QueryExecutionId"].get<std::string>();
    const std::string& table = query_table_.at(id);
    if (failing_.count(table)) {
      // A failure is known once the gated tables are all in flight.
      cv_.wait_for(lock, std::chrono::seconds(30), [&] { return queries_started_ >= gate_; });
      return {200, athena::testing::ExecutionBody(
                       id, "FAILED", false,
                       "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.sales." + table +
                           "' does not exist")};
    }
    nlohmann::json body = nlohmann::json::parse(athena::testing::ExecutionBody(id, "SUCCEEDED"));
    body["QueryExecution"]["Query"] = "SELECT * FROM " + table;
    return {200, body.dump()};
  }

  std::pair<int, std::string> Results(const nlohmann::json& request) {
    std::unique_lock<std::mutex> lock(mutex_);
    // Hold every read until `gate_` queries have started: those tables are then all in flight.
    cv_.wait_for(lock, std::chrono::seconds(30), [&] { return queries_started_ >= gate_; });
    const std::string& table = query_table_.at(request["QueryExecutionId"].get<std::string>());
    const size_t total = RowCount(table);
    const std::string token = request.value("NextToken", "");
    const size_t page = token.empty() ? 0 : std::stoul(token.substr(1));
    const size_t first = std::min(total, page * kPageRows);
    const size_t last = std::min(total, first + kPageRows);
    std::vector<Row> rows;
    for (size_t i = first; i < last; ++i) {
      const int64_t id = Base(table) + static_cast<int64_t>(i) + 1;
      rows.push_back({std::to_string(id), table + "-" + std::to_string(i + 1)});
    }
    const std::string next = last < total ? "p" + std::to_string(page + 1) : "";
    return {200, athena::testing::ResultsBody(kColumns, rows, token.empty(), next)};
  }

  static int64_t Base(const std::string& table) { return std::stoll(table.substr(1)) * 1000; }
  size_t RowCount(const std::string& table) const { return rows_.at(table); }

  std::vector<std::string> StartedTables() {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_tables_;
  }

  // The connector.

  /// Tables t0..t<n-1>, each with `rows` rows (or as set in rows_ afterwards).
  void Configure(int tables, size_t rows, int max_parallel) {
    nlohmann::json list = nlohmann::json::array();
    for (int k = 0; k < tables; ++k) {
      const std::string name = "t" + std::to_string(k);
      list.push_back(
          {{"query", "SELECT * FROM " + name}, {"destination_table", name}, {"primary_key", "id"}});
      rows_[name] = rows;
    }
    configuration_ = {{"aws_access_key_id", "AKIDEXAMPLE"},
                      {"aws_secret_access_key", "secret"},
                      {"region_name", "us-east-1"},
                      {"database_name", "sales"},
                      {"s3_staging_dir", "s3://results/staging/"},
                      {"athena_endpoint_url", "http://127.0.0.1:9"},
                      {"s3_endpoint_url", "http://127.0.0.1:9"},
                      {"result_fetcher", "api"},
                      {"checkpoint_interval_rows", "2"},
                      {"tables", list.dump()},
                      {"max_parallel_tables", std::to_string(max_parallel)}};
  }

  /// Runs one sync from `state_json` into a fresh sink.
  void Sync(const std::string& state_json = "") {
    sink_ = std::make_unique<CheckedSink>();
    ConnectorEnvironment environment;
    environment.clock = &clock_;
    environment.transports = [fake = fake_] {
      return std::make_unique<athena::testing::FakeAthenaTransport>(fake);
    };
    environment.on_progress = on_progress_;
    Connector connector(Config::Parse(configuration_), environment);
    connector.Sync(state_json, nullptr, *sink_, *cancel_);
  }

  const std::vector<testing::RecordingSink::Call>& Calls() const { return sink_->recorded.calls; }
  std::vector<std::string> Checkpoints() const {
    std::vector<std::string> states;
    for (const auto& call : Calls()) {
      if (call.kind == "checkpoint") states.push_back(call.text);
    }
    return states;
  }
  /// The ids written per table, in order.
  std::map<std::string, std::vector<int64_t>> WrittenIds() const {
    std::map<std::string, std::vector<int64_t>> ids;
    for (const auto& call : Calls()) {
      if (call.kind != "write") continue;
      for (const auto& row : call.rows) ids[call.table.name].push_back(row[0].integer);
    }
    return ids;
  }
  /// Ids first+1 .. last of table `table`.
  static std::vector<int64_t> Ids(const std::string& table, size_t first, size_t last) {
    std::vector<int64_t> ids;
    for (size_t i = first; i < last; ++i) ids.push_back(Base(table) + static_cast<int64_t>(i) + 1);
    return ids;
  }

  /// Checks every checkpoint of the last sync against the rows written before it: a table in
  /// progress stands at most at the rows the sink has (`start` rows came from an earlier sync of
  /// the same result); a complete one has delivered them all. Returns the most tables in progress
  /// in one checkpoint.
  size_t CheckCheckpoints(const std::map<std::string, int64_t>& start = {}) const {
    std::map<std::string, int64_t> received;
    size_t most_in_progress = 0;
    for (const auto& call : Calls()) {
      if (call.kind == "write") {
        received[call.table.name] += static_cast<int64_t>(call.rows.size());
        continue;
      }
      if (call.kind != "checkpoint") continue;
      const SyncState state = SyncState::Parse(call.text);
      size_t in_progress = 0;
      for (const auto& [table, saved] : state.tables) {
        const auto s = start.find(table);
        const int64_t had = (s == start.end() ? 0 : s->second) + received[table];
        if (saved.status == TableState::Status::kInProgress) {
          ++in_progress;
          EXPECT_LE(saved.position.rows_read, had) << table << " in " << call.text;
          EXPECT_EQ(saved.rows_synced, saved.position.rows_read) << table;
          EXPECT_FALSE(saved.query_execution_id.empty()) << table;
        } else if (saved.status == TableState::Status::kComplete && received[table] > 0) {
          EXPECT_EQ(had, static_cast<int64_t>(RowCount(table))) << table << " in " << call.text;
        }
      }
      most_in_progress = std::max(most_in_progress, in_progress);
    }
    return most_in_progress;
  }

  static inline const std::vector<std::pair<std::string, std::string>> kColumns = {
      {"id", "bigint"}, {"name", "varchar"}};

  std::map<std::string, std::string> configuration_;
  common::FakeClock clock_;
  std::unique_ptr<common::CancellationToken> cancel_ =
      std::make_unique<common::CancellationToken>();
  std::function<void(const SyncProgress&)> on_progress_;
  std::unique_ptr<CheckedSink> sink_;
  std::shared_ptr<athena::testing::FakeAthena> fake_ =
      std::make_shared<athena::testing::FakeAthena>();

  std::mutex mutex_;
  std::condition_variable cv_;
  int queries_started_ = 0;
  int gate_ = 0;  ///< results are held until this many queries have started
  std::map<std::string, std::string> query_table_;  ///< query id -> table
  std::vector<std::string> started_tables_;         ///< the table of each query started, in order
  std::map<std::string, size_t> rows_;              ///< rows of each table's result
  std::set<std::string> failing_;                   ///< tables whose query fails
};

TEST_F(ParallelSyncTest, TablesSyncInParallelEachInOrderAndEveryCheckpointCoversDeliveredRows) {
  Configure(7, 0, 3);
  for (int k = 0; k < 7; ++k) rows_["t" + std::to_string(k)] = 3 + 2 * static_cast<size_t>(k);
  gate_ = 3;
  std::atomic<int64_t> progress_rows{0};
  on_progress_ = [&](const SyncProgress& p) {
    int64_t seen = progress_rows.load();
    while (p.rows > seen && !progress_rows.compare_exchange_weak(seen, p.rows)) {
    }
  };
  Sync();

  EXPECT_EQ(sink_->overlaps, 0);
  int64_t total = 0;
  const auto written = WrittenIds();
  for (int k = 0; k < 7; ++k) {
    const std::string table = "t" + std::to_string(k);
    EXPECT_EQ(written.at(table), Ids(table, 0, RowCount(table))) << table;
    total += static_cast<int64_t>(RowCount(table));
  }
  EXPECT_EQ(progress_rows.load(), total);  // the totals of all tables, counted across threads
  // At most max_parallel_tables tables in progress at once, and that many once the first three
  // had started (the scripted Athena held their reads until then).
  EXPECT_EQ(CheckCheckpoints(), 3u);
  const SyncState last = SyncState::Parse(Checkpoints().back());
  ASSERT_EQ(last.tables.size(), 7u);
  for (const auto& [table, saved] : last.tables) {
    EXPECT_EQ(saved.status, TableState::Status::kComplete) << table;
    EXPECT_EQ(saved.rows_synced, static_cast<int64_t>(RowCount(table))) << table;
  }
  EXPECT_EQ(fake_->Count("StartQueryExecution"), 7);
  // The first three tables went first (the later ones were taken as workers came free; their
  // queries may reach Athena in any order).
  const std::vector<std::string> started = StartedTables();
  ASSERT_EQ(started.size(), 7u);
  EXPECT_THAT(std::vector<std::string>(started.begin(), started.begin() + 3),
              ::testing::UnorderedElementsAre("t0", "t1", "t2"));
}

TEST_F(ParallelSyncTest, OneTableAtATimeKeepsEachTablesCallsTogetherInConfiguredOrder) {
  Configure(4, 5, 1);
  Sync();
  std::vector<std::string> order;  // tables in the order their calls appear, runs merged
  for (const auto& call : Calls()) {
    if (call.kind != "define" && call.kind != "write" && call.kind != "truncate") continue;
    if (order.empty() || order.back() != call.table.name) order.push_back(call.table.name);
  }
  EXPECT_THAT(order, ElementsAre("t0", "t1", "t2", "t3"));
  EXPECT_EQ(CheckCheckpoints(), 1u);
  EXPECT_THAT(StartedTables(), ElementsAre("t0", "t1", "t2", "t3"));
}

TEST_F(ParallelSyncTest, TheFirstFailingTableStopsTheOthersAndIsWhatTheSyncThrows) {
  // t0 and t2 have results too long to finish on their own: only cancellation ends their reads.
  Configure(6, 5, 3);
  rows_["t0"] = rows_["t2"] = 2'000'000;
  failing_ = {"t1"};
  gate_ = 3;
  try {
    Sync();
    FAIL() << "the sync did not fail";
  } catch (const common::NotFoundError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Table 'awsdatacatalog.sales.t1' does not exist"));
  }
  EXPECT_FALSE(cancel_->IsCancelled());
  EXPECT_THAT(StartedTables(), ::testing::UnorderedElementsAre("t0", "t1", "t2"));  // t3-t5 not
  EXPECT_EQ(sink_->overlaps, 0);
  CheckCheckpoints();
  const SyncState last = SyncState::Parse(Checkpoints().back());
  for (const char* table : {"t0", "t2"}) {
    EXPECT_EQ(last.tables.at(table).status, TableState::Status::kInProgress);
    EXPECT_LT(last.tables.at(table).position.rows_read, 2'000'000);
  }
}

TEST_F(ParallelSyncTest, AnInterruptedSyncContinuesWithoutTheTablesItCompleted) {
  Configure(3, 6, 1);  // one table after the other, 3 batches each
  std::atomic<int> batches{0};
  on_progress_ = [&](const SyncProgress&) {
    if (++batches == 5) cancel_->Cancel();  // t0 complete, t1 under way, t2 not started
  };
  EXPECT_THROW(Sync(), common::CancelledError);
  const std::string saved_json = Checkpoints().back();
  const SyncState saved = SyncState::Parse(saved_json);
  ASSERT_FALSE(saved.sync_id.empty());
  ASSERT_EQ(saved.tables.at("t0").status, TableState::Status::kComplete);
  EXPECT_EQ(saved.tables.at("t0").completed_in_sync, saved.sync_id);
  ASSERT_EQ(saved.tables.at("t1").status, TableState::Status::kInProgress);
  const int64_t t1_from = saved.tables.at("t1").position.rows_read;
  const int queries_before = fake_->Count("StartQueryExecution");

  // The next sync continues the interrupted one: t0 is not read again, t1 resumes, t2 runs.
  on_progress_ = nullptr;
  cancel_ = std::make_unique<common::CancellationToken>();
  Sync(saved_json);
  const auto written = WrittenIds();
  EXPECT_EQ(written.count("t0"), 0u);
  EXPECT_EQ(written.at("t1"), Ids("t1", static_cast<size_t>(t1_from), RowCount("t1")));
  EXPECT_EQ(written.at("t2"), Ids("t2", 0, RowCount("t2")));
  EXPECT_EQ(fake_->Count("StartQueryExecution") - queries_before, 1);  // t2's only
  const SyncState done = SyncState::Parse(Checkpoints().back());
  EXPECT_TRUE(done.sync_id.empty());  // closed: the sync completed every table
  for (const auto& [table, entry] : done.tables)
    EXPECT_EQ(entry.status, TableState::Status::kComplete) << table;

  // The sync after a completed one reads every table again.
  Sync(Checkpoints().back());
  for (const char* table : {"t0", "t1", "t2"})
    EXPECT_EQ(WrittenIds().at(table), Ids(table, 0, RowCount(table))) << table;
  EXPECT_TRUE(SyncState::Parse(Checkpoints().back()).sync_id.empty());
}

TEST_F(ParallelSyncTest, AFailedSyncIsClosedSoTheNextReadsEveryTableAgain) {
  Configure(3, 6, 1);  // one after the other: t0 completes, then t1 fails
  failing_ = {"t1"};
  EXPECT_THROW(Sync(), common::NotFoundError);
  const SyncState failed = SyncState::Parse(Checkpoints().back());
  EXPECT_TRUE(failed.sync_id.empty());  // closed: no table waits for t1 to be fixed
  EXPECT_EQ(failed.tables.at("t0").status, TableState::Status::kComplete);

  failing_.clear();
  Sync(Checkpoints().back());
  for (const char* table : {"t0", "t1", "t2"})
    EXPECT_EQ(WrittenIds().at(table), Ids(table, 0, RowCount(table))) << table;
}

TEST_F(ParallelSyncTest, ACancelledSyncResumesEveryTableWhereItStoodWithoutRunningSavedQueries) {
  Configure(5, 9, 3);  // 5 batches per table
  gate_ = 3;
  std::atomic<int> batches{0};
  on_progress_ = [&](const SyncProgress&) {
    if (++batches == 4) cancel_->Cancel();  // no table can be complete yet
  };
  EXPECT_THROW(Sync(), common::CancelledError);
  EXPECT_EQ(sink_->overlaps, 0);
  CheckCheckpoints();
  const auto first_ids = WrittenIds();
  const std::string saved_json = Checkpoints().back();
  const SyncState saved = SyncState::Parse(saved_json);
  std::map<std::string, int64_t> start;
  std::set<std::string> saved_queries;
  for (const auto& [table, entry] : saved.tables) {
    ASSERT_EQ(entry.status, TableState::Status::kInProgress) << table;
    start[table] = entry.position.rows_read;
    saved_queries.insert(table);
  }
  ASSERT_EQ(saved_queries, (std::set<std::string>{"t0", "t1", "t2"}));
  const size_t started_before = StartedTables().size();

  // Resume, as after a kill: the last checkpoint, a new sink, a new token.
  on_progress_ = nullptr;
  cancel_ = std::make_unique<common::CancellationToken>();
  gate_ = 0;
  Sync(saved_json);
  EXPECT_EQ(sink_->overlaps, 0);
  CheckCheckpoints(start);
  const std::vector<std::string> started = StartedTables();
  // Only the tables without a saved query ran one.
  EXPECT_THAT(
      std::vector<std::string>(started.begin() + static_cast<long>(started_before), started.end()),
      ::testing::UnorderedElementsAre("t3", "t4"));
  const auto resumed_ids = WrittenIds();
  for (const auto& [table, from] : start) {
    // The resumed read continues exactly after the saved position; the first sync delivered at
    // least the rows before it.
    EXPECT_EQ(resumed_ids.at(table), Ids(table, static_cast<size_t>(from), RowCount(table)));
    const auto it = first_ids.find(table);
    const std::vector<int64_t> before = it == first_ids.end() ? std::vector<int64_t>() : it->second;
    ASSERT_GE(before.size(), static_cast<size_t>(from)) << table;
    EXPECT_EQ(std::vector<int64_t>(before.begin(), before.begin() + from),
              Ids(table, 0, static_cast<size_t>(from)));
  }
  for (const char* table : {"t3", "t4"}) {
    EXPECT_EQ(resumed_ids.at(table), Ids(table, 0, RowCount(table)));
  }
  const SyncState last = SyncState::Parse(Checkpoints().back());
  ASSERT_EQ(last.tables.size(), 5u);
  for (const auto& [table, entry] : last.tables) {
    EXPECT_EQ(entry.status, TableState::Status::kComplete) << table;
  }
  for (const auto& [table, entry] : saved.tables) {
    EXPECT_EQ(last.tables.at(table).query_execution_id, entry.query_execution_id) << table;
  }
}

}  // namespace
}  // namespace ac::connector
