#include "athena/athena_client.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "athena/fake_athena_test_util.h"
#include "common/error.h"

namespace ac::athena {
namespace {

using testing::ExecutionBody;
using testing::FakeAthena;
using ::testing::HasSubstr;
using testing::ResultsBody;

const std::vector<std::pair<std::string, std::string>> kColumns = {{"customer_id", "bigint"},
                                                                   {"name", "varchar"}};

TEST(ParseGetQueryResultsTest, SkipsHeaderRowOnlyWhenToldAndKeepsNullApartFromEmpty) {
  RowBatch rows;
  const std::string body =
      ResultsBody(kColumns, {{"1", "\x01NULL"}, {"2", ""}, {"customer_id", "name"}}, true, "tok");
  ResultsPage page = ParseGetQueryResults(body, /*skip_header_row=*/true, rows);
  ASSERT_EQ(page.columns.size(), 2u);
  EXPECT_EQ(page.columns[0].name, "customer_id");
  EXPECT_EQ(page.columns[0].type.id, TypeId::kBigint);
  EXPECT_EQ(page.next_token, "tok");
  ASSERT_EQ(rows.num_rows(), 3u);  // a data row equal to the names is data, never dropped
  EXPECT_EQ(rows.cell(0, 0), "1");
  EXPECT_TRUE(rows.is_null(0, 1));
  EXPECT_FALSE(rows.is_null(1, 1));
  EXPECT_EQ(rows.cell(1, 1), "");
  EXPECT_EQ(rows.cell(2, 0), "customer_id");

  RowBatch all;
  page = ParseGetQueryResults(body, /*skip_header_row=*/false, all);
  EXPECT_EQ(all.num_rows(), 4u);
  EXPECT_TRUE(page.next_token.empty() == false);
}

TEST(ParseGetQueryResultsTest, MalformedResponsesAreProtocolErrors) {
  RowBatch rows;
  for (const char* bad :
       {"not json", "[]", R"({"NextToken": 5, "ResultSet": {}})", R"({"UpdateCount": 0})",
        R"({"ResultSet": {"Rows": [{"Data": [{"VarCharValue": "1"}]}],
                              "ResultSetMetadata": {"ColumnInfo": [{"Name": "a", "Type": "bigint"}, {"Name": "b", "Type": "bigint"}]}}})"}) {
    EXPECT_THROW(ParseGetQueryResults(bad, false, rows), common::ProtocolError) << bad;
  }
}

TEST(AthenaClientTest, StartQueryExecutionSendsTokenContextAndOutputLocation) {
  auto fake = std::make_shared<FakeAthena>();
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock);
  StartQueryRequest request;
  request.sql = "SELECT * FROM test_rows";
  request.database = "default";
  request.catalog = "AwsDataCatalog";
  request.output_location = "s3://b/p/";
  EXPECT_EQ(client->StartQueryExecution(request), "q-1");
  const nlohmann::json& sent = fake->calls.at(0).second;
  EXPECT_EQ(sent["QueryString"], "SELECT * FROM test_rows");
  EXPECT_EQ(sent["QueryExecutionContext"]["Database"], "default");
  EXPECT_EQ(sent["QueryExecutionContext"]["Catalog"], "AwsDataCatalog");
  EXPECT_EQ(sent["ResultConfiguration"]["OutputLocation"], "s3://b/p/");
  EXPECT_GE(sent["ClientRequestToken"].get<std::string>().size(), 32u);
  EXPECT_FALSE(sent.contains("WorkGroup"));
  EXPECT_FALSE(sent.contains("ResultReuseConfiguration"));
  EXPECT_FALSE(sent.contains("ExecutionParameters"));

  request.result_reuse_minutes = 90;
  client->StartQueryExecution(request);
  const nlohmann::json& reuse = fake->calls.at(1).second["ResultReuseConfiguration"];
  EXPECT_EQ(reuse["ResultReuseByAgeConfiguration"]["Enabled"], true);
  EXPECT_EQ(reuse["ResultReuseByAgeConfiguration"]["MaxAgeInMinutes"], 90);

  request.execution_parameters = {"'2026-12-01'", "42"};
  client->StartQueryExecution(request);
  EXPECT_EQ(fake->calls.at(2).second["ExecutionParameters"],
            nlohmann::json::array({"'2026-12-01'", "42"}));
}

TEST(AthenaClientTest, GetQueryExecutionReadsTheExecutionParameters) {
  auto fake = std::make_shared<FakeAthena>();
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(
        200, std::string(R"({"QueryExecution":{"QueryExecutionId":"q-1","Query":"SELECT ?",
             "ExecutionParameters":["DATE '2026-12-01'"],"Status":{"State":"SUCCEEDED"}}})"));
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock);
  const QueryExecution execution = client->GetQueryExecution("q-1");
  EXPECT_EQ(execution.execution_parameters, std::vector<std::string>{"DATE '2026-12-01'"});
}

TEST(AthenaClientTest, ErrorsCarryTheAwsCodeAndMessage) {
  auto fake = std::make_shared<FakeAthena>();
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(
        400,
        std::string(
            R"({"__type":"InvalidRequestException","AthenaErrorCode":"INVALID_INPUT","Message":"QueryExecution q-9 was not found"})"));
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock);
  try {
    client->GetQueryExecution("q-9");
    FAIL();
  } catch (const common::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("InvalidRequestException"));
    EXPECT_THAT(e.what(), HasSubstr("QueryExecution q-9 was not found"));
  }
  EXPECT_EQ(fake->Count("GetQueryExecution"), 1);  // not retried
}

TEST(AthenaClientTest, ListTableMetadataReadsEveryPageWithDeclaredTypes) {
  auto fake = std::make_shared<FakeAthena>();
  std::vector<std::string> tokens;
  fake->handlers["ListTableMetadata"] = [&tokens](const nlohmann::json& request) {
    EXPECT_EQ(request["CatalogName"], "AwsDataCatalog");
    EXPECT_EQ(request["DatabaseName"], "shop");
    const std::string token = request.value("NextToken", "");
    tokens.push_back(token);
    nlohmann::json page;
    if (token.empty()) {
      page["TableMetadataList"] = {
          {{"Name", "orders"},
           {"TableType", "EXTERNAL_TABLE"},
           {"Columns",
            {{{"Name", "id"}, {"Type", "bigint"}}, {{"Name", "price"}, {"Type", "decimal(10,2)"}}}},
           {"PartitionKeys", {{{"Name", "dt"}, {"Type", "string"}}}}}};
      page["NextToken"] = "t2";
    } else {
      page["TableMetadataList"] = {{{"Name", "big"},
                                    {"TableType", "VIRTUAL_VIEW"},
                                    {"Columns", {{{"Name", "tags"}, {"Type", "array<string>"}}}}}};
    }
    return std::make_pair(200, page.dump());
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock);
  const std::vector<TableMetadata> tables = client->ListTableMetadata("AwsDataCatalog", "shop");
  EXPECT_EQ(tokens, (std::vector<std::string>{"", "t2"}));
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0].name, "orders");
  ASSERT_EQ(tables[0].columns.size(), 2u);
  EXPECT_EQ(tables[0].columns[1].type.id, TypeId::kDecimal);
  EXPECT_EQ(tables[0].columns[1].type.precision, 10);
  ASSERT_EQ(tables[0].partition_keys.size(), 1u);
  EXPECT_EQ(tables[0].partition_keys[0].name, "dt");
  EXPECT_EQ(tables[1].table_type, "VIRTUAL_VIEW");
  EXPECT_EQ(tables[1].columns[0].type.id, TypeId::kArray);
}

TEST(AthenaClientTest, ListTableMetadataRejectsMalformedPagesAndAnEndlessToken) {
  auto fake = std::make_shared<FakeAthena>();
  std::string reply;
  fake->handlers["ListTableMetadata"] = [&reply](const nlohmann::json&) {
    return std::make_pair(200, reply);
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock);
  for (const char* bad : {R"({"TableMetadataList":{}})", R"({"TableMetadataList":[5]})",
                          R"({"TableMetadataList":[],"NextToken":"same"})"}) {
    reply = bad;
    EXPECT_THROW(client->ListTableMetadata("AwsDataCatalog", "shop"), common::ProtocolError) << bad;
  }
}

TEST(AthenaClientTest, ListDatabasesAndListTableMetadataStopAtACycleOfTokens) {
  auto fake = std::make_shared<FakeAthena>();
  int calls = 0;
  const auto cycle = [&calls](const char* list) {
    return [&calls, list](const nlohmann::json&) {
      const char* next = calls++ % 2 == 0 ? "t1" : "t2";  // t1, t2, t1, ...
      return std::make_pair(200, fmt::format(R"({{"{}":[],"NextToken":"{}"}})", list, next));
    };
  };
  fake->handlers["ListDatabases"] = cycle("DatabaseList");
  fake->handlers["ListTableMetadata"] = cycle("TableMetadataList");
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock);
  try {
    client->ListDatabases("AwsDataCatalog");
    FAIL() << "no error";
  } catch (const common::ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("Athena ListDatabases returned a NextToken it had already "
                                         "returned (after 3 pages)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(fake->Count("ListDatabases"), 3);
  calls = 0;
  EXPECT_THROW(client->ListTableMetadata("AwsDataCatalog", "shop"), common::ProtocolError);
  EXPECT_EQ(fake->Count("ListTableMetadata"), 3);
}

}  // namespace
}  // namespace ac::athena
