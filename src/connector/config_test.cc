#include "connector/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"

namespace ac::connector {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::map<std::string, std::string> ExampleKeys() {
  return {{"aws_access_key_id", "AKIDEXAMPLE"},
          {"aws_secret_access_key", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
          {"region_name", "us-east-1"},
          {"database_name", "sales"},
          {"s3_staging_dir", "s3://my-results/athena/"}};
}

std::string ErrorOf(const std::map<std::string, std::string>& values) {
  try {
    Config::Parse(values);
  } catch (const common::ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(ConfigTest, FiveKeysReproduceThePythonExample) {
  const Config config = Config::Parse(ExampleKeys());
  EXPECT_EQ(config.access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(config.secret_access_key.Reveal(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  EXPECT_EQ(config.region, "us-east-1");
  EXPECT_EQ(config.database, "sales");
  EXPECT_EQ(config.staging.bucket, "my-results");
  EXPECT_EQ(config.staging.prefix, "athena/");
  EXPECT_EQ(config.catalog, "AwsDataCatalog");
  EXPECT_EQ(config.workgroup, "");
  ASSERT_EQ(config.tables.size(), 1u);
  EXPECT_EQ(config.tables[0].source_table, "test_rows");
  EXPECT_EQ(config.tables[0].destination_table, "customers");
  EXPECT_EQ(config.tables[0].primary_key, std::vector<std::string>{"customer_id"});
  EXPECT_EQ(config.tables[0].BaseSql(), "SELECT * FROM \"test_rows\"");
  EXPECT_EQ(config.result_fetcher, ResultFetcherKind::kAuto);
}

TEST(ConfigTest, EachMissingRequiredKeyIsNamed) {
  for (const char* key : {"aws_access_key_id", "aws_secret_access_key", "region_name",
                          "database_name", "s3_staging_dir"}) {
    auto values = ExampleKeys();
    values.erase(key);
    EXPECT_EQ(ErrorOf(values), std::string("missing required configuration key '") + key + "'");
    values[key] = "   ";
    EXPECT_EQ(ErrorOf(values), std::string("missing required configuration key '") + key + "'");
  }
}

TEST(ConfigTest, BadValuesNameTheKeyAndNeverTheSecret) {
  auto values = ExampleKeys();
  values["s3_staging_dir"] = "/tmp/results";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'s3_staging_dir' must be an s3://bucket/prefix/ URI"));
  values = ExampleKeys();
  values["s3_staging_dir"] = "s3://UPPER_case/x/";
  EXPECT_THAT(ErrorOf(values), HasSubstr("invalid bucket name"));
  values = ExampleKeys();
  values["region_name"] = "US East";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'region_name'"));
  values = ExampleKeys();
  values["checkpoint_interval_rows"] = "-5";
  EXPECT_THAT(ErrorOf(values),
              HasSubstr("'checkpoint_interval_rows' must be an integer between 1"));
  values = ExampleKeys();
  values["result_fetcher"] = "fast";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'result_fetcher' must be one of auto, api, s3, unload"));
  values = ExampleKeys();
  values["athena_endpoint_url"] = "localhost:4510";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'athena_endpoint_url' must be an http(s):// URL"));
  values = ExampleKeys();
  values["source_table"] = "t";
  values["query"] = "SELECT 1";
  EXPECT_THAT(ErrorOf(values), HasSubstr("either 'source_table' or 'query'"));
  values = ExampleKeys();
  values["role_arn"] = "my-role";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'role_arn' must be an IAM role ARN"));
  for (const auto& [key, value] : ExampleKeys()) {
    (void)key;
    EXPECT_THAT(ErrorOf(values), Not(HasSubstr("wJalrXUtnFEMI")));
  }
}

TEST(ConfigTest, MaxParallelTablesDefaultsToFourAndAllowsOneToThirtyTwo) {
  EXPECT_EQ(Config::Parse(ExampleKeys()).max_parallel_tables, 4);
  auto values = ExampleKeys();
  for (const auto& [text, parsed] :
       std::vector<std::pair<std::string, int>>{{"1", 1}, {" 12 ", 12}, {"32", 32}}) {
    values["max_parallel_tables"] = text;
    EXPECT_EQ(Config::Parse(values).max_parallel_tables, parsed) << text;
  }
  for (const char* bad : {"0", "33", "-1", "4.5", "four", "1e2"}) {
    values["max_parallel_tables"] = bad;
    EXPECT_EQ(ErrorOf(values),
              std::string("configuration key 'max_parallel_tables' must be an integer between 1 "
                          "and 32, got '") +
                  bad + "'");
  }
}

TEST(ConfigTest, RetryMaxSecondsDefaultsToFiveMinutesAndAllowsOneToAnHour) {
  EXPECT_EQ(Config::Parse(ExampleKeys()).retry_max_seconds, 300);
  auto values = ExampleKeys();
  for (const auto& [text, parsed] :
       std::vector<std::pair<std::string, int>>{{"1", 1}, {" 30 ", 30}, {"3600", 3600}}) {
    values["retry_max_seconds"] = text;
    EXPECT_EQ(Config::Parse(values).retry_max_seconds, parsed) << text;
  }
  for (const char* bad : {"0", "3601", "-5", "1.5", "five"}) {
    values["retry_max_seconds"] = bad;
    EXPECT_EQ(ErrorOf(values),
              std::string("configuration key 'retry_max_seconds' must be an integer between 1 "
                          "and 3600, got '") +
                  bad + "'");
  }
}

TEST(ConfigTest, RetryBaseDelayDefaultsToOneHundredMilliseconds) {
  EXPECT_EQ(Config::Parse(ExampleKeys()).retry_base_delay_ms, 100);
  auto values = ExampleKeys();
  values["retry_base_delay_ms"] = "5";
  EXPECT_EQ(Config::Parse(values).retry_base_delay_ms, 5);
  values["retry_base_delay_ms"] = "0";
  EXPECT_EQ(ErrorOf(values),
            "configuration key 'retry_base_delay_ms' must be an integer between 1 and 10000, got "
            "'0'");
}

TEST(ConfigTest, RetryModeIsAdaptiveOrStandard) {
  EXPECT_TRUE(Config::Parse(ExampleKeys()).retry_adaptive);
  auto values = ExampleKeys();
  values["retry_mode"] = "standard";
  EXPECT_FALSE(Config::Parse(values).retry_adaptive);
  values["retry_mode"] = "adaptive";
  EXPECT_TRUE(Config::Parse(values).retry_adaptive);
  values["retry_mode"] = "legacy";
  EXPECT_EQ(ErrorOf(values),
            "configuration key 'retry_mode' must be one of adaptive, standard; got 'legacy'");
}

TEST(ConfigTest, UnknownKeysAreReportedWithASuggestion) {
  auto values = ExampleKeys();
  values["region"] = "us-east-1";
  EXPECT_THAT(ErrorOf(values), HasSubstr("unknown configuration key 'region'"));
  values.erase("region");
  values["databse_name"] = "x";
  EXPECT_EQ(ErrorOf(values),
            "unknown configuration key 'databse_name' (did you mean 'database_name'?)");
}

TEST(ConfigTest, OptionalKeysAndCompositeKeys) {
  auto values = ExampleKeys();
  values["query"] = "SELECT a, b, c FROM t";
  values["destination_table"] = "facts";
  values["primary_key"] = " a , b ";
  values["workgroup"] = "analytics";
  values["s3_staging_dir"] = "s3://bucket-1";
  values["result_fetcher"] = "s3";
  values["s3_part_size_mb"] = "16";
  values["s3_concurrency"] = "4";
  values["aws_session_token"] = "token";
  const Config config = Config::Parse(values);
  EXPECT_EQ(config.tables[0].primary_key, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(config.tables[0].BaseSql(), "SELECT a, b, c FROM t");
  EXPECT_EQ(config.tables[0].destination_table, "facts");
  EXPECT_EQ(config.staging.ToString(), "s3://bucket-1/");
  EXPECT_EQ(config.result_fetcher, ResultFetcherKind::kS3);
  EXPECT_EQ(config.s3_part_size_bytes, 16 << 20);
  EXPECT_EQ(config.s3_concurrency, 4);
  EXPECT_EQ(config.workgroup, "analytics");
  EXPECT_FALSE(config.session_token.empty());
}

TEST(ConfigTest, TablesListForSeveralTables) {
  auto values = ExampleKeys();
  values["tables"] =
      R"([{"source_table": "orders", "primary_key": ["order_id", "line"], "cursor_column": "updated_at"},
                         {"query": "SELECT * FROM x", "destination_table": "x_copy", "primary_key": "id"}])";
  const Config config = Config::Parse(values);
  ASSERT_EQ(config.tables.size(), 2u);
  EXPECT_EQ(config.tables[0].destination_table, "orders");
  EXPECT_EQ(config.tables[0].primary_key, (std::vector<std::string>{"order_id", "line"}));
  EXPECT_EQ(config.tables[0].cursor_column, "updated_at");
  EXPECT_EQ(config.tables[1].destination_table, "x_copy");

  values["tables"] = "[{\"query\": \"SELECT 1\"}]";
  EXPECT_THAT(ErrorOf(values), HasSubstr("needs 'destination_table'"));
  values["tables"] = "not json";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'tables' is not valid JSON"));
  values["tables"] = R"([{"source_table": "a"}, {"source_table": "a"}])";
  EXPECT_THAT(ErrorOf(values), HasSubstr("appears twice"));
  values["tables"] = R"([{"source_table": "a", "colour": "red"}])";
  EXPECT_THAT(ErrorOf(values), HasSubstr("unknown key 'colour'"));
  values["tables"] = R"([{"source_table": "a"}])";
  values["source_table"] = "b";
  EXPECT_THAT(ErrorOf(values), HasSubstr("cannot be combined with 'tables'"));
}

// A syntax error inside a secret's value must not print the value (nlohmann quotes what it read).
TEST(ConfigTest, AJsonSyntaxErrorNeverQuotesTheText) {
  try {
    Config::FromJson(R"({"aws_access_key_id": "k", "aws_secret_access_key": "abc\q-s3cr3t"})",
                     "configuration.json");
    FAIL() << "no error";
  } catch (const common::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("configuration.json is not valid JSON: syntax error at byte"));
    EXPECT_THAT(e.what(), Not(HasSubstr("abc")));
    EXPECT_THAT(e.what(), Not(HasSubstr("s3cr3t")));
  }
}

TEST(ConfigTest, FromJsonRequiresAnObjectOfStrings) {
  EXPECT_THROW(Config::FromJson("[1]", "configuration.json"), common::ConfigError);
  try {
    Config::FromJson(R"({"aws_access_key_id": 5})", "configuration.json");
    FAIL();
  } catch (const common::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'aws_access_key_id' must be a string"));
  }
  try {
    Config::FromJson("{", "configuration.json");
    FAIL();
  } catch (const common::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("configuration.json is not valid JSON"));
  }
}

TEST(ConfigTest, EveryFieldHasALabelAndDescription) {
  for (const auto& field : ConfigFields()) {
    EXPECT_FALSE(field.label.empty()) << field.name;
    EXPECT_FALSE(field.description.empty()) << field.name;
  }
}

TEST(ConfigTest, StarDiscoversEveryTableWithKeysFromPrimaryKeys) {
  auto values = ExampleKeys();
  values["tables"] = " * ";
  values["primary_keys"] = R"({"orders": ["order_id"], "lines": "order_id, line_no"})";
  const Config config = Config::Parse(values);
  EXPECT_TRUE(config.discover_tables);
  EXPECT_TRUE(config.tables.empty());
  ASSERT_EQ(config.primary_keys.size(), 2u);
  EXPECT_EQ(config.primary_keys.at("orders"), std::vector<std::string>{"order_id"});
  EXPECT_EQ(config.primary_keys.at("lines"), (std::vector<std::string>{"order_id", "line_no"}));

  values.erase("primary_keys");
  EXPECT_TRUE(Config::Parse(values).primary_keys.empty());  // every table keyless
}

TEST(ConfigTest, PrimaryKeysMistakesAreNamed) {
  auto values = ExampleKeys();
  values["tables"] = "*";
  values["primary_keys"] = R"(["orders"])";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'primary_keys' must be a JSON object"));
  values["primary_keys"] = R"({"orders": []})";
  EXPECT_THAT(ErrorOf(values), HasSubstr("table 'orders' needs at least one key column"));
  values["primary_keys"] = R"({"orders": [1]})";
  EXPECT_THAT(ErrorOf(values), HasSubstr("must list strings"));
  values["primary_keys"] = R"({"orders": ["id"])";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'primary_keys' is not valid JSON"));
  values["primary_keys"] = R"({"orders": ["a;b"]})";
  EXPECT_THAT(ErrorOf(values), HasSubstr("invalid character"));

  // Only with discovery; never mixed with single-table keys.
  values["primary_keys"] = R"({"orders": ["id"]})";
  values.erase("tables");
  EXPECT_THAT(ErrorOf(values), HasSubstr("applies to 'tables' = '*' only"));
  values["tables"] = "*";
  values["source_table"] = "orders";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'source_table' cannot be combined with 'tables' = '*'"));
}

TEST(ConfigTest, BaseSqlNamesTheChosenColumnsQuoted) {
  TableConfig table;
  table.source_table = "group";
  EXPECT_EQ(table.BaseSql(), R"(SELECT * FROM "group")");
  table.source_database = "shop";
  EXPECT_EQ(table.BaseSql({"from", "Mixed Case", "a\"b"}),
            R"(SELECT "from", "Mixed Case", "a""b" FROM "shop"."group")");
  table.query = "SELECT 1 AS x";
  EXPECT_EQ(table.BaseSql({"x"}), "SELECT 1 AS x");  // a query runs as written
}

TEST(ConfigTest, SeveralDatabasesNeedDiscoveryAndAreNamedOnce) {
  auto values = ExampleKeys();
  values["database_name"] = "sales, web";
  EXPECT_THAT(ErrorOf(values), HasSubstr("several databases need 'tables' = '*'"));
  values["tables"] = "*";
  const Config config = Config::Parse(values);
  EXPECT_EQ(config.databases, (std::vector<std::string>{"sales", "web"}));
  EXPECT_EQ(config.database, "sales");
  EXPECT_TRUE(config.UsesSchemas());
  values["database_name"] = "sales,web,sales";
  EXPECT_THAT(ErrorOf(values), HasSubstr("names 'sales' twice"));
  values["database_name"] = " , ";
  EXPECT_EQ(ErrorOf(values), "missing required configuration key 'database_name'");
  values["database_name"] = "sales";
  EXPECT_FALSE(Config::Parse(values).UsesSchemas());  // one database: the connection's schema
}

TEST(ConfigTest, PriceAndResultReuse) {
  auto values = ExampleKeys();
  EXPECT_EQ(Config::Parse(values).price_per_tb_usd, 5.0);
  EXPECT_EQ(Config::Parse(values).result_reuse_minutes, 0);
  values["price_per_tb_usd"] = "6.75";
  values["result_reuse_minutes"] = "60";
  EXPECT_EQ(Config::Parse(values).price_per_tb_usd, 6.75);
  EXPECT_EQ(Config::Parse(values).result_reuse_minutes, 60);
  for (const char* bad : {"five", "-1", "1e9", "5$"}) {
    values["price_per_tb_usd"] = bad;
    EXPECT_THAT(ErrorOf(values), HasSubstr("'price_per_tb_usd' must be a number of dollars"))
        << bad;
  }
  values["price_per_tb_usd"] = "5";
  values["result_reuse_minutes"] = "10081";  // Athena's limit is 7 days
  EXPECT_THAT(ErrorOf(values), HasSubstr("'result_reuse_minutes' must be an integer between 0"));
}

TEST(ConfigTest, ScanCapTakesASizeWithAUnit) {
  auto values = ExampleKeys();
  EXPECT_EQ(Config::Parse(values).max_bytes_scanned_per_sync, 0);  // no cap
  values["max_bytes_scanned_per_sync"] = "500GB";
  EXPECT_EQ(Config::Parse(values).max_bytes_scanned_per_sync, int64_t{500} << 30);
  values["max_bytes_scanned_per_sync"] = "1.5 tb";
  EXPECT_EQ(Config::Parse(values).max_bytes_scanned_per_sync, int64_t{3} << 39);
  values["max_bytes_scanned_per_sync"] = "20971520";
  EXPECT_EQ(Config::Parse(values).max_bytes_scanned_per_sync, 20971520);
  for (const char* bad : {"lots", "5 parsecs", "1MB", "-2GB"}) {
    values["max_bytes_scanned_per_sync"] = bad;
    EXPECT_THAT(ErrorOf(values), HasSubstr("'max_bytes_scanned_per_sync' must be a size")) << bad;
  }
}

TEST(ConfigTest, SyncSettingsAtTheTopAreEveryTablesDefaults) {
  auto values = ExampleKeys();
  Config config = Config::Parse(values);
  EXPECT_EQ(config.tables[0].strategy, SyncStrategy::kAuto);
  EXPECT_EQ(config.tables[0].partition_lookback, 2);
  EXPECT_EQ(config.tables[0].delete_detection_every, 0);
  EXPECT_EQ(config.partitions_per_query, 50);

  values["strategy"] = "partitions";
  values["partition_column"] = "dt";
  values["partition_lookback"] = "7";
  values["partitions_per_query"] = "30";
  values["delete_detection_every"] = "5";
  config = Config::Parse(values);
  EXPECT_EQ(config.tables[0].strategy, SyncStrategy::kPartitions);
  EXPECT_EQ(config.tables[0].partition_column, "dt");
  EXPECT_EQ(config.tables[0].partition_lookback, 7);
  EXPECT_EQ(config.tables[0].delete_detection_every, 5);
  EXPECT_EQ(config.partitions_per_query, 30);

  // A `tables` entry overrides the defaults; numbers may be JSON numbers.
  values = ExampleKeys();
  values["partition_lookback"] = "3";
  values["tables"] =
      R"j([{"source_table": "a", "primary_key": "id"},
           {"source_table": "b", "primary_key": "id", "partition_lookback": 1,
            "strategy": "cursor", "cursor_column": "at", "delete_detection_every": 2}])j";
  config = Config::Parse(values);
  EXPECT_EQ(config.tables[0].partition_lookback, 3);
  EXPECT_EQ(config.tables[1].partition_lookback, 1);
  EXPECT_EQ(config.tables[1].strategy, SyncStrategy::kCursor);
  EXPECT_EQ(config.tables[1].delete_detection_every, 2);
}

TEST(ConfigTest, SyncSettingsThatDoNotFitAreNamed) {
  auto with = [](std::map<std::string, std::string> extra) {
    auto values = ExampleKeys();
    for (auto& [k, v] : extra) values[k] = v;
    return ErrorOf(values);
  };
  EXPECT_THAT(with({{"strategy", "newest"}}), HasSubstr("'strategy' must be one of auto"));
  EXPECT_THAT(with({{"strategy", "cursor"}}), HasSubstr("strategy 'cursor' needs 'cursor_column'"));
  EXPECT_THAT(with({{"partition_lookback", "-1"}}), HasSubstr("'partition_lookback'"));
  EXPECT_THAT(with({{"partitions_per_query", "0"}}), HasSubstr("'partitions_per_query'"));
  EXPECT_THAT(with({{"query", "SELECT 1"}, {"source_table", ""}, {"strategy", "partitions"}}),
              HasSubstr("need a 'source_table'"));
  EXPECT_THAT(with({{"delete_detection_every", "3"}, {"primary_key", ""}}),
              HasSubstr("'delete_detection_every' needs a primary key"));
  EXPECT_THAT(with({{"delete_detection_every", "3"}, {"strategy", "full_refresh"}}),
              HasSubstr("applies to incremental tables"));
  EXPECT_THAT(with({{"table_settings", R"({"a": {}})"}}),
              HasSubstr("'table_settings' applies to 'tables' = '*' only"));
}

TEST(ConfigTest, TableSettingsGiveDiscoveredTablesTheirOwn) {
  auto values = ExampleKeys();
  values["tables"] = "*";
  values["delete_detection_every"] = "4";
  values["table_settings"] =
      R"j({"orders": {"cursor_column": "updated_at", "strategy": "cursor"},
           "sales.events": {"partition_lookback": 10, "delete_detection_every": "0"}})j";
  const Config config = Config::Parse(values);
  TableConfig orders;
  orders.source_table = "orders";
  orders.destination_table = "orders";
  orders.primary_key = {"id"};
  config.ApplyTableSettings("sales", orders);
  EXPECT_EQ(orders.strategy, SyncStrategy::kCursor);
  EXPECT_EQ(orders.cursor_column, "updated_at");
  EXPECT_EQ(orders.delete_detection_every, 4);  // the default
  TableConfig events;
  events.source_table = "events";
  events.destination_table = "events";
  config.ApplyTableSettings("sales", events);  // keyless: the default delete detection left out
  EXPECT_EQ(events.partition_lookback, 10);
  EXPECT_EQ(events.delete_detection_every, 0);
  TableConfig keyless;
  keyless.source_table = "clicks";
  config.ApplyTableSettings("sales", keyless);
  EXPECT_EQ(keyless.delete_detection_every, 0);

  values["table_settings"] = R"({"orders": {"cursor": "x"}})";
  EXPECT_THAT(ErrorOf(values), HasSubstr("table 'orders' has unknown setting 'cursor'"));
  values["table_settings"] = R"({"orders": {"partition_lookback": "soon"}})";
  EXPECT_THAT(ErrorOf(values), HasSubstr("'partition_lookback'"));
  values["table_settings"] = R"({"orders": {"strategy": "cursor"}})";
  EXPECT_EQ(ErrorOf(values), "");  // checked per table: the cursor may come with the table
}

}  // namespace
}  // namespace ac::connector
