#include "fivetran/grpc_record_sink.h"

#include <gtest/gtest.h>

#include "common/error.h"
#include "fivetran/local_runner.h"
#include "fivetran/test_util.h"

namespace ac::fivetran {
namespace {

using connector::RecordType;

struct Captured {
  std::vector<pb::UpdateResponse> messages;
  UpdateWriter writer() {
    // As on the wire: the records travel serialized (the sink hands over encoded bytes).
    return [this](const pb::UpdateResponse& response) {
      pb::UpdateResponse parsed;
      EXPECT_TRUE(parsed.ParseFromString(response.SerializeAsString()));
      EXPECT_EQ(parsed.GetReflection()->GetUnknownFields(parsed).field_count(), 0);
      messages.push_back(std::move(parsed));
      return true;
    };
  }
};

common::ValueBatch AllTypesRows(int64_t first, int64_t count, bool nulls = false) {
  common::ValueBatch batch;
  batch.Reset(testing::AllTypesTable().columns.size());
  for (int64_t i = first; i < first + count; ++i) testing::AppendAllTypesRow(batch, i, nulls);
  return batch;
}

TEST(GrpcRecordSinkTest, SplitsIntoMessagesOfAtMost100Records) {
  Captured out;
  GrpcRecordSink sink(out.writer());
  const auto table = testing::AllTypesTable();
  sink.Write(table, RecordType::kUpsert, AllTypesRows(0, 250));
  sink.Write(table, RecordType::kUpsert, AllTypesRows(250, 3));
  sink.Checkpoint("{\"a\":1}");
  ASSERT_EQ(out.messages.size(), 4u);
  EXPECT_EQ(out.messages[0].records().records_size(), 100);
  EXPECT_EQ(out.messages[1].records().records_size(), 100);
  EXPECT_EQ(out.messages[2].records().records_size(), 53);  // the tail is gathered across Writes
  EXPECT_EQ(out.messages[3].checkpoint().state_json(), "{\"a\":1}");
  EXPECT_EQ(sink.stats().records, 253);
  EXPECT_EQ(sink.stats().records_messages, 3);
  EXPECT_EQ(sink.stats().checkpoints, 1);

  const pb::Record& first = out.messages[0].records().records(0);
  EXPECT_EQ(first.table_name(), "all_types");
  EXPECT_FALSE(first.has_schema_name());
  EXPECT_EQ(first.type(), pb::UPSERT);
  EXPECT_EQ(first.data().size(), table.columns.size());
  EXPECT_EQ(first.data().at("id").long_(), 0);
  EXPECT_EQ(out.messages[2].records().records(52).data().at("id").long_(), 252);
}

TEST(GrpcRecordSinkTest, CapsMessageBytes) {
  Captured out;
  GrpcRecordSinkOptions options;
  options.max_message_bytes = 10'000;
  GrpcRecordSink sink(out.writer(), options);
  common::TableSchema table{"wide",
                            {{"id", common::DataType::kLong, true, 0, 0},
                             {"text", common::DataType::kString, false, 0, 0}}};
  common::ValueBatch batch;
  batch.Reset(2);
  const std::string big(3000, 'x');
  for (int i = 0; i < 10; ++i) {
    common::Value* row = batch.AppendRow();
    row[0].type = common::DataType::kLong;
    row[0].is_null = false;
    row[0].int64 = i;
    row[1].type = common::DataType::kString;
    row[1].is_null = false;
    row[1].text = batch.Store(big);
  }
  // One record larger than the cap travels alone.
  common::Value* row = batch.AppendRow();
  row[0].type = common::DataType::kLong;
  row[0].is_null = false;
  row[0].int64 = 10;
  row[1].type = common::DataType::kString;
  row[1].is_null = false;
  row[1].text = batch.Store(std::string(50'000, 'y'));
  sink.Write(table, RecordType::kUpsert, batch);
  sink.Flush();
  int total = 0;
  for (const auto& message : out.messages) {
    const int n = message.records().records_size();
    total += n;
    if (n > 1) {
      EXPECT_LE(message.ByteSizeLong(), 10'000u + 200u);
    }
  }
  EXPECT_EQ(total, 11);
  EXPECT_GE(out.messages.size(), 4u);
  EXPECT_EQ(out.messages.back().records().records_size(), 1);
}

TEST(GrpcRecordSinkTest, KeepsOrderOfTruncateWarningsAndCheckpoints) {
  Captured out;
  GrpcRecordSink sink(out.writer());
  const auto table = testing::AllTypesTable();
  sink.DefineTable(table);  // known tables disabled: nothing sent
  sink.Truncate(table);
  sink.Write(table, RecordType::kUpsert, AllTypesRows(0, 2));
  sink.Warning("careful");
  sink.Write(table, RecordType::kDelete, AllTypesRows(5, 1, true));
  sink.Checkpoint("{}");
  sink.Flush();  // nothing pending
  ASSERT_EQ(out.messages.size(), 4u);
  ASSERT_EQ(out.messages[0].records().records_size(), 3);
  EXPECT_EQ(out.messages[0].records().records(0).type(), pb::TRUNCATE);
  EXPECT_TRUE(out.messages[0].records().records(0).data().empty());
  EXPECT_EQ(out.messages[0].records().records(1).type(), pb::UPSERT);
  EXPECT_EQ(out.messages[1].warning().message(), "careful");
  EXPECT_EQ(out.messages[2].records().records(0).type(), pb::DELETE);
  EXPECT_TRUE(out.messages[2].records().records(0).data().at("name").null());
  EXPECT_EQ(out.messages[3].operation_case(), pb::UpdateResponse::kCheckpoint);
}

TEST(GrpcRecordSinkTest, SchemaChangeOnlyForTablesOrColumnsFivetranDoesNotKnow) {
  Captured out;
  GrpcRecordSinkOptions options;
  options.known_tables.enabled = true;
  options.known_tables.tables["all_types"] = {};  // all columns known
  options.known_tables.tables["partial"] = {"id"};
  GrpcRecordSink sink(out.writer(), options);
  sink.DefineTable(testing::AllTypesTable());
  EXPECT_TRUE(out.messages.empty());
  common::TableSchema partial{"partial", {{"id", common::DataType::kLong, true, 0, 0}}};
  sink.DefineTable(partial);
  EXPECT_TRUE(out.messages.empty());
  partial.columns.push_back({"extra", common::DataType::kString, false, 0, 0});
  sink.DefineTable(partial);
  ASSERT_EQ(out.messages.size(), 1u);
  ASSERT_TRUE(out.messages[0].schema_change().has_without_schema());
  EXPECT_EQ(out.messages[0].schema_change().without_schema().tables(0).columns_size(), 2);
  sink.DefineTable(partial);  // now known
  common::TableSchema fresh{"fresh", {{"k", common::DataType::kString, true, 0, 0}}};
  sink.DefineTable(fresh);
  ASSERT_EQ(out.messages.size(), 2u);
  EXPECT_EQ(out.messages[1].schema_change().without_schema().tables(0).name(), "fresh");
  EXPECT_EQ(sink.stats().schema_changes, 2);
}

TEST(GrpcRecordSinkTest, BrokenStreamThrowsCancelled) {
  GrpcRecordSink sink([](const pb::UpdateResponse&) { return false; });
  EXPECT_THROW(sink.Checkpoint("{}"), common::CancelledError);
}

TEST(GrpcRecordSinkTest, MismatchedBatchWidthIsAnInternalError) {
  Captured out;
  GrpcRecordSink sink(out.writer());
  common::ValueBatch batch;
  batch.Reset(1);
  batch.AppendRow();
  EXPECT_THROW(sink.Write(testing::AllTypesTable(), RecordType::kUpsert, batch),
               common::InternalError);
}

// The server's sink and `debug`'s applier are inverse: every row, type and null survives.
TEST(GrpcRecordSinkTest, RoundTripThroughUpdateApplier) {
  Captured out;
  GrpcRecordSink grpc_sink(out.writer());
  const auto table = testing::AllTypesTable();
  const common::ValueBatch rows = AllTypesRows(0, 230);
  const common::ValueBatch null_rows = AllTypesRows(1000, 5, true);
  grpc_sink.Truncate(table);
  grpc_sink.Write(table, RecordType::kUpsert, rows);
  grpc_sink.Write(table, RecordType::kUpsert, null_rows);
  grpc_sink.Checkpoint("{\"cursor\":\"x\"}");
  grpc_sink.Warning("w1");

  testing::RecordingSink local;
  LocalSyncResult result;
  UpdateApplier applier(local, result, 10'000);
  applier.DefineTables({table});
  for (const auto& message : out.messages) ASSERT_TRUE(applier.Apply(message));
  applier.Flush();

  ASSERT_EQ(local.calls.size(), 5u);
  EXPECT_EQ(local.calls[0].kind, "define");
  EXPECT_EQ(local.calls[1].kind, "truncate");
  EXPECT_EQ(local.calls[2].kind, "write");  // 235 records in 3 messages, one Write
  EXPECT_EQ(local.calls[3].kind, "checkpoint");
  EXPECT_EQ(local.calls[3].text, "{\"cursor\":\"x\"}");
  EXPECT_EQ(local.calls[4].kind, "warning");
  EXPECT_EQ(result.counters.upserts, 235u);
  EXPECT_EQ(result.counters.truncates, 1u);
  EXPECT_EQ(result.counters.checkpoints, 1u);
  EXPECT_EQ(result.records_messages, 3);
  EXPECT_EQ(result.counters.schema_changes, 1u);
  EXPECT_EQ(result.last_state_json, "{\"cursor\":\"x\"}");
  ASSERT_EQ(result.warnings.size(), 1u);

  const auto& written = local.calls[2].rows;
  ASSERT_EQ(written.size(), 235u);
  for (size_t r = 0; r < 230; ++r) {
    for (size_t c = 0; c < table.columns.size(); ++c) {
      const auto expected = testing::RecordingSink::ToCell(rows.at(r, c));
      const auto& actual = written[r][c];
      ASSERT_EQ(actual.type, expected.type) << r << "," << c;
      ASSERT_EQ(actual.is_null, expected.is_null);
      ASSERT_EQ(actual.boolean, expected.boolean);
      ASSERT_EQ(actual.integer, expected.integer);
      ASSERT_EQ(actual.floating, expected.floating);
      ASSERT_EQ(actual.timestamp, expected.timestamp);
      ASSERT_EQ(actual.text, expected.text);
    }
  }
  for (size_t r = 230; r < 235; ++r) {
    EXPECT_FALSE(written[r][0].is_null);
    for (size_t c = 1; c < table.columns.size(); ++c) {
      EXPECT_TRUE(written[r][c].is_null);
      EXPECT_EQ(written[r][c].type, table.columns[c].type);
    }
  }
}

}  // namespace
}  // namespace ac::fivetran
