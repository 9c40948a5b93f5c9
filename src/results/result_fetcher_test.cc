#include "results/result_fetcher.h"

#include <gtest/gtest.h>

#include "athena/fake_athena_test_util.h"
#include "aws/fake_s3_test_util.h"
#include "results/get_query_results_reader.h"
#include "results/s3_result_reader.h"
#include "results/unload_result_reader.h"

namespace ac::results {
namespace {

TEST(UnloadSqlTest, OnlySelectAndWithQueriesAreUnloadable) {
  EXPECT_TRUE(IsUnloadableQuery("SELECT * FROM t"));
  EXPECT_TRUE(IsUnloadableQuery("  select 1"));
  EXPECT_TRUE(IsUnloadableQuery("-- comment\n/* block */ (SELECT 1)"));
  EXPECT_TRUE(IsUnloadableQuery("WITH a AS (SELECT 1) SELECT * FROM a"));
  EXPECT_FALSE(IsUnloadableQuery("SHOW TABLES"));
  EXPECT_FALSE(IsUnloadableQuery("DESCRIBE t"));
  EXPECT_FALSE(IsUnloadableQuery("INSERT INTO t SELECT 1"));
  EXPECT_FALSE(IsUnloadableQuery("SELECTED"));
  EXPECT_FALSE(IsUnloadableQuery(""));
}

TEST(UnloadSqlTest, StatementWrapsTheQueryAndGivesItBack) {
  const std::string statement =
      UnloadStatement("SELECT 1 AS a -- trailing comment\n;  ", "s3://b/staging/unload/t1/");
  EXPECT_EQ(statement,
            "UNLOAD (\nSELECT 1 AS a -- trailing comment\n) TO 's3://b/staging/unload/t1/' "
            "WITH (format = 'PARQUET', compression = 'SNAPPY')");
  EXPECT_EQ(UnloadedQuery(statement), "SELECT 1 AS a -- trailing comment");
  EXPECT_EQ(UnloadedQuery("SELECT 1"), "");
  EXPECT_EQ(
      UnloadStatement("SELECT 1", "s3://b/it's/"),
      "UNLOAD (\nSELECT 1\n) TO 's3://b/it''s/' WITH (format = 'PARQUET', compression = 'SNAPPY')");
}

class ResultFetcherFactoryTest : public ::testing::Test {
 protected:
  ResultFetcherFactoryTest() {
    options_.database = "default";
    options_.staging = "s3://results/staging/";
    options_.s3_path_style = true;  // the fake S3 endpoint http://127.0.0.1:9
    athena_fake_->handlers["GetQueryResults"] = [](const nlohmann::json&) {
      return std::make_pair(
          200, athena::testing::ResultsBody({{"id", "integer"}}, {{"1"}, {"2"}}, true));
    };
    fake_->Put("results", "staging/q1.csv", "\"id\"\n\"1\"\n\"2\"\n");
    execution_.id = "q1";
    execution_.statement_type = "DML";
    execution_.substatement_type = "SELECT";
    execution_.output_location = "s3://results/staging/q1.csv";
  }

  ResultFetcherFactory Factory() {
    return ResultFetcherFactory(options_, *athena_, aws::testing::MakeFakeS3Service(fake_, clock_),
                                cancel_);
  }

  ResultFetcherOptions options_;
  common::FakeClock clock_;
  common::CancellationToken cancel_;
  std::shared_ptr<athena::testing::FakeAthena> athena_fake_ =
      std::make_shared<athena::testing::FakeAthena>();
  std::unique_ptr<athena::AthenaClient> athena_ =
      athena::testing::MakeFakeClient(athena_fake_, clock_);
  std::shared_ptr<aws::testing::FakeS3> fake_ = std::make_shared<aws::testing::FakeS3>();
  athena::QueryExecution execution_;
};

TEST_F(ResultFetcherFactoryTest, PlansFollowTheConfiguredFetcher) {
  for (auto kind : {ResultFetcherKind::kApi, ResultFetcherKind::kS3, ResultFetcherKind::kAuto}) {
    options_.fetcher = kind;
    const FetchPlan plan = Factory().Plan("SELECT * FROM t", "tok");
    EXPECT_EQ(plan.fetcher, kind);
    EXPECT_EQ(plan.sql, "SELECT * FROM t");
    EXPECT_EQ(plan.unload_prefix, "");
  }
  options_.fetcher = ResultFetcherKind::kUnload;
  const FetchPlan unload = Factory().Plan("SELECT * FROM t", "tok");
  EXPECT_EQ(unload.fetcher, ResultFetcherKind::kUnload);
  EXPECT_EQ(unload.unload_prefix, "s3://results/staging/unload/tok/");
  EXPECT_EQ(UnloadedQuery(unload.sql), "SELECT * FROM t");
  const FetchPlan show = Factory().Plan("SHOW TABLES", "tok");
  EXPECT_EQ(show.fetcher, ResultFetcherKind::kAuto);
  EXPECT_EQ(show.sql, "SHOW TABLES");
}

TEST_F(ResultFetcherFactoryTest, AFailedUnloadFallsBackToThePlainQueryOnlyForQueryErrors) {
  options_.fetcher = ResultFetcherKind::kUnload;
  auto factory = Factory();
  const FetchPlan unload = factory.Plan("SELECT current_time", "tok");
  const auto fallback = factory.PlanAfterFailure(
      unload, "SELECT current_time",
      common::QueryFailedError("NOT_SUPPORTED: Unsupported Hive type: time(3)"));
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->fetcher, ResultFetcherKind::kAuto);
  EXPECT_EQ(fallback->sql, "SELECT current_time");
  EXPECT_FALSE(factory.PlanAfterFailure(unload, "x", common::NotFoundError("TABLE_NOT_FOUND")));
  EXPECT_FALSE(factory.PlanAfterFailure(unload, "x", common::CancelledError("stop")));
  FetchPlan plain;
  plain.fetcher = ResultFetcherKind::kS3;
  EXPECT_FALSE(factory.PlanAfterFailure(plain, "x", common::QueryFailedError("boom")));
}

TEST_F(ResultFetcherFactoryTest, AutoReadsTheFileWhenItIsReadable) {
  auto factory = Factory();
  FetchPlan plan;
  plan.fetcher = ResultFetcherKind::kAuto;
  auto reader = factory.Open(plan, execution_, {});
  EXPECT_NE(dynamic_cast<S3ResultReader*>(reader.get()), nullptr);
  athena::RowBatch batch;
  ASSERT_TRUE(reader->Next(batch));
  EXPECT_EQ(batch.num_rows(), 2u);
  EXPECT_EQ(reader->position().fetcher, "s3");
}

TEST_F(ResultFetcherFactoryTest, AutoFallsBackToTheApiWhenTheFileCannotBeRead) {
  auto factory = Factory();
  FetchPlan plan;
  plan.fetcher = ResultFetcherKind::kAuto;
  {
    athena::QueryExecution cse = execution_;
    cse.encryption_option = "CSE_KMS";
    auto reader = factory.Open(plan, cse, {});
    EXPECT_NE(dynamic_cast<GetQueryResultsReader*>(reader.get()), nullptr);
  }
  {
    athena::QueryExecution managed = execution_;
    managed.output_location.clear();
    managed.managed_results = true;
    auto reader = factory.Open(plan, managed, {});
    EXPECT_NE(dynamic_cast<GetQueryResultsReader*>(reader.get()), nullptr);
  }
  {
    fake_->fail_with = [](const aws::testing::FakeS3Request&) { return 403; };
    auto reader = factory.Open(plan, execution_, {});
    EXPECT_NE(dynamic_cast<GetQueryResultsReader*>(reader.get()), nullptr);
    athena::RowBatch batch;
    ASSERT_TRUE(reader->Next(batch));
    EXPECT_EQ(batch.num_rows(), 2u);
    EXPECT_EQ(reader->position().fetcher, "api");
  }
  EXPECT_EQ(fake_->Count("GET"), 0);  // only the HEAD was refused; nothing else was tried
}

TEST_F(ResultFetcherFactoryTest, ExplicitS3DoesNotFallBack) {
  auto factory = Factory();
  FetchPlan plan;
  plan.fetcher = ResultFetcherKind::kS3;
  fake_->fail_with = [](const aws::testing::FakeS3Request&) { return 403; };
  EXPECT_THROW(factory.Open(plan, execution_, {}), common::Error);
}

TEST_F(ResultFetcherFactoryTest, AResumedAutoReadKeepsTheFetcherOfItsPosition) {
  auto factory = Factory();
  FetchPlan plan;
  plan.fetcher = ResultFetcherKind::kAuto;
  ResultPosition api;
  api.fetcher = "api";
  api.rows_read = 1000;
  api.next_token = "tok";
  EXPECT_NE(dynamic_cast<GetQueryResultsReader*>(factory.Open(plan, execution_, api).get()),
            nullptr);
  ResultPosition s3;
  s3.fetcher = "s3";
  s3.rows_read = 1;
  s3.byte_offset = 9;
  auto reader = factory.Open(plan, execution_, s3);
  ASSERT_NE(dynamic_cast<S3ResultReader*>(reader.get()), nullptr);
  athena::RowBatch batch;
  ASSERT_TRUE(reader->Next(batch));
  ASSERT_EQ(batch.num_rows(), 1u);
  EXPECT_EQ(batch.cell(0, 0), "2");
}

TEST_F(ResultFetcherFactoryTest, CleanupRemovesTheUnloadFilesAndManifest) {
  options_.fetcher = ResultFetcherKind::kUnload;
  auto factory = Factory();
  const FetchPlan plan = factory.Plan("SELECT 1", "tok");
  fake_->Put("results", "staging/unload/tok/a", "x");
  fake_->Put("results", "staging/unload/tok/b", "y");
  fake_->Put("results", "staging/q9-manifest.csv",
             "s3://results/staging/unload/tok/a\ns3://results/staging/unload/tok/b\n");
  fake_->Put("results", "staging/unload/other/c", "z");
  athena::QueryExecution unload;
  unload.id = "q9";
  unload.manifest_location = "s3://results/staging/q9-manifest.csv";
  factory.Cleanup(plan, unload);
  EXPECT_FALSE(fake_->Has("results", "staging/unload/tok/a"));
  EXPECT_FALSE(fake_->Has("results", "staging/unload/tok/b"));
  EXPECT_FALSE(fake_->Has("results", "staging/q9-manifest.csv"));
  EXPECT_TRUE(fake_->Has("results", "staging/unload/other/c"));
}

TEST_F(ResultFetcherFactoryTest, TheColumnQueryOfAnEmptyUnloadHonoursQueryMaxAttempts) {
  // An UNLOAD that wrote no file: the columns come from a LIMIT 0 query, submitted like every
  // query.
  options_.fetcher = ResultFetcherKind::kUnload;
  options_.query_max_attempts = 2;
  int starts = 0;
  athena_fake_->handlers["StartQueryExecution"] = [&starts](const nlohmann::json& request) {
    EXPECT_EQ(request["QueryString"], "SELECT * FROM (\nSELECT 1 AS id\n) LIMIT 0");
    ++starts;
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"cols"})"));
  };
  athena_fake_->handlers["GetQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(
        200, athena::testing::ExecutionBody("cols", "FAILED", true, "Query exhausted resources"));
  };
  auto factory = Factory();
  const FetchPlan plan = factory.Plan("SELECT 1 AS id", "tok");
  fake_->Put("results", "staging/q9-manifest.csv", "");
  athena::QueryExecution unload;
  unload.id = "q9";
  unload.query = plan.sql;
  unload.manifest_location = "s3://results/staging/q9-manifest.csv";
  EXPECT_THROW(factory.Open(plan, unload, {}), common::QueryFailedError);
  EXPECT_EQ(starts, 2);
}

}  // namespace
}  // namespace ac::results
