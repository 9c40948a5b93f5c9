#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/value.h"
#include "connector/record_sink.h"

namespace ac::fivetran {

/// Field number of `records` (a `Records` message) in `UpdateResponse`.
inline constexpr int kUpdateResponseRecordsField = 6;

/// Encodes `fivetran_sdk.v2.Record` messages straight into protobuf wire bytes, without building
/// protobuf objects: the `map<string, ValueType> data` of a record costs a map node, a key copy and
/// a hash per cell when built through the generated API, which dominated the Update stream's CPU.
/// Appends `Records.records` entries (field 1, length-delimited), so that the bytes appended for
/// several records are the body of one `Records` message. Map entries follow the columns' order;
/// a ValueType carries exactly the member ToValueType() sets (wire-equal to it, see the tests).
class RecordWireEncoder {
 public:
  /// Appends one record: `table_name`, `type` and, unless `row` is null (TRUNCATE), one map entry
  /// per column of `table` with the value of `row` at that column. Returns the bytes appended.
  static size_t AppendRecord(std::string& out, const common::TableSchema& table, connector::RecordType type,
                             const common::Value* row);
  /// The size of the ValueType message of `value` (without tag and length).
  static size_t ValueSize(const common::Value& value);
};

}  // namespace ac::fivetran
