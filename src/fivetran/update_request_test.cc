#include "fivetran/update_request.h"

#include <gtest/gtest.h>

#include "connector/sync_state.h"

namespace ac::fivetran {
namespace {

connector::Config TwoTables() {
  return connector::Config::Parse(
      {{"aws_access_key_id", "k"},
       {"aws_secret_access_key", "s"},
       {"region_name", "us-east-1"},
       {"database_name", "default"},
       {"s3_staging_dir", "s3://bucket/prefix/"},
       {"tables", R"([{"source_table":"a"},{"source_table":"b","primary_key":"id"}])"}});
}

TEST(UpdateRequestTest, StateAbsentEmptyOrObject) {
  pb::UpdateRequest request;
  EXPECT_EQ(ValidatedState(request), "");
  request.set_state_json("  ");
  EXPECT_EQ(ValidatedState(request), "");
  request.set_state_json("{}");
  EXPECT_EQ(ValidatedState(request), "{}");
  const std::string saved = connector::SyncState().ToJson();
  request.set_state_json(saved);
  EXPECT_EQ(ValidatedState(request), saved);
}

TEST(UpdateRequestTest, MalformedStateIsRejectedClearly) {
  pb::UpdateRequest request;
  request.set_state_json("{not json");
  try {
    ValidatedState(request);
    FAIL();
  } catch (const InvalidStateError& e) {
    EXPECT_NE(std::string(e.what()).find("state_json is not valid JSON"), std::string::npos)
        << e.what();
    EXPECT_EQ(std::string(e.what()).find("[json.exception"), std::string::npos) << e.what();
  }
  request.set_state_json("[1,2]");
  try {
    ValidatedState(request);
    FAIL();
  } catch (const InvalidStateError& e) {
    EXPECT_EQ(std::string(e.what()), "state_json must be a JSON object, got an array");
  }
  request.set_state_json("{\"version\":99}");
  try {
    ValidatedState(request);
    FAIL();
  } catch (const InvalidStateError& e) {
    EXPECT_NE(std::string(e.what()).find("not a state of this connector"), std::string::npos)
        << e.what();
  }
}

// Every unusable state is one INVALID_ARGUMENT of kind config (debug exits 2), size and UTF-8
// checked before any parsing.
TEST(UpdateRequestTest, NonUtf8AndOversizedStatesAreRejectedBeforeParsing) {
  pb::UpdateRequest request;
  // Protobuf's own setter does not check UTF-8; the wire may still carry such bytes.
  request.set_state_json(std::string("{\"version\":1,\"tables\":{\"\xff\":{}}}"));
  try {
    ValidatedState(request);
    FAIL();
  } catch (const InvalidStateError& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kConfig);
    EXPECT_NE(std::string(e.what()).find("not valid UTF-8"), std::string::npos) << e.what();
  }
  request.set_state_json(std::string(connector::SyncState::kMaxBytes + 1, ' '));
  try {
    ValidatedState(request);
    FAIL();
  } catch (const InvalidStateError& e) {
    EXPECT_EQ(e.kind(), common::ErrorKind::kConfig);
    EXPECT_NE(std::string(e.what()).find("more than the limit of 10485760 bytes"),
              std::string::npos)
        << e.what();
  }
}

TEST(UpdateRequestTest, NoSelectionMeansEverything) {
  pb::UpdateRequest request;
  const SelectionPlan plan = PlanSelection(request, TwoTables());
  EXPECT_FALSE(plan.has_selection);
  EXPECT_FALSE(plan.known_tables.enabled);
  EXPECT_TRUE(plan.warnings.empty());
}

TEST(UpdateRequestTest, SelectionKeepsConfiguredTablesAndWarnsAboutOthers) {
  pb::UpdateRequest request;
  auto* selection = request.mutable_selection()->mutable_without_schema();
  selection->set_include_new_tables(false);
  auto* a = selection->add_tables();
  a->set_table_name("a");
  a->set_included(true);
  a->set_include_new_columns(false);
  (*a->mutable_columns())["x"] = true;
  (*a->mutable_columns())["y"] = false;
  auto* b = selection->add_tables();
  b->set_table_name("b");
  b->set_included(false);
  auto* ghost = selection->add_tables();
  ghost->set_table_name("ghost");
  ghost->set_included(true);
  auto* excluded_ghost = selection->add_tables();
  excluded_ghost->set_table_name("excluded_ghost");
  excluded_ghost->set_included(false);

  const SelectionPlan plan = PlanSelection(request, TwoTables());
  EXPECT_TRUE(plan.has_selection);
  EXPECT_FALSE(plan.selection.include_new_tables);
  ASSERT_EQ(plan.selection.tables.size(), 2u);
  const auto& ta = plan.selection.tables.at("a");
  EXPECT_TRUE(ta.included);
  EXPECT_FALSE(ta.include_new_columns);
  EXPECT_TRUE(ta.columns.at("x"));
  EXPECT_FALSE(ta.columns.at("y"));
  EXPECT_FALSE(plan.selection.tables.at("b").included);
  ASSERT_EQ(plan.warnings.size(), 1u);
  EXPECT_NE(plan.warnings[0].find("'ghost'"), std::string::npos);
  EXPECT_TRUE(plan.known_tables.enabled);
  EXPECT_EQ(plan.known_tables.tables.at("a"), (std::set<std::string>{"x", "y"}));
  EXPECT_FALSE(plan.known_tables.tables.count("ghost"));
}

TEST(UpdateRequestTest, WithSchemaSelectionIsReadFlat) {
  pb::UpdateRequest request;
  auto* with_schema = request.mutable_selection()->mutable_with_schema();
  auto* schema = with_schema->add_schemas();
  schema->set_schema_name("whatever");
  schema->set_included(true);
  auto* a = schema->add_tables();
  a->set_table_name("a");
  a->set_included(true);
  auto* off = with_schema->add_schemas();
  off->set_included(false);
  auto* b = off->add_tables();
  b->set_table_name("b");
  b->set_included(true);
  const SelectionPlan plan = PlanSelection(request, TwoTables());
  EXPECT_TRUE(plan.selection.tables.at("a").included);
  EXPECT_FALSE(plan.selection.tables.at("b").included);  // its schema is excluded
}

TEST(UpdateRequestTest, WithSchemaSelectionOfSeveralDatabasesKeepsEachSchema) {
  const connector::Config config = connector::Config::Parse({{"aws_access_key_id", "k"},
                                                             {"aws_secret_access_key", "s"},
                                                             {"region_name", "us-east-1"},
                                                             {"database_name", "sales,web"},
                                                             {"s3_staging_dir", "s3://bucket/p/"},
                                                             {"tables", "*"}});
  ASSERT_TRUE(config.UsesSchemas());
  pb::UpdateRequest request;
  auto* with_schema = request.mutable_selection()->mutable_with_schema();
  with_schema->set_include_new_schemas(false);
  auto* sales = with_schema->add_schemas();
  sales->set_schema_name("sales");
  sales->set_included(true);
  sales->set_include_new_tables(false);
  auto* orders = sales->add_tables();
  orders->set_table_name("orders");
  orders->set_included(true);
  (*orders->mutable_columns())["notes"] = false;
  auto* web = with_schema->add_schemas();
  web->set_schema_name("web");
  web->set_included(false);
  web->add_tables()->set_table_name("orders");

  const SelectionPlan plan = PlanSelection(request, config);
  EXPECT_TRUE(plan.warnings.empty());
  EXPECT_TRUE(plan.selection.tables.at("sales.orders").included);
  EXPECT_FALSE(plan.selection.tables.at("sales.orders").columns.at("notes"));
  EXPECT_FALSE(plan.selection.tables.at("web.orders").included);
  EXPECT_EQ(plan.known_tables.tables.count("sales.orders"), 1u);

  bool excluded = false;
  EXPECT_NE(plan.selection.Find("sales", "sales.orders", excluded), nullptr);
  EXPECT_FALSE(excluded);
  plan.selection.Find("sales", "sales.refunds", excluded);  // new table, schema says no
  EXPECT_TRUE(excluded);
  plan.selection.Find("web", "web.orders", excluded);  // schema deselected
  EXPECT_TRUE(excluded);
  plan.selection.Find("crm", "crm.leads", excluded);  // new schema: include_new_schemas false
  EXPECT_TRUE(excluded);
}

}  // namespace
}  // namespace ac::fivetran
