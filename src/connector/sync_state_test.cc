#include "connector/sync_state.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "common/error.h"

namespace ac::connector {
namespace {

TEST(SyncStateTest, EmptyStatesAreFirstSyncs) {
  EXPECT_TRUE(SyncState::Parse("").tables.empty());
  EXPECT_TRUE(SyncState::Parse("  {} ").tables.empty());
}

TEST(SyncStateTest, RoundTripsAnInProgressTable) {
  SyncState state;
  TableState& t = state.tables["customers"];
  t.status = TableState::Status::kInProgress;
  t.sql_hash = "abc";
  t.query_execution_id = "q-1";
  t.truncated = true;
  t.position.fetcher = "api";
  t.position.rows_read = 1998;
  t.position.next_token = "tok/==";
  t.rows_synced = 1998;
  t.pending_cursor_value = "2024-01-01 00:00:00.000";
  const SyncState back = SyncState::Parse(state.ToJson());
  const TableState& b = back.tables.at("customers");
  EXPECT_EQ(b.status, TableState::Status::kInProgress);
  EXPECT_EQ(b.sql_hash, "abc");
  EXPECT_EQ(b.query_execution_id, "q-1");
  EXPECT_TRUE(b.truncated);
  EXPECT_EQ(b.position.fetcher, "api");
  EXPECT_EQ(b.position.rows_read, 1998);
  EXPECT_EQ(b.position.next_token, "tok/==");
  EXPECT_EQ(b.rows_synced, 1998);
  EXPECT_EQ(b.pending_cursor_value, "2024-01-01 00:00:00.000");
}

TEST(SyncStateTest, RoundTripsTheSyncUnderWayAndTheSyncThatCompletedATable) {
  SyncState state;
  state.sync_id = "sync-7";
  state.tables["orders"].status = TableState::Status::kComplete;
  state.tables["orders"].completed_in_sync = "sync-7";
  state.tables["lines"].status = TableState::Status::kInProgress;
  const SyncState back = SyncState::Parse(state.ToJson());
  EXPECT_EQ(back.sync_id, "sync-7");
  EXPECT_EQ(back.tables.at("orders").completed_in_sync, "sync-7");
  EXPECT_EQ(back.tables.at("lines").completed_in_sync, "");
  // No sync under way: no member at all.
  state.sync_id.clear();
  EXPECT_EQ(state.ToJson().find("\"sync_id\""), std::string::npos);
  EXPECT_THROW(SyncState::Parse(R"({"version":1,"tables":{},"sync_id":5})"), common::ConfigError);
}

TEST(SyncStateTest, CompleteTableKeepsCursorNotPosition) {
  SyncState state;
  TableState& t = state.tables["orders"];
  t.status = TableState::Status::kComplete;
  t.query_execution_id = "q-2";
  t.position.rows_read = 5;
  t.cursor_value = "42";
  t.cursor_type = "bigint";
  t.completed_at = "2026-11-23T10:00:00Z";
  const std::string json = state.ToJson();
  EXPECT_EQ(json.find("position"), std::string::npos) << json;
  const SyncState back = SyncState::Parse(json);
  const TableState& b = back.tables.at("orders");
  EXPECT_EQ(b.status, TableState::Status::kComplete);
  EXPECT_EQ(b.cursor_value, "42");
  EXPECT_EQ(b.cursor_type, "bigint");
  EXPECT_EQ(b.completed_at, "2026-11-23T10:00:00Z");
}

// A state file is untrusted input: its text never reaches an error message.
TEST(SyncStateTest, AMalformedStateIsNotQuotedInTheError) {
  try {
    SyncState::Parse(R"({"tables": {"t": {"cursor_value": "tok\q-s3cr3t"}}})");
    FAIL() << "no error";
  } catch (const common::ConfigError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the saved state is not valid JSON (syntax error at byte"),
              std::string::npos)
        << message;
    EXPECT_EQ(message.find("s3cr3t"), std::string::npos) << message;
  }
}

TEST(SyncStateTest, MalformedStatesGiveOneClearError) {
  for (const char* bad :
       {"{", "[]", "\"x\"", R"({"version": 99, "tables": {}})", R"({"version": 1})",
        R"({"version": 1, "tables": {"t": {"rows_synced": "many"}}})"}) {
    try {
      SyncState::Parse(bad);
      ADD_FAILURE() << bad;
    } catch (const common::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("state"), std::string::npos) << e.what();
    }
  }
}

TEST(SyncStateTest, AForgedCursorIsRefusedBeforeAnyQuery) {
  for (const char* forged :
       {R"({"version": 1, "tables": {"t": {"status": "complete", "cursor_type": "bigint",
            "cursor_value": "1 OR 1=1"}}})",
        R"({"version": 1, "tables": {"t": {"status": "in_progress", "cursor_type": "date",
            "cursor_value": "2024-01-01", "pending_cursor_value": "2024-01-02' OR '1'='1"}}})"}) {
    try {
      SyncState::Parse(forged);
      ADD_FAILURE() << forged;
    } catch (const common::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("saved cursor value is not a valid"), std::string::npos)
          << e.what();
      EXPECT_EQ(std::string(e.what()).find("OR"), std::string::npos) << e.what();  // not quoted
    }
  }
  EXPECT_EQ(SyncState::Parse(R"({"version": 1, "tables": {"t": {"status": "complete",
            "cursor_type": "bigint", "cursor_value": "42"}}})")
                .tables.at("t")
                .cursor_value,
            "42");
}

TEST(SyncStateTest, AForgedPartitionValueIsRefusedBeforeAnyQuery) {
  for (const char* forged :
       {R"({"version": 1, "tables": {"t": {"status": "complete", "partition_column": "dt",
            "partition_type": "varchar", "partition_value": "2026-12-01' OR '1'='1"}}})",
        R"({"version": 1, "tables": {"t": {"status": "complete", "partition_column": "dt",
            "partition_type": "varchar", "partition_value": "eu"}}})",
        R"({"version": 1, "tables": {"t": {"status": "in_progress", "partition_column": "h",
            "partition_type": "bigint", "partition_done": "5; DROP TABLE t"}}})"}) {
    try {
      SyncState::Parse(forged);
      ADD_FAILURE() << forged;
    } catch (const common::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("reset the connection's state"), std::string::npos);
      EXPECT_EQ(std::string(e.what()).find("OR"), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find("DROP"), std::string::npos) << e.what();
    }
  }
  const SyncState ok = SyncState::Parse(
      R"({"version": 1, "tables": {"t": {"status": "in_progress", "partition_column": "dt",
          "partition_type": "varchar", "partition_value": "2026-12-01",
          "partition_done": "2026-12-03", "pending_partition_value": "2026-12-02",
          "key_check_query_id": "q-1", "syncs_since_key_check": 2}}})");
  const TableState& t = ok.tables.at("t");
  EXPECT_EQ(t.partition_value, "2026-12-01");
  EXPECT_EQ(t.partition_done, "2026-12-03");
  EXPECT_EQ(t.key_check_query_id, "q-1");
  EXPECT_EQ(t.syncs_since_key_check, 2);
  // A round trip keeps them.
  const TableState again = SyncState::Parse(ok.ToJson()).tables.at("t");
  EXPECT_EQ(again.partition_done, "2026-12-03");
  EXPECT_EQ(again.pending_partition_value, "2026-12-02");
  EXPECT_EQ(again.syncs_since_key_check, 2);
}

// Forged and damaged states: one error kind (ConfigError) and one line for all, never quoting the
// state, never a crash or an INTERNAL.
TEST(SyncStateTest, UntrustedStatesAreRejectedWithOneClearError) {
  std::string random_bytes;
  uint32_t seed = 12345;
  for (int i = 0; i < 4096; ++i) {
    seed = seed * 1103515245 + 12345;
    random_bytes.push_back(static_cast<char>(seed >> 16));
  }
  const std::string valid_prefix = R"({"version":1,"tables":{"t":{"cursor_value":")";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {valid_prefix + "\xff\xfe\"}}}", "not valid UTF-8 (byte 44)"},
      {valid_prefix + "\xc0\xaf\"}}}", "not valid UTF-8"},      // overlong '/'
      {valid_prefix + "\xed\xa0\x80\"}}}", "not valid UTF-8"},  // a surrogate
      {random_bytes, "invalid state: "},
      {std::string(SyncState::kMaxBytes + 1, ' '), "more than the limit of 10485760 bytes"},
      {R"({"version":1,"tables":[1,2]})", "no \"tables\" object"},
      {R"({"version":1,"tables":{"t":[]}})", "table entry 1 is not an object"},
      {R"({"version":"1","tables":{}})", "version that is not a number"},
      {R"({"version":1,"tables":{"t":{"status":"done"}}})", "status must be"},
      {R"({"version":1,"tables":{"t":{"rows_synced":-5}}})", "rows_synced must be a non-negative"},
      {R"({"version":1,"tables":{"t":{"position":{"byte_offset":-1}}}})",
       "position.byte_offset must be a non-negative integer"},
      {R"({"version":1,"tables":{"t":{"position":{"byte_offset":1.5}}}})", "byte_offset"},
      {R"({"version":1,"tables":{"t":{"position":{"files_done":[7]}}}})", "files_done"},
      {R"({"version":1,"tables":{"t":{"position":{"at_end":"yes"}}}})", "at_end must be true"},
      {R"({"version":1,"tables":{"t":{"truncated":1}}})", "truncated must be true"},
  };
  for (const auto& [state, needle] : cases) {
    try {
      SyncState::Parse(state);
      ADD_FAILURE() << "accepted: " << needle;
    } catch (const common::ConfigError& e) {
      const std::string message = e.what();
      EXPECT_EQ(message.rfind("invalid state: ", 0), 0u) << message;
      EXPECT_NE(message.find(needle), std::string::npos) << message;
      EXPECT_NE(message.find("reset the connection's state"), std::string::npos) << message;
      EXPECT_LT(message.size(), 300u) << message;
    }
  }
}

TEST(SyncStateTest, AnOversizedStateIsRejectedBeforeParsing) {
  // Valid JSON, 50 MB: refused by its size at once, without parsing it.
  std::string big = R"({"version":1,"tables":{"t":{"cursor_value":")";
  big.append(50u << 20, 'x');
  big += R"("}}})";
  const auto started = std::chrono::steady_clock::now();
  EXPECT_THROW(SyncState::Parse(big), common::ConfigError);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1));
}

TEST(SyncStateTest, TheETagOfTheResultFileRoundTrips) {
  SyncState state;
  TableState& t = state.tables["orders"];
  t.status = TableState::Status::kInProgress;
  t.position.fetcher = "s3";
  t.position.byte_offset = 42;
  t.position.rows_read = 3;
  t.position.etag = "\"abc-1\"";
  const SyncState back = SyncState::Parse(state.ToJson());
  EXPECT_EQ(back.tables.at("orders").position.etag, "\"abc-1\"");
  EXPECT_EQ(back.tables.at("orders").position.byte_offset, 42);
}

}  // namespace
}  // namespace ac::connector
