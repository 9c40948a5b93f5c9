#include "athena/query_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "athena/fake_athena_test_util.h"
#include "common/error.h"

namespace ac::athena {
namespace {

using testing::ExecutionBody;
using testing::FakeAthena;
using ::testing::HasSubstr;

TEST(QueryRunnerTest, PollsWithBackoffDoublingToFiveSeconds) {
  auto fake = std::make_shared<FakeAthena>();
  int polls = 0;
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [&polls](const nlohmann::json&) {
    ++polls;
    return std::make_pair(
        200, ExecutionBody("q-1", polls < 10 ? (polls < 3 ? "QUEUED" : "RUNNING") : "SUCCEEDED"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel);
  std::string started;
  const QueryExecution execution =
      runner.Run({.sql = "SELECT 1"}, [&](const std::string& id) { started = id; });
  EXPECT_EQ(execution.state, "SUCCEEDED");
  EXPECT_EQ(started, "q-1");
  std::vector<int64_t> sleeps;
  for (const auto& s : clock.sleeps()) sleeps.push_back(s.count());
  EXPECT_EQ(sleeps, (std::vector<int64_t>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000}));
}

TEST(QueryRunnerTest, RetryableFailureIsResubmittedWithANewTokenThenGivesUp) {
  auto fake = std::make_shared<FakeAthena>();
  int starts = 0;
  fake->handlers["StartQueryExecution"] = [&starts](const nlohmann::json&) {
    ++starts;
    return std::make_pair(
        200, std::string(R"({"QueryExecutionId":"q-)") + std::to_string(starts) + "\"}");
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json& request) {
    return std::make_pair(200, ExecutionBody(request["QueryExecutionId"], "FAILED", true,
                                             "Query exhausted resources"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel, {.max_attempts = 3});
  try {
    runner.Run({.sql = "SELECT 1"});
    FAIL();
  } catch (const common::QueryFailedError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Athena query q-3 failed: Query exhausted resources"));
    EXPECT_THAT(e.what(), HasSubstr("retryable"));
  }
  EXPECT_EQ(starts, 3);
  std::set<std::string> tokens;
  for (const auto& call : fake->calls) {
    if (call.first == "StartQueryExecution")
      tokens.insert(call.second["ClientRequestToken"].get<std::string>());
  }
  EXPECT_EQ(tokens.size(), 3u);
}

TEST(QueryRunnerTest, ResubmissionsWaitTheBackoffOfTheClientsRetryPolicy) {
  // q-1 and q-2 fail as retryable, q-3 succeeds.
  auto fake = std::make_shared<FakeAthena>();
  std::vector<std::string> ids = {"q-3", "q-2", "q-1"};
  fake->handlers["StartQueryExecution"] = [&ids](const nlohmann::json&) {
    const nlohmann::json reply = {{"QueryExecutionId", ids.back()}};
    ids.pop_back();
    return std::make_pair(200, reply.dump());
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json& request) {
    const std::string id = request["QueryExecutionId"];
    const bool last = id == "q-3";
    return std::make_pair(
        200, last ? ExecutionBody(id, "SUCCEEDED") : ExecutionBody(id, "FAILED", true, "Slow"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  EXPECT_EQ(QueryRunner(*client, clock, cancel, {.max_attempts = 3}).Run({.sql = "SELECT 1"}).id,
            "q-3");
  // No polling (every state is terminal at once): the sleeps are the two resubmission backoffs,
  // full jitter under the policy's 100 ms x 2^(attempt-1).
  ASSERT_EQ(clock.sleeps().size(), 2u);
  EXPECT_LT(clock.sleeps()[0].count(), 100);
  EXPECT_LT(clock.sleeps()[1].count(), 200);
}

TEST(QueryRunnerTest, UserErrorsAreNotResubmittedAndReadLikeTheCause) {
  auto fake = std::make_shared<FakeAthena>();
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(
        200, ExecutionBody(
                 "q-1", "FAILED", false,
                 "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.nope' does not exist"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel);
  EXPECT_THROW(runner.Run({.sql = "SELECT * FROM nope"}), common::NotFoundError);
  EXPECT_EQ(fake->Count("StartQueryExecution"), 1);
}

TEST(QueryRunnerTest, TheWorkgroupBytesCutoffSaysWhatToChange) {
  for (const char* state : {"FAILED", "CANCELLED"}) {
    auto fake = std::make_shared<FakeAthena>();
    fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
      return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
    };
    fake->handlers["GetQueryExecution"] = [state](const nlohmann::json&) {
      nlohmann::json body = nlohmann::json::parse(ExecutionBody("q-1", state));
      body["QueryExecution"]["Status"]["StateChangeReason"] =
          "Query cancelled! : Bytes scanned limit was exceeded";
      return std::make_pair(200, body.dump());
    };
    common::FakeClock clock;
    common::CancellationToken cancel;
    auto client = testing::MakeFakeClient(fake, clock, &cancel);
    QueryRunner runner(*client, clock, cancel);
    try {
      runner.Run({.sql = "SELECT * FROM big"});
      FAIL() << state;
    } catch (const common::QueryFailedError& e) {
      EXPECT_THAT(e.what(), ::testing::HasSubstr("BytesScannedCutoffPerQuery"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("Raise the workgroup's limit"));
      EXPECT_THAT(e.what(), ::testing::HasSubstr("strategy partitions"));
    }
    EXPECT_EQ(fake->Count("StartQueryExecution"), 1);  // never resubmitted
  }
}

TEST(QueryRunnerTest, CancellationStopsTheRunningQuery) {
  auto fake = std::make_shared<FakeAthena>();
  common::CancellationToken cancel;
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [&cancel](const nlohmann::json&) {
    cancel.Cancel();  // the user presses Ctrl-C while the query runs
    return std::make_pair(200, ExecutionBody("q-1", "RUNNING"));
  };
  fake->handlers["StopQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string("{}"));
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock, nullptr);
  QueryRunner runner(*client, clock, cancel);
  EXPECT_THROW(runner.Run({.sql = "SELECT 1"}), common::CancelledError);
  ASSERT_EQ(fake->Count("StopQueryExecution"), 1);
}

TEST(QueryRunnerTest, CancellationDuringAPollStillStopsTheQuery) {
  auto fake = std::make_shared<FakeAthena>();
  common::CancellationToken cancel;
  fake->handlers["StartQueryExecution"] = [&cancel](const nlohmann::json&) {
    cancel.Cancel();  // interrupted before the first poll: GetQueryExecution itself is cancelled
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, ExecutionBody("q-1", "RUNNING"));
  };
  fake->handlers["StopQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string("{}"));
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel);
  EXPECT_THROW(runner.Run({.sql = "SELECT 1"}), common::CancelledError);
  EXPECT_EQ(fake->Count("GetQueryExecution"), 0);
  EXPECT_EQ(fake->Count("StopQueryExecution"), 1);  // never left running (and billing)
}

// A query that stays RUNNING forever: after the query deadline it is stopped and the run fails
// naming the limit (fake clock: no real waiting).
TEST(QueryRunnerTest, AQueryRunningPastItsDeadlineIsStoppedAndFailsNamingTheLimit) {
  auto fake = std::make_shared<FakeAthena>();
  int polls = 0;
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [&polls](const nlohmann::json&) {
    ++polls;
    return std::make_pair(200, ExecutionBody("q-1", "RUNNING"));
  };
  fake->handlers["StopQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string("{}"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunnerOptions options;
  options.timeout = std::chrono::minutes(2);
  QueryRunner runner(*client, clock, cancel, options);
  try {
    runner.Run({.sql = "SELECT 1"});
    FAIL() << "no error";
  } catch (const common::QueryFailedError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Athena query q-1 was still RUNNING after 2 minutes, the "
                                    "limit query_timeout_minutes; it was stopped"));
  }
  EXPECT_EQ(fake->Count("StopQueryExecution"), 1);
  EXPECT_EQ(fake->Count("StartQueryExecution"), 1);  // not resubmitted
  int64_t slept = 0;
  for (const auto& sleep : clock.sleeps()) slept += sleep.count();
  EXPECT_GE(slept, 120'000);
  EXPECT_LT(slept, 130'000);
  EXPECT_LT(polls, 40);
  // The default deadline is generous but finite.
  EXPECT_EQ(QueryRunnerOptions{}.timeout, std::chrono::minutes(60));
}

/// Athena answering StartQueryExecution with `code` (HTTP 400) `throttled` times, then "q-1".
std::shared_ptr<FakeAthena> ThrottlingAthena(int throttled, const std::string& code) {
  auto fake = std::make_shared<FakeAthena>();
  auto starts = std::make_shared<int>(0);
  fake->handlers["StartQueryExecution"] = [starts, throttled, code](const nlohmann::json&) {
    if ((*starts)++ < throttled) {
      return std::make_pair(400, R"({"__type":")" + code +
                                     R"(","Message":"You have exceeded the limit for the number )"
                                     R"(of queries you can run concurrently."})");
    }
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, ExecutionBody("q-1", "SUCCEEDED"));
  };
  return fake;
}

int64_t TotalSleptMs(const common::FakeClock& clock) {
  int64_t total = 0;
  for (const auto& s : clock.sleeps()) total += s.count();
  return total;
}

TEST(QueryRunnerTest, AFullActiveQueryQuotaIsWaitedForWithTheSameTokenWithoutFailing) {
  // 30 refusals: far more than one request's retries (5 attempts), and far more tokens than the
  // waits may take.
  auto fake = ThrottlingAthena(30, "TooManyRequestsException");
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  const int tokens_before = client->service().retry().available_tokens();
  QueryRunner runner(*client, clock, cancel);
  std::vector<std::string> started;
  const QueryExecution execution =
      runner.Run({.sql = "SELECT 1"}, [&](const std::string& id) { started.push_back(id); });
  EXPECT_EQ(execution.state, "SUCCEEDED");
  EXPECT_EQ(started, std::vector<std::string>{"q-1"});
  EXPECT_EQ(fake->Count("StartQueryExecution"), 31);
  std::set<std::string> tokens;
  for (const auto& call : fake->calls) {
    if (call.first == "StartQueryExecution")
      tokens.insert(call.second["ClientRequestToken"].get<std::string>());
  }
  EXPECT_EQ(tokens.size(), 1u);  // nothing was created: the same submission each time
  // 30 refusals in rounds of 5 requests: 6 rounds of 4 request retries (the policy's backoff),
  // each followed by a wait for capacity.
  EXPECT_EQ(clock.sleeps().size(), 6u * 4u + 6u);
  EXPECT_LT(TotalSleptMs(clock), 15 * 60 * 1000);
  // Neither the requests' own throttling retries nor the waits for capacity took tokens: a
  // throttling storm leaves the retry quota whole for transient errors.
  EXPECT_EQ(client->service().retry().available_tokens(), tokens_before);
}

TEST(QueryRunnerTest, ThrottlingBeyondTheMaxQuotaWaitFailsNamingTheQuota) {
  auto fake = ThrottlingAthena(1'000'000, "TooManyRequestsException");
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel);
  bool started = false;
  try {
    runner.Run({.sql = "SELECT 1"}, [&](const std::string&) { started = true; });
    FAIL() << "no throw";
  } catch (const common::TransientError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Athena kept refusing new queries for 900 s"));
    EXPECT_THAT(e.what(), HasSubstr("TooManyRequestsException"));
    EXPECT_THAT(e.what(), HasSubstr("quota of active queries"));
    EXPECT_THAT(e.what(), HasSubstr("max_parallel_tables"));
  }
  EXPECT_FALSE(started);
  EXPECT_EQ(fake->Count("GetQueryExecution"), 0);
  // The wait is bounded: 15 minutes from the first refused round, plus the retries of the first
  // and the last request (4 backoffs of at most 0.5, 1, 2 and 4 s each).
  EXPECT_GE(TotalSleptMs(clock), 15 * 60 * 1000);
  EXPECT_LT(TotalSleptMs(clock), 15 * 60 * 1000 + 2 * 7'500);
}

TEST(QueryRunnerTest, ARateThrottledSubmissionWaitsLikewise) {
  auto fake = ThrottlingAthena(7, "ThrottlingException");
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  EXPECT_EQ(QueryRunner(*client, clock, cancel).Run({.sql = "SELECT 1"}).state, "SUCCEEDED");
  EXPECT_EQ(fake->Count("StartQueryExecution"), 8);
}

TEST(QueryRunnerTest, CancellationEndsTheWaitForCapacity) {
  auto fake = ThrottlingAthena(1'000'000, "TooManyRequestsException");
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, nullptr);  // only the runner sees `cancel`
  fake->handlers["StartQueryExecution"] =
      [&cancel, handler = fake->handlers["StartQueryExecution"]](const nlohmann::json& request) {
        cancel.Cancel();  // Ctrl-C while waiting for capacity
        return handler(request);
      };
  QueryRunner runner(*client, clock, cancel);
  try {
    runner.Run({.sql = "SELECT 1"});
    FAIL() << "no throw";
  } catch (const common::CancelledError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cancelled while waiting for capacity"));
  }
  EXPECT_EQ(fake->Count("StartQueryExecution"), 5);  // one request and its retries
}

}  // namespace
}  // namespace ac::athena
