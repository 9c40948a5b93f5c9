#include "fivetran/local_runner.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "fivetran/convert.h"
#include "fivetran/test_util.h"

namespace ac::fivetran {
namespace {

pb::Record* AddRecord(pb::UpdateResponse& response, const std::string& table, pb::RecordType type) {
  pb::Record* record = response.mutable_records()->add_records();
  record->set_table_name(table);
  record->set_type(type);
  return record;
}

common::TableSchema People() {
  return {"people",
          {{"id", common::DataType::kLong, true, 0, 0},
           {"name", common::DataType::kString, false, 0, 0},
           {"age", common::DataType::kInt, false, 0, 0}}};
}

/// Every test runs twice: messages applied as parsed protobuf objects (Apply) and as the wire
/// bytes RunLocalSync receives (ApplySerialized, records read by RecordWireDecoder).
class UpdateApplierTest : public ::testing::TestWithParam<bool> {
 protected:
  static bool Apply(UpdateApplier& applier, const pb::UpdateResponse& message) {
    return GetParam() ? applier.ApplySerialized(message.SerializeAsString())
                      : applier.Apply(message);
  }
};

TEST_P(UpdateApplierTest, GroupsConsecutiveRecordsAndFillsMissingColumnsWithNull) {
  testing::RecordingSink sink;
  LocalSyncResult result;
  UpdateApplier applier(sink, result, 3);
  applier.DefineTables({People()});
  pb::UpdateResponse message;
  for (int i = 0; i < 5; ++i) {
    pb::Record* r = AddRecord(message, "people", pb::UPSERT);
    (*r->mutable_data())["id"].set_long_(i);
    if (i != 2) (*r->mutable_data())["name"].set_string("n" + std::to_string(i));
  }
  ASSERT_TRUE(Apply(applier, message));
  applier.Flush();
  ASSERT_EQ(sink.calls.size(), 3u);  // define + writes of 3 and 2 rows (max_rows_per_write = 3)
  EXPECT_EQ(sink.calls[1].rows.size(), 3u);
  EXPECT_EQ(sink.calls[2].rows.size(), 2u);
  const auto& row2 = sink.calls[1].rows[2];
  EXPECT_EQ(row2[0].integer, 2);
  EXPECT_TRUE(row2[1].is_null);
  EXPECT_EQ(row2[1].type, common::DataType::kString);
  EXPECT_TRUE(row2[2].is_null);
  EXPECT_EQ(row2[2].type, common::DataType::kInt);
  EXPECT_EQ(sink.calls[1].rows[0][1].text, "n0");
}

TEST_P(UpdateApplierTest, UpdatesAndDeletesCarryOnlyTheirColumns) {
  testing::RecordingSink sink;
  LocalSyncResult result;
  UpdateApplier applier(sink, result);
  applier.DefineTables({People()});
  pb::UpdateResponse message;
  pb::Record* u = AddRecord(message, "people", pb::UPDATE);
  (*u->mutable_data())["age"].set_int_(30);
  (*u->mutable_data())["id"].set_long_(1);
  pb::Record* d = AddRecord(message, "people", pb::DELETE);
  (*d->mutable_data())["id"].set_long_(2);
  ASSERT_TRUE(Apply(applier, message));
  applier.Flush();
  ASSERT_EQ(sink.calls.size(), 3u);
  EXPECT_EQ(sink.calls[1].type, connector::RecordType::kUpdate);
  ASSERT_EQ(sink.calls[1].table.columns.size(), 2u);
  EXPECT_EQ(sink.calls[1].table.columns[0].name, "id");
  EXPECT_EQ(sink.calls[1].table.columns[1].name, "age");
  EXPECT_EQ(sink.calls[1].rows[0][0].integer, 1);
  EXPECT_EQ(sink.calls[1].rows[0][1].integer, 30);
  EXPECT_EQ(sink.calls[2].type, connector::RecordType::kDelete);
  ASSERT_EQ(sink.calls[2].table.columns.size(), 1u);
  EXPECT_EQ(result.counters.updates, 1u);
  EXPECT_EQ(result.counters.deletes, 1u);
}

TEST_P(UpdateApplierTest, NewColumnsAndUnannouncedTablesAreDefined) {
  testing::RecordingSink sink;
  LocalSyncResult result;
  UpdateApplier applier(sink, result);
  applier.DefineTables({People()});
  pb::UpdateResponse message;
  pb::Record* r = AddRecord(message, "people", pb::UPSERT);
  (*r->mutable_data())["id"].set_long_(1);
  (*r->mutable_data())["email"].set_string("a@b");
  pb::Record* other = AddRecord(message, "other", pb::UPSERT);
  (*other->mutable_data())["b"].set_bool_(true);
  (*other->mutable_data())["a"].set_null(true);
  ASSERT_TRUE(Apply(applier, message));
  applier.Flush();
  ASSERT_EQ(sink.calls.size(), 5u);
  EXPECT_EQ(sink.calls[1].kind, "define");
  EXPECT_EQ(sink.calls[1].table.columns.back().name, "email");
  EXPECT_EQ(sink.calls[2].kind, "write");
  EXPECT_EQ(sink.calls[2].rows[0][3].text, "a@b");
  EXPECT_EQ(sink.calls[3].kind, "define");
  EXPECT_EQ(sink.calls[3].table.name, "other");
  ASSERT_EQ(sink.calls[3].table.columns.size(), 2u);
  EXPECT_EQ(sink.calls[3].table.columns[0].name, "a");
  EXPECT_EQ(sink.calls[3].table.columns[0].type, common::DataType::kString);
  EXPECT_EQ(sink.calls[3].table.columns[1].type, common::DataType::kBoolean);
  EXPECT_EQ(result.tables.size(), 2u);
}

TEST_P(UpdateApplierTest, SchemaChangeRedefinesAndTaskStops) {
  testing::RecordingSink sink;
  LocalSyncResult result;
  UpdateApplier applier(sink, result);
  pb::UpdateResponse change;
  pb::Table* t = change.mutable_schema_change()->mutable_without_schema()->add_tables();
  t->set_name("t");
  pb::Column* c = t->add_columns();
  c->set_name("id");
  c->set_type(pb::STRING);
  c->set_primary_key(true);
  ASSERT_TRUE(Apply(applier, change));
  EXPECT_EQ(result.counters.schema_changes, 1u);
  ASSERT_EQ(sink.calls.size(), 1u);
  EXPECT_TRUE(sink.calls[0].table.columns[0].primary_key);

  pb::UpdateResponse single;
  single.mutable_record()->set_table_name("t");
  (*single.mutable_record()->mutable_data())["id"].set_string("k");
  ASSERT_TRUE(Apply(applier, single));

  pb::UpdateResponse task;
  task.mutable_task()->set_message("fix\nthe credentials");
  EXPECT_FALSE(Apply(applier, task));
  EXPECT_TRUE(result.task);
  EXPECT_EQ(result.message, "fix the credentials");
  ASSERT_EQ(sink.calls.size(), 2u);  // the pending upsert was written before stopping
  EXPECT_EQ(sink.calls[1].rows[0][0].text, "k");
}

TEST_P(UpdateApplierTest, UnknownRecordTypeIsAProtocolError) {
  testing::RecordingSink sink;
  LocalSyncResult result;
  UpdateApplier applier(sink, result);
  pb::UpdateResponse message;
  AddRecord(message, "t", static_cast<pb::RecordType>(9));
  EXPECT_THROW(Apply(applier, message), common::ProtocolError);
}

TEST_P(UpdateApplierTest, EveryTypeArrivesAsSent) {
  testing::RecordingSink sink;
  LocalSyncResult result;
  UpdateApplier applier(sink, result);
  const common::TableSchema table = testing::AllTypesTable();
  applier.DefineTables({table});
  common::ValueBatch rows;
  rows.Reset(table.columns.size());
  for (int64_t i = 0; i < 20; ++i) testing::AppendAllTypesRow(rows, i - 10, i % 7 == 3);
  pb::UpdateResponse message;
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    pb::Record* record = AddRecord(message, table.name, pb::UPSERT);
    for (size_t c = 0; c < table.columns.size(); ++c) {
      ToValueType(rows.at(r, c), &(*record->mutable_data())[table.columns[c].name]);
    }
  }
  ASSERT_TRUE(Apply(applier, message));
  applier.Flush();
  ASSERT_EQ(sink.calls.size(), 2u);
  ASSERT_EQ(sink.calls[1].rows.size(), rows.num_rows());
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      EXPECT_EQ(sink.calls[1].rows[r][c], testing::RecordingSink::ToCell(rows.at(r, c)))
          << "row " << r << " column " << table.columns[c].name;
    }
  }
}

TEST(UpdateApplierSerializedTest, MalformedBytesAreAProtocolError) {
  testing::RecordingSink sink;
  LocalSyncResult result;
  UpdateApplier applier(sink, result);
  pb::UpdateResponse message;
  (*AddRecord(message, "people", pb::UPSERT)->mutable_data())["id"].set_long_(1);
  const std::string wire = message.SerializeAsString();
  EXPECT_THROW(applier.ApplySerialized(std::string_view(wire).substr(0, wire.size() - 3)),
               common::ProtocolError);
  EXPECT_THROW(applier.ApplySerialized(std::string("\x0a\xff", 2)),
               common::ProtocolError);  // `record` cut short
}

INSTANTIATE_TEST_SUITE_P(ParsedAndSerialized, UpdateApplierTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Serialized" : "Parsed";
                         });

}  // namespace
}  // namespace ac::fivetran
