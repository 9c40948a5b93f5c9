#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"
#include "connector/record_sink.h"
#include "fivetran/convert.h"

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
  /// Appends one record: `schema_name` (when the table has a schema), `table_name`, `type` and,
  /// unless `row` is null (TRUNCATE), one map entry per column of `table` with the value of `row`
  /// at that column. Returns the bytes appended.
  static size_t AppendRecord(std::string& out, const common::TableSchema& table,
                             connector::RecordType type, const common::Value* row);
  /// The size of the ValueType message of `value` (without tag and length).
  static size_t ValueSize(const common::Value& value);
};

/// One `fivetran_sdk.v2.Record` read in place from wire bytes: names and text values view the
/// message, nothing is copied or allocated per cell.
struct WireRecord {
  struct Entry {
    std::string_view name;
    CarriedValue value;
  };
  std::string_view schema_name;  ///< "" when absent (the connection's schema)
  std::string_view table_name;
  int type = 0;  ///< RecordType number (not checked here)
  std::vector<Entry>
      entries;  ///< the `data` map entries in wire order (a repeated key: the last wins)
};

/// Reads the records of a `Records` message body — the receiving side of RecordWireEncoder, for
/// clients of this connector's own Update stream (the `debug` command, the benchmarks), which
/// otherwise spend most of their time building protobuf maps. Follows protobuf's rules: fields in
/// any order, unknown fields skipped, the last of repeated scalar fields and oneof members wins,
/// missing fields take their defaults. Does not check that strings are UTF-8 (the receiver
/// validates text it stores). Throws common::ProtocolError on truncated or malformed bytes.
class RecordWireDecoder {
 public:
  explicit RecordWireDecoder(std::string_view records_body) : input_(records_body) {}
  /// Reads the next record into `record` (its entries vector is reused); false after the last.
  bool Next(WireRecord& record);

 private:
  std::string_view input_;
};

/// The body of the `records` field when `update_response` (UpdateResponse wire bytes) holds the
/// records operation; nullopt for any other operation. Throws common::ProtocolError on malformed
/// bytes.
std::optional<std::string_view> UpdateResponseRecords(std::string_view update_response);

}  // namespace ac::fivetran
