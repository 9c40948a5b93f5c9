#pragma once
// Test helper: a RecordSink that records every call in order (header-only; included by *_test.cc
// of the connector module and, through fivetran/test_util.h, of the fivetran module).

#include <string>
#include <vector>

#include "common/value.h"
#include "connector/record_sink.h"

namespace ac::connector::testing {

/// A RecordSink that records every call, copying values out of the batches.
class RecordingSink final : public RecordSink {
 public:
  struct Cell {
    common::DataType type;
    bool is_null;
    bool boolean;
    int64_t integer;
    double floating;
    common::Timestamp timestamp;
    std::string text;
    bool operator==(const Cell&) const = default;
  };
  struct Call {
    std::string kind;  // define, truncate, write, checkpoint, warning
    common::TableSchema table;
    RecordType type = RecordType::kUpsert;
    std::vector<std::vector<Cell>> rows;
    std::string text;
  };

  static Cell ToCell(const common::Value& v) {
    Cell c{v.type, v.is_null, false, 0, 0, v.timestamp, std::string(v.text)};
    if (!v.is_null) {
      switch (v.type) {
        case common::DataType::kBoolean:
          c.boolean = v.boolean;
          break;
        case common::DataType::kShort:
        case common::DataType::kInt:
          c.integer = v.int32;
          break;
        case common::DataType::kLong:
          c.integer = v.int64;
          break;
        case common::DataType::kFloat:
          c.floating = v.float32;
          break;
        case common::DataType::kDouble:
          c.floating = v.float64;
          break;
        default:
          break;
      }
    }
    return c;
  }

  void DefineTable(const common::TableSchema& table) override {
    calls.push_back({"define", table, {}, {}, ""});
  }
  void Truncate(const common::TableSchema& table) override {
    calls.push_back({"truncate", table, {}, {}, ""});
  }
  void Write(const common::TableSchema& table, RecordType type,
             const common::ValueBatch& rows) override {
    Call call{"write", table, type, {}, ""};
    for (size_t r = 0; r < rows.num_rows(); ++r) {
      std::vector<Cell> row;
      for (size_t c = 0; c < rows.num_columns(); ++c) row.push_back(ToCell(rows.at(r, c)));
      call.rows.push_back(std::move(row));
    }
    calls.push_back(std::move(call));
  }
  void Checkpoint(const std::string& state_json) override {
    calls.push_back({"checkpoint", {}, {}, {}, state_json});
  }
  void Warning(const std::string& message) override {
    calls.push_back({"warning", {}, {}, {}, message});
  }

  std::vector<Call> calls;
};

}  // namespace ac::connector::testing
