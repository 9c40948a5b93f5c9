// TableSync against a scripted Athena (and S3) behind fake HTTP transports, delivering into a
// RecordingSink: every branch of the resume decision, the incremental cursor, checkpoint spacing,
// column projection, cancellation and the UNLOAD fallback. A saved state is taken from the
// checkpoints of an earlier run, as a killed sync would leave it. Nothing sleeps: the clock is fake
// and every query has finished when it is first polled.
#include "connector/table_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>
#include <set>

#include "athena/fake_athena_test_util.h"
#include "aws/fake_s3_test_util.h"
#include "common/error.h"
#include "connector/recording_sink_test_util.h"

namespace ac::connector {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Row = std::vector<std::string>;

/// One query the scripted Athena knows.
struct ScriptedQuery {
  std::string sql;
  std::string state;  ///< SUCCEEDED, FAILED or CANCELLED
  std::string reason;
  bool result_gone = false;             ///< GetQueryResults answers as for an expired result
  std::vector<std::string> parameters;  ///< ExecutionParameters
  std::vector<int64_t> keys;            ///< a key check's result: keys_ when it started
};

class TableSyncTest : public ::testing::Test {
 protected:
  static constexpr size_t kPageRows = 2;  ///< rows per GetQueryResults page

  TableSyncTest() {
    config_.region = "us-east-1";
    config_.database = "sales";
    config_.staging = S3Location::Parse("s3://results/staging/", "s3_staging_dir");
    config_.s3_endpoint_url = "http://127.0.0.1:9";
    config_.result_fetcher = ResultFetcherKind::kApi;
    config_.checkpoint_interval_rows = 2;
    table_.query = "SELECT * FROM events";
    table_.destination_table = "events";
    table_.primary_key = {"id"};
    fake_->handlers["StartQueryExecution"] = [this](const nlohmann::json& request) {
      return Start(request);
    };
    fake_->handlers["GetQueryExecution"] = [this](const nlohmann::json& request) {
      return Execution(request);
    };
    fake_->handlers["GetQueryResults"] = [this](const nlohmann::json& request) {
      return Results(request);
    };
  }

  // The scripted Athena: queries q-1, q-2, ... finish at once with `rows_` as their result.

  std::pair<int, std::string> Start(const nlohmann::json& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    started_sql_.push_back(request["QueryString"].get<std::string>());
    started_parameters_.push_back(request.value("ExecutionParameters", std::vector<std::string>{}));
    const std::string id = "q-" + std::to_string(started_sql_.size());
    ScriptedQuery query;
    query.sql = started_sql_.back();
    query.state = "SUCCEEDED";
    query.parameters = started_parameters_.back();
    query.keys = keys_;
    if (fail_unload_ && query.sql.rfind("UNLOAD", 0) == 0) {
      query.state = "FAILED";
      query.reason = "NOT_SUPPORTED: Unsupported Hive type: time(3)";
    }
    queries_[id] = query;
    return {200, nlohmann::json{{"QueryExecutionId", id}}.dump()};
  }

  std::pair<int, std::string> Execution(const nlohmann::json& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::string id = request["QueryExecutionId"].get<std::string>();
    const auto it = queries_.find(id);
    if (it == queries_.end()) {
      return {400, R"({"__type":"InvalidRequestException","Message":"QueryExecution )" + id +
                       R"( was not found"})"};
    }
    nlohmann::json body = nlohmann::json::parse(
        athena::testing::ExecutionBody(id, it->second.state, false, it->second.reason));
    body["QueryExecution"]["Query"] = it->second.sql;
    if (it->second.sql.rfind("SHOW", 0) == 0) {  // Athena: DDL, no header row, nothing scanned
      body["QueryExecution"]["StatementType"] = "DDL";
      body["QueryExecution"]["SubstatementType"] = "SHOW_PARTITIONS";
      body["QueryExecution"]["Statistics"]["DataScannedInBytes"] = 0;
    }
    if (!it->second.parameters.empty())
      body["QueryExecution"]["ExecutionParameters"] = it->second.parameters;
    return {200, body.dump()};
  }

  std::pair<int, std::string> Results(const nlohmann::json& request) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = queries_.find(request["QueryExecutionId"].get<std::string>());
    if (it == queries_.end() || it->second.result_gone) {
      return {400, R"({"__type":"InvalidRequestException","Message":"Query has been purged"})"};
    }
    if (it->second.sql.rfind("SHOW PARTITIONS", 0) == 0) {
      std::vector<Row> lines;
      for (const auto& line : partitions_) lines.push_back({line});
      return {200, athena::testing::ResultsBody({{"partition", "string"}}, lines, false)};
    }
    if (it->second.sql.find(" ORDER BY ") != std::string::npos) {  // a key check: keys_ only
      std::vector<Row> keys;
      for (const int64_t key : it->second.keys) keys.push_back({std::to_string(key)});
      return {200, athena::testing::ResultsBody({{"id", "bigint"}}, keys, true)};
    }
    const std::string token = request.value("NextToken", "");
    const size_t page = token.empty() ? 0 : std::stoul(token.substr(1));
    const size_t first = std::min(rows_.size(), page * kPageRows);
    const size_t last = std::min(rows_.size(), first + kPageRows);
    const std::string next = last < rows_.size() ? "p" + std::to_string(page + 1) : "";
    const std::vector<Row> rows(rows_.begin() + static_cast<std::ptrdiff_t>(first),
                                rows_.begin() + static_cast<std::ptrdiff_t>(last));
    return {200, athena::testing::ResultsBody(columns_, rows, token.empty(), next)};
  }

  ScriptedQuery& Query(const std::string& id) {
    std::lock_guard<std::mutex> lock(mutex_);
    return queries_.at(id);
  }
  std::vector<std::string> StartedSql() {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_sql_;
  }
  std::vector<std::vector<std::string>> StartedParameters() {
    std::lock_guard<std::mutex> lock(mutex_);
    return started_parameters_;
  }

  // Running a TableSync and reading what the sink received.

  /// Runs one table sync from `state_json` into a fresh sink.
  void Sync(const std::string& state_json = "") {
    sink_.calls.clear();
    SyncState state = SyncState::Parse(state_json);
    results::ResultFetcherFactory fetchers(config_.FetcherOptions(), *client_,
                                           aws::testing::MakeFakeS3Service(s3_, clock_), *cancel_);
    athena::QueryRunner runner(*client_, clock_, *cancel_);
    const TableSyncServices services{config_, *client_, runner,       fetchers, sink_,
                                     clock_,  *cancel_, on_progress_, totals_,  state_mutex_};
    TableSync(services, table_, selection_, state).Run();
  }

  std::vector<std::string> Kinds() const {
    std::vector<std::string> kinds;
    for (const auto& call : sink_.calls) kinds.push_back(call.kind);
    return kinds;
  }
  std::vector<std::string> Checkpoints() const {
    std::vector<std::string> states;
    for (const auto& call : sink_.calls) {
      if (call.kind == "checkpoint") states.push_back(call.text);
    }
    return states;
  }
  /// The table's entry in the last checkpoint.
  TableState Saved() const { return SyncState::Parse(Checkpoints().back()).tables.at("events"); }
  /// The `id` of every row written, in order.
  std::vector<int64_t> WrittenIds() const {
    std::vector<int64_t> ids;
    for (const auto& call : sink_.calls) {
      if (call.kind != "write") continue;
      for (const auto& row : call.rows) ids.push_back(row[0].integer);
    }
    return ids;
  }
  int Count(const std::string& kind) const {
    const std::vector<std::string> kinds = Kinds();
    return static_cast<int>(std::count(kinds.begin(), kinds.end(), kind));
  }
  /// The state a sync leaves when it is killed after delivering `batches` batches.
  std::string StateAfterBatches(int batches) {
    int delivered = 0;
    on_progress_ = [&](const SyncProgress&) {
      if (++delivered == batches) cancel_->Cancel();
    };
    EXPECT_THROW(Sync(), common::CancelledError);
    on_progress_ = nullptr;
    cancel_ = std::make_unique<common::CancellationToken>();
    return Checkpoints().back();
  }

  std::vector<std::pair<std::string, std::string>> columns_ = {
      {"id", "bigint"}, {"name", "varchar"}, {"updated", "bigint"}};

  Config config_;
  TableConfig table_;
  const TableSelection* selection_ = nullptr;
  common::FakeClock clock_;
  std::unique_ptr<common::CancellationToken> cancel_ =
      std::make_unique<common::CancellationToken>();
  std::function<void(const SyncProgress&)> on_progress_;
  SyncTotals totals_;
  std::mutex state_mutex_;
  testing::RecordingSink sink_;

  std::mutex mutex_;
  std::vector<std::string> started_sql_;  ///< statements started, in order (query q-N is the Nth)
  std::vector<std::vector<std::string>> started_parameters_;  ///< their ExecutionParameters
  std::vector<std::string> partitions_;                       ///< SHOW PARTITIONS lines
  std::vector<int64_t> keys_ = {1, 2, 3, 4, 5};               ///< a key check's result (sorted)
  std::map<std::string, ScriptedQuery> queries_;  ///< by id; a query erased from here is unknown
  std::vector<Row> rows_ = {
      {"1", "a", "10"}, {"2", "b", "30"}, {"3", "c", "20"}, {"4", "d", "50"}, {"5", "e", "40"}};
  bool fail_unload_ = false;
  std::shared_ptr<athena::testing::FakeAthena> fake_ =
      std::make_shared<athena::testing::FakeAthena>();
  std::unique_ptr<athena::AthenaClient> client_ = athena::testing::MakeFakeClient(fake_, clock_);
  std::shared_ptr<aws::testing::FakeS3> s3_ = std::make_shared<aws::testing::FakeS3>();
};

TEST_F(TableSyncTest, FirstSyncRunsTheQueryTruncatesDeliversAndCompletes) {
  Sync();
  EXPECT_THAT(StartedSql(), ElementsAre("SELECT * FROM events"));
  const auto& request = fake_->calls[0].second;
  EXPECT_EQ(request["QueryExecutionContext"]["Database"], "sales");
  EXPECT_EQ(request["ResultConfiguration"]["OutputLocation"], "s3://results/staging/");
  EXPECT_THAT(Kinds(), ElementsAre("checkpoint", "define", "truncate", "checkpoint", "write",
                                   "checkpoint", "write", "checkpoint", "write", "checkpoint"));
  const TableState started = SyncState::Parse(Checkpoints()[0]).tables.at("events");
  EXPECT_EQ(started.status, TableState::Status::kInProgress);
  EXPECT_EQ(started.query_execution_id, "q-1");
  EXPECT_EQ(started.fetcher, "api");
  EXPECT_FALSE(started.truncated);
  EXPECT_TRUE(SyncState::Parse(Checkpoints()[1]).tables.at("events").truncated);
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
  const TableState done = Saved();
  EXPECT_EQ(done.status, TableState::Status::kComplete);
  EXPECT_EQ(done.query_execution_id, "q-1");
  EXPECT_EQ(done.rows_synced, 5);
  EXPECT_EQ(done.completed_at, "2015-08-19T16:00:00Z");  // the fake clock's time
  EXPECT_EQ(done.cursor_value, "");
  EXPECT_EQ(totals_.rows.load(), 5);
}

TEST_F(TableSyncTest, ASucceededSavedQueryIsResumedAtTheSavedPositionWithoutANewQuery) {
  const std::string state = StateAfterBatches(2);
  EXPECT_EQ(SyncState::Parse(state).tables.at("events").position.rows_read, 4);
  Sync(state);
  EXPECT_EQ(fake_->Count("StartQueryExecution"), 1);  // the first run's only
  EXPECT_THAT(WrittenIds(), ElementsAre(5));
  EXPECT_EQ(Count("truncate"), 0);  // the interrupted run sent it already
  EXPECT_EQ(Saved().status, TableState::Status::kComplete);
  EXPECT_EQ(Saved().rows_synced, 5);
  EXPECT_EQ(Saved().query_execution_id, "q-1");
}

TEST_F(TableSyncTest, AResumeBeforeTheTruncateTruncatesOnce) {
  Sync();
  const std::string query_started = Checkpoints()[0];  // killed before the truncate
  ASSERT_FALSE(SyncState::Parse(query_started).tables.at("events").truncated);
  Sync(query_started);
  EXPECT_EQ(fake_->Count("StartQueryExecution"), 1);
  EXPECT_EQ(Count("truncate"), 1);
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
}

class SavedQueryEndedTest : public TableSyncTest,
                            public ::testing::WithParamInterface<std::string> {};

TEST_P(SavedQueryEndedTest, IsRunAgain) {
  const std::string state = StateAfterBatches(1);
  Query("q-1").state = GetParam();
  Sync(state);
  EXPECT_EQ(StartedSql().size(), 2u);
  EXPECT_EQ(Count("truncate"), 1);  // a new read of a full refresh truncates again
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(Saved().query_execution_id, "q-2");
}

INSTANTIATE_TEST_SUITE_P(FailedOrCancelled, SavedQueryEndedTest,
                         ::testing::Values("FAILED", "CANCELLED"));

TEST_F(TableSyncTest, ASavedQueryAthenaNoLongerKnowsIsRunAgain) {
  const std::string state = StateAfterBatches(1);
  queries_.erase("q-1");
  Sync(state);
  EXPECT_EQ(Saved().query_execution_id, "q-2");
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(TableSyncTest, ChangedSqlRunsANewQueryWithoutAskingForTheSavedOne) {
  const std::string state = StateAfterBatches(1);
  const int polls = fake_->Count("GetQueryExecution");
  table_.query = "SELECT * FROM events WHERE id > 0";
  Sync(state);
  EXPECT_EQ(fake_->Count("GetQueryExecution"), polls + 1);  // the new query's poll only
  EXPECT_EQ(StartedSql().back(), "SELECT * FROM events WHERE id > 0");
  EXPECT_EQ(Saved().query_execution_id, "q-2");
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(TableSyncTest, AResultGoneWhenOpenedRunsTheQueryAgain) {
  const std::string state = StateAfterBatches(1);
  Query("q-1").result_gone = true;
  Sync(state);
  EXPECT_EQ(StartedSql().size(), 2u);
  EXPECT_EQ(Saved().query_execution_id, "q-2");
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(TableSyncTest, IncrementalSyncFiltersFromTheSavedCursorAndKeepsIt) {
  table_.cursor_column = "updated";
  Sync();
  EXPECT_EQ(Count("truncate"), 0);
  EXPECT_EQ(Saved().cursor_value, "50");
  EXPECT_EQ(Saved().cursor_type, "bigint");
  rows_ = {{"4", "d", "50"}, {"5", "e", "45"}};
  Sync(Checkpoints().back());
  // The saved value travels as an ExecutionParameter, never in the SQL text.
  EXPECT_EQ(StartedSql().back(), "SELECT * FROM (SELECT * FROM events) WHERE \"updated\" >= ?");
  EXPECT_EQ(StartedParameters().back(), std::vector<std::string>{"50"});
  EXPECT_EQ(Count("truncate"), 0);
  EXPECT_EQ(Saved().cursor_value, "50");  // nothing past the saved cursor
  rows_ = {};
  Sync(Checkpoints().back());
  EXPECT_EQ(StartedSql().back(), "SELECT * FROM (SELECT * FROM events) WHERE \"updated\" >= ?");
  EXPECT_EQ(Saved().cursor_value, "50");  // an empty result keeps it
  EXPECT_EQ(Saved().cursor_type, "bigint");
}

TEST_F(TableSyncTest, AResumedIncrementalReadContinuesThePendingCursor) {
  table_.cursor_column = "updated";
  const std::string state = StateAfterBatches(2);  // rows 1-4, highest updated 50
  EXPECT_EQ(SyncState::Parse(state).tables.at("events").pending_cursor_value, "50");
  Sync(state);
  EXPECT_THAT(WrittenIds(), ElementsAre(5));  // updated 40
  EXPECT_EQ(Saved().cursor_value, "50");
  EXPECT_EQ(Saved().pending_cursor_value, "");
}

TEST_F(TableSyncTest, CheckpointsAreSpacedByTheIntervalAndTheLastOneCompletesTheTable) {
  config_.checkpoint_interval_rows = 3;
  Sync();
  // Pages of 2 rows: a checkpoint once 3 or more rows have gone out since the last one, and at the
  // end.
  EXPECT_THAT(Kinds(), ElementsAre("checkpoint", "define", "truncate", "checkpoint", "write",
                                   "write", "checkpoint", "write", "checkpoint"));
  const TableState middle = SyncState::Parse(Checkpoints()[2]).tables.at("events");
  EXPECT_EQ(middle.status, TableState::Status::kInProgress);
  EXPECT_EQ(middle.position.rows_read, 4);
  EXPECT_EQ(middle.position.next_token, "p2");
  EXPECT_EQ(middle.rows_synced, 4);
  const TableState last = Saved();
  EXPECT_EQ(last.status, TableState::Status::kComplete);
  EXPECT_EQ(last.position.rows_read, 0);
  EXPECT_EQ(last.fetcher, "");
}

TEST_F(TableSyncTest, DeselectedColumnsAreDroppedButNeverThePrimaryKey) {
  TableSelection selection;
  selection.columns = {{"id", false}, {"name", false}};
  selection_ = &selection;
  Sync();
  ASSERT_EQ(sink_.calls[1].kind, "define");
  std::vector<std::string> names;
  for (const auto& column : sink_.calls[1].table.columns) names.push_back(column.name);
  EXPECT_THAT(names, ElementsAre("id", "updated"));
  for (const auto& call : sink_.calls) {
    if (call.kind != "write") continue;
    EXPECT_EQ(call.table.columns.size(), 2u);
    for (const auto& row : call.rows) EXPECT_EQ(row.size(), 2u);
  }
  EXPECT_EQ(sink_.calls[4].rows[0][1].integer, 10);  // row 1's `updated`

  selection.columns = {{"updated", true}};
  selection.include_new_columns = false;  // `name` is not listed: dropped
  Sync();
  names.clear();
  for (const auto& column : sink_.calls[1].table.columns) names.push_back(column.name);
  EXPECT_THAT(names, ElementsAre("id", "updated"));
}

/// A source table (not a query): its columns come from the catalog, so the SQL reads only the
/// selected ones (Athena bills the bytes of the columns a query reads).
class SourceTableSyncTest : public TableSyncTest {
 protected:
  SourceTableSyncTest() {
    table_.query.clear();
    table_.source_table = "events";
    table_.strategy =
        SyncStrategy::kFullRefresh;  // partitioned by `updated`: see PartitionedTableSyncTest
    fake_->handlers["GetTableMetadata"] = [](const nlohmann::json& request) {
      EXPECT_EQ(request["TableName"], "events");
      return std::pair<int, std::string>{
          200, R"({"TableMetadata":{"Name":"events","TableType":"EXTERNAL_TABLE","Columns":[)"
               R"({"Name":"id","Type":"bigint"},{"Name":"name","Type":"string"}],)"
               R"("PartitionKeys":[{"Name":"updated","Type":"bigint"}]}})"};
    };
  }
};

TEST_F(SourceTableSyncTest, TheSqlNamesExactlyTheSelectedColumnsKeyAndCursorIncluded) {
  Sync();  // no selection: every column
  EXPECT_THAT(StartedSql(), ElementsAre(R"(SELECT * FROM "events")"));

  TableSelection selection;
  selection.columns = {{"id", false}, {"name", false}, {"updated", true}};
  selection_ = &selection;
  Sync();  // `id` is the key: kept
  EXPECT_EQ(StartedSql().back(), R"(SELECT "id", "updated" FROM "events")");

  selection.columns = {{"updated", false}};
  selection.include_new_columns = false;  // `name` is not listed: dropped
  table_.cursor_column = "updated";
  table_.source_database = "sales";
  Sync();  // the cursor column is read even when deselected
  EXPECT_EQ(StartedSql().back(), R"(SELECT "id", "updated" FROM "sales"."events")");

  selection.columns = {{"name", true}};
  selection.include_new_columns = true;  // unlisted columns are new ones: read
  Sync();
  EXPECT_EQ(StartedSql().back(), R"(SELECT * FROM "sales"."events")");
}

TEST_F(SourceTableSyncTest, AColumnDroppedAtTheSourceIsNoLongerReadAndNotAnError) {
  TableSelection selection;
  selection.columns = {{"name", false}, {"dropped_since", true}};
  selection_ = &selection;
  Sync();
  EXPECT_EQ(StartedSql().back(), R"(SELECT "id", "updated" FROM "events")");
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(SourceTableSyncTest, ANewSelectionIsANewQueryNotAResumeOfTheSavedOne) {
  const std::string killed = StateAfterBatches(1);
  TableSelection selection;
  selection.columns = {{"name", false}};
  selection_ = &selection;
  Sync(killed);
  ASSERT_EQ(StartedSql().size(), 2u);
  EXPECT_EQ(StartedSql()[1], R"(SELECT "id", "updated" FROM "events")");
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3, 4, 5));
}

/// The ids of every delete written, in order.
std::vector<int64_t> DeletedIds(const testing::RecordingSink& sink) {
  std::vector<int64_t> ids;
  for (const auto& call : sink.calls) {
    if (call.kind != "write" || call.type != RecordType::kDelete) continue;
    for (const auto& row : call.rows) ids.push_back(row[0].integer);
  }
  return ids;
}

TEST_F(TableSyncTest, AKeyCheckDeletesTheKeysGoneSinceThePreviousOne) {
  table_.cursor_column = "updated";
  table_.delete_detection_every = 2;
  Sync();  // the first sync takes the keys
  EXPECT_THAT(StartedSql().back(),
              HasSubstr(R"(SELECT "id" FROM (SELECT * FROM events) WHERE "id" IS NOT NULL)"
                        R"( ORDER BY "id")"));
  const std::string first_check = Saved().key_check_query_id;
  EXPECT_EQ(first_check, "q-2");
  EXPECT_TRUE(DeletedIds(sink_).empty());

  keys_ = {1, 3, 5, 6};  // 2 and 4 deleted at the source, 6 added
  rows_ = {};
  Sync(Checkpoints().back());  // 1 sync since the check: not due
  EXPECT_EQ(StartedSql().size(), 3u);
  EXPECT_EQ(Saved().syncs_since_key_check, 1);
  Sync(Checkpoints().back());  // due: compared with q-2
  EXPECT_EQ(StartedSql().size(), 5u);
  EXPECT_THAT(DeletedIds(sink_), ElementsAre(2, 4));
  // The deletes go before the checkpoint that records the new check.
  const auto kinds = Kinds();
  EXPECT_EQ(kinds.back(), "checkpoint");
  EXPECT_EQ(Saved().key_check_query_id, "q-5");
  EXPECT_EQ(Saved().syncs_since_key_check, 0);
  for (const auto& call : sink_.calls) {
    if (call.type != RecordType::kDelete) continue;
    EXPECT_EQ(call.table.columns.size(), 3u);  // the destination table; non-key values NULL
    EXPECT_TRUE(call.rows[0][1].is_null);
  }

  keys_ = {1, 1, 3, 5, 5, 6};  // a key held twice at the source is one key: nothing deleted
  table_.delete_detection_every = 1;
  Sync(Checkpoints().back());
  EXPECT_TRUE(DeletedIds(sink_).empty());
  keys_ = {1, 3, 6};
  Sync(Checkpoints().back());
  EXPECT_THAT(DeletedIds(sink_), ElementsAre(5));

  keys_ = {3, 1};  // not sorted: never a wrong delete
  table_.delete_detection_every = 1;
  EXPECT_THROW(Sync(Checkpoints().back()), common::ProtocolError);
  EXPECT_TRUE(DeletedIds(sink_).empty());
}

TEST_F(TableSyncTest, AKeyCheckWhosePreviousResultIsGoneStartsAgain) {
  table_.cursor_column = "updated";
  table_.delete_detection_every = 1;
  Sync();
  Query("q-2").result_gone = true;
  keys_ = {1};
  Sync(Checkpoints().back());
  EXPECT_TRUE(DeletedIds(sink_).empty());  // nothing to compare with: no delete, a new start
  EXPECT_EQ(Saved().key_check_query_id, "q-4");
  keys_ = {};
  Sync(Checkpoints().back());
  EXPECT_THAT(DeletedIds(sink_), ElementsAre(1));
}

/// A source table partitioned by a date-like string key `dt` (the partitions strategy).
class PartitionedTableSyncTest : public TableSyncTest {
 protected:
  PartitionedTableSyncTest() {
    table_.query.clear();
    table_.source_table = "events";
    config_.partitions_per_query = 2;
    columns_ = {{"id", "bigint"}, {"name", "varchar"}, {"dt", "varchar"}};
    partitions_ = {"dt=2026-12-01", "dt=2026-12-02", "dt=2026-12-03", "dt=2026-12-04",
                   "dt=2026-12-05"};
    rows_ = {{"1", "a", "2026-12-01"},
             {"2", "b", "2026-12-02"},
             {"3", "c", "2026-12-03"},
             {"4", "d", "2026-12-04"},
             {"5", "e", "2026-12-05"}};
    fake_->handlers["GetTableMetadata"] = [this](const nlohmann::json&) {
      return std::pair<int, std::string>{
          200, R"({"TableMetadata":{"Name":"events","TableType":"EXTERNAL_TABLE","Columns":[)"
               R"({"Name":"id","Type":"bigint"},{"Name":"name","Type":"string"}],)"
               R"("PartitionKeys":[{"Name":"dt","Type":")" +
                   key_type_ + R"("}]}})"};
    };
  }
  /// The SELECTs started (the SHOW PARTITIONS listings left out), with their parameters.
  std::vector<std::pair<std::string, std::vector<std::string>>> Selects() {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    const auto sql = StartedSql();
    const auto parameters = StartedParameters();
    for (size_t i = 0; i < sql.size(); ++i) {
      if (sql[i].rfind("SHOW PARTITIONS", 0) != 0) out.emplace_back(sql[i], parameters[i]);
    }
    return out;
  }
  using Params = std::vector<std::string>;
  std::string key_type_ = "string";
};

TEST_F(PartitionedTableSyncTest, AFirstSyncReadsEveryPartitionInCheckpointedChunks) {
  Sync();
  EXPECT_EQ(StartedSql().front(), "SHOW PARTITIONS `sales`.`events`");
  const auto selects = Selects();
  ASSERT_EQ(selects.size(), 3u);  // 5 partitions, 2 a query
  EXPECT_EQ(selects[0].first, R"(SELECT * FROM "events" WHERE "dt" <= ?)");
  EXPECT_EQ(selects[0].second, Params{"'2026-12-02'"});
  EXPECT_EQ(selects[1].first, R"(SELECT * FROM "events" WHERE "dt" > ? AND "dt" <= ?)");
  EXPECT_EQ(selects[1].second, (Params{"'2026-12-02'", "'2026-12-04'"}));
  EXPECT_EQ(selects[2].first, R"(SELECT * FROM "events" WHERE "dt" > ?)");
  EXPECT_EQ(selects[2].second, Params{"'2026-12-04'"});
  EXPECT_EQ(Count("truncate"), 0);  // incremental
  EXPECT_EQ(Count("define"), 1);
  // Each chunk but the last is saved done when delivered.
  std::vector<std::string> done;
  for (const auto& checkpoint : Checkpoints()) {
    const TableState table = SyncState::Parse(checkpoint).tables.at("events");
    if (done.empty() || done.back() != table.partition_done) done.push_back(table.partition_done);
  }
  EXPECT_THAT(done, ElementsAre("", "2026-12-02", "2026-12-04", ""));
  const TableState saved = Saved();
  EXPECT_EQ(saved.status, TableState::Status::kComplete);
  EXPECT_EQ(saved.partition_column, "dt");
  EXPECT_EQ(saved.partition_value, "2026-12-05");
  EXPECT_EQ(saved.last_scanned_partitions, 5);
}

TEST_F(PartitionedTableSyncTest, ALaterSyncReadsFromTheLastPartitionLessTheLookback) {
  Sync();
  partitions_.push_back("dt=2026-12-06");
  rows_ = {{"6", "f", "2026-12-06"}, {"7", "g", "2026-12-04"}};  // a late row of 2026-12-04
  table_.partition_lookback = 2;
  config_.partitions_per_query = 10;
  Sync(Checkpoints().back());
  EXPECT_EQ(Selects().back().first, R"(SELECT * FROM "events" WHERE "dt" >= ?)");
  EXPECT_EQ(Selects().back().second, Params{"'2026-12-03'"});  // 2026-12-05 less 2 days
  EXPECT_THAT(WrittenIds(), ElementsAre(6, 7));
  EXPECT_EQ(Saved().partition_value, "2026-12-06");
  EXPECT_EQ(Saved().last_scanned_partitions, 4);  // 2026-12-03 .. 2026-12-06

  // With a cursor too: both conditions, both values as parameters.
  table_.cursor_column = "id";
  Sync(Checkpoints().back());
  EXPECT_EQ(Selects().back().first, R"(SELECT * FROM "events" WHERE "dt" >= ?)");
  EXPECT_EQ(Saved().cursor_value, "7");
  Sync(Checkpoints().back());
  EXPECT_EQ(Selects().back().first, R"(SELECT * FROM "events" WHERE "dt" >= ? AND "id" >= ?)");
  EXPECT_EQ(Selects().back().second, (Params{"'2026-12-04'", "7"}));
}

TEST_F(PartitionedTableSyncTest, AKilledFirstSyncGoesOnWithoutReadingTheDoneChunksAgain) {
  // Pages of 2 rows; the scripted Athena answers every chunk with the 5 rows: 3 batches a chunk.
  const std::string killed = StateAfterBatches(4);  // in the second chunk (q-3)
  const TableState at_kill = SyncState::Parse(killed).tables.at("events");
  EXPECT_EQ(at_kill.partition_done, "2026-12-02");
  EXPECT_EQ(at_kill.query_execution_id, "q-3");
  const size_t selects_before = Selects().size();
  Sync(killed);
  const auto selects = Selects();
  // The second chunk's query is read on from its saved position; only the last chunk is new.
  ASSERT_EQ(selects.size(), selects_before + 1);
  EXPECT_EQ(selects.back().first, R"(SELECT * FROM "events" WHERE "dt" > ?)");
  EXPECT_EQ(selects.back().second, Params{"'2026-12-04'"});
  EXPECT_THAT(WrittenIds(), ElementsAre(3, 4, 5, 1, 2, 3, 4, 5));
  EXPECT_EQ(Saved().status, TableState::Status::kComplete);
  EXPECT_EQ(Saved().partition_value, "2026-12-05");
}

TEST_F(PartitionedTableSyncTest, ATamperedPartitionValueInTheStateNeverReachesAQuery) {
  Sync();
  SyncState state = SyncState::Parse(Checkpoints().back());
  nlohmann::json doc = nlohmann::json::parse(state.ToJson());
  const size_t started = StartedSql().size();
  for (const char* forged : {"2026-12-01' OR '1'='1", "2026-12-01 UNION SELECT 1"}) {
    doc["tables"]["events"]["partition_value"] = forged;
    try {
      Sync(doc.dump());
      // A string key quotes whatever it is given: the value is a literal, never SQL.
      const auto selects = Selects();
      for (const auto& parameter : selects.back().second)
        EXPECT_EQ(parameter.front(), '\'') << parameter;
    } catch (const common::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr("reset the connection's state"));
    }
    for (const auto& sql : StartedSql()) EXPECT_EQ(sql.find("UNION"), std::string::npos) << sql;
  }
  EXPECT_GE(StartedSql().size(), started);
}

TEST_F(PartitionedTableSyncTest, AnIntegerKeyLooksBackByValues) {
  key_type_ = "int";
  partitions_ = {"dt=1", "dt=2", "dt=10"};
  rows_ = {{"1", "a", "1"}, {"2", "b", "10"}};
  columns_[2].second = "integer";
  Sync();
  EXPECT_EQ(Selects()[0].second, Params{"2"});  // sorted as numbers: 1, 2 | 10
  EXPECT_EQ(Saved().partition_value, "10");
  table_.partition_lookback = 3;
  Sync(Checkpoints().back());
  EXPECT_EQ(Selects().back().first, R"(SELECT * FROM "events" WHERE "dt" >= ?)");
  EXPECT_EQ(Selects().back().second, Params{"7"});
}

TEST_F(PartitionedTableSyncTest, AKeyThatIsNotDateLikeFallsBackUnlessPartitionsAreAskedFor) {
  partitions_ = {"dt=eu", "dt=us"};
  rows_ = {{"1", "a", "eu"}};
  Sync();  // auto: a full refresh
  EXPECT_EQ(Selects().back().first, R"(SELECT * FROM "events")");
  EXPECT_EQ(Count("truncate"), 1);
  table_.strategy = SyncStrategy::kPartitions;
  try {
    Sync();
    FAIL() << "strategy partitions on a key that is not date-like";
  } catch (const common::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("strategy 'partitions' cannot be used"));
    EXPECT_THAT(e.what(), HasSubstr("not ISO dates"));
  }
}

TEST_F(TableSyncTest, ATableThatWouldPassTheScanCapIsSkippedWholeWithAWarning) {
  constexpr int64_t kMb = int64_t{1} << 20;
  config_.max_bytes_scanned_per_sync = 25 * kMb;
  Sync();  // no earlier sync: expected at Athena's 10 MB minimum, within the cap
  ASSERT_EQ(StartedSql().size(), 1u);
  const std::string done = Checkpoints().back();

  // Its last sync scanned 30 MB: the next query would pass the cap.
  SyncState state = SyncState::Parse(done);
  state.tables.at("events").last_scanned_bytes = 30 * kMb;
  Sync(state.ToJson());
  EXPECT_EQ(StartedSql().size(), 1u);  // no query
  ASSERT_EQ(Count("warning"), 1);
  EXPECT_THAT(Kinds(), ElementsAre("warning"));  // nothing else: the table keeps its data
  EXPECT_THAT(sink_.calls[0].text, HasSubstr("table 'events' is skipped"));
  EXPECT_THAT(sink_.calls[0].text, HasSubstr("30.0 MB (from what its last sync scanned)"));
  EXPECT_THAT(sink_.calls[0].text, HasSubstr("max_bytes_scanned_per_sync 25.0 MB"));

  config_.max_bytes_scanned_per_sync = 0;  // no cap
  Sync(state.ToJson());
  EXPECT_EQ(StartedSql().size(), 2u);
}

TEST_F(TableSyncTest, CancellationStopsBetweenBatches) {
  on_progress_ = [&](const SyncProgress& progress) {
    EXPECT_EQ(progress.table, "events");
    cancel_->Cancel();
  };
  try {
    Sync();
    FAIL() << "the sync was not interrupted";
  } catch (const common::CancelledError& e) {
    EXPECT_THAT(e.what(), HasSubstr("sync interrupted"));
  }
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2));
  EXPECT_EQ(Saved().status, TableState::Status::kInProgress);
  EXPECT_EQ(Saved().position.rows_read, 2);
}

TEST_F(TableSyncTest, AnUnloadAthenaRejectsFallsBackToThePlainQuery) {
  config_.result_fetcher = ResultFetcherKind::kUnload;
  fail_unload_ = true;
  s3_->Put(
      "b", "p/q-2.csv",
      "\"id\",\"name\",\"updated\"\n\"1\",\"a\",\"10\"\n\"2\",\"b\",\"30\"\n\"3\",\"c\",\"20\"\n");
  Sync();
  const std::vector<std::string> sql = StartedSql();
  ASSERT_EQ(sql.size(), 2u);
  EXPECT_EQ(results::UnloadedQuery(sql[0]), "SELECT * FROM events");
  EXPECT_EQ(sql[1], "SELECT * FROM events");
  const TableState unload = SyncState::Parse(Checkpoints()[0]).tables.at("events");
  EXPECT_EQ(unload.fetcher, "unload");
  EXPECT_THAT(unload.unload_prefix, HasSubstr("s3://results/staging/unload/"));
  const TableState fallback = SyncState::Parse(Checkpoints()[1]).tables.at("events");
  EXPECT_EQ(fallback.query_execution_id, "q-2");
  EXPECT_EQ(fallback.fetcher, "auto");
  EXPECT_EQ(fallback.unload_prefix, "");
  EXPECT_THAT(WrittenIds(), ElementsAre(1, 2, 3));  // read from the result file (auto: s3)
  EXPECT_EQ(Saved().query_execution_id, "q-2");
}

TEST_F(TableSyncTest, ACursorColumnMissingFromTheResultIsAConfigurationError) {
  table_.cursor_column = "changed_at";
  EXPECT_THROW(Sync(), common::ConfigError);
  EXPECT_EQ(Count("write"), 0);
}

}  // namespace
}  // namespace ac::connector
