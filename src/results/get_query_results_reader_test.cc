#include "results/get_query_results_reader.h"

#include <gtest/gtest.h>

#include "athena/fake_athena_test_util.h"
#include "common/error.h"

namespace ac::results {
namespace {

using athena::QueryExecution;
using athena::RowBatch;
using athena::testing::FakeAthena;
using athena::testing::MakeFakeClient;
using athena::testing::ResultsBody;

const std::vector<std::pair<std::string, std::string>> kColumns = {{"customer_id", "bigint"},
                                                                   {"name", "varchar"}};

TEST(GetQueryResultsReaderTest, PagesThroughWithHeaderSkippedOnFirstPageOnly) {
  auto fake = std::make_shared<FakeAthena>();
  fake->handlers["GetQueryResults"] = [](const nlohmann::json& request) {
    const std::string token = request.value("NextToken", "");
    if (token.empty())
      return std::make_pair(200, ResultsBody(kColumns, {{"1", "a"}, {"2", "b"}}, true, "p2"));
    if (token == "p2")
      return std::make_pair(
          200, ResultsBody(kColumns, {{"customer_id", "name"}, {"3", "c"}}, false, "p3"));
    return std::make_pair(200, ResultsBody(kColumns, {{"4", "\x01NULL"}}, false));
  };
  common::FakeClock clock;
  auto client = MakeFakeClient(fake, clock);
  QueryExecution done;
  done.id = "q-1";
  done.state = "SUCCEEDED";
  done.statement_type = "DML";
  done.substatement_type = "SELECT";
  GetQueryResultsReader reader(*client, done, {}, 3);
  ASSERT_EQ(reader.columns().size(), 2u);
  std::vector<std::string> ids;
  RowBatch batch;
  std::vector<ResultPosition> positions;
  while (reader.Next(batch)) {
    for (size_t r = 0; r < batch.num_rows(); ++r) ids.emplace_back(batch.cell(r, 0));
    positions.push_back(reader.position());
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "customer_id", "3", "4"}));
  ASSERT_EQ(positions.size(), 3u);
  EXPECT_EQ(positions[0].rows_read, 2);
  EXPECT_EQ(positions[0].next_token, "p2");
  EXPECT_EQ(positions[1].next_token, "p3");
  EXPECT_TRUE(positions[2].at_end);
  for (const auto& call : fake->calls) {
    if (call.first == "GetQueryResults") {
      EXPECT_EQ(call.second["MaxResults"], 3);
    }
  }

  // Resuming from the saved position reads only the rest, with no header skipping.
  GetQueryResultsReader resumed(*client, done, positions[0], 3);
  ids.clear();
  while (resumed.Next(batch)) {
    for (size_t r = 0; r < batch.num_rows(); ++r) ids.emplace_back(batch.cell(r, 0));
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"customer_id", "3", "4"}));
}

// A NextToken handed out again (the same one forever, or a cycle) ends the read with one clear
// error instead of paging forever.
TEST(GetQueryResultsReaderTest, ARepeatingNextTokenIsALoopNotAnEndlessRead) {
  for (const std::vector<std::string>& cycle :
       {std::vector<std::string>{"same"}, std::vector<std::string>{"a", "b", "c"}}) {
    auto fake = std::make_shared<FakeAthena>();
    int pages = 0;
    fake->handlers["GetQueryResults"] = [&](const nlohmann::json&) {
      const std::string next = cycle[static_cast<size_t>(pages++) % cycle.size()];
      return std::make_pair(200, ResultsBody(kColumns, {{"1", "a"}}, pages == 1, next));
    };
    common::FakeClock clock;
    auto client = MakeFakeClient(fake, clock);
    QueryExecution done;
    done.id = "q-loop";
    done.state = "SUCCEEDED";
    done.statement_type = "DML";
    done.substatement_type = "SELECT";
    GetQueryResultsReader reader(*client, done, {}, 1);
    RowBatch batch;
    int batches = 0;
    try {
      while (reader.Next(batch)) ASSERT_LT(++batches, 1000) << "the read does not end";
      ADD_FAILURE() << "the read ended without an error";
    } catch (const common::ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find("Athena GetQueryResults of query q-loop returned a "
                                           "NextToken it had already returned"),
                std::string::npos)
          << e.what();
    }
    EXPECT_LE(pages, static_cast<int>(cycle.size()) + 1);
  }
}

// A resumed read whose saved token comes back as the next one loops too.
TEST(GetQueryResultsReaderTest, AResumedTokenThatComesBackIsALoop) {
  auto fake = std::make_shared<FakeAthena>();
  fake->handlers["GetQueryResults"] = [](const nlohmann::json&) {
    return std::make_pair(200, ResultsBody(kColumns, {{"1", "a"}}, false, "saved"));
  };
  common::FakeClock clock;
  auto client = MakeFakeClient(fake, clock);
  QueryExecution done;
  done.id = "q-2";
  done.state = "SUCCEEDED";
  ResultPosition start;
  start.fetcher = "api";
  start.rows_read = 5;
  start.next_token = "saved";
  EXPECT_THROW(GetQueryResultsReader(*client, done, start, 1), common::ProtocolError);
}

}  // namespace
}  // namespace ac::results
