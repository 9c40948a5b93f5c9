#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"
#include "fivetran_sdk/common.pb.h"
#include "fivetran_sdk/connector_sdk.pb.h"

namespace ac::fivetran {

namespace pb = ::fivetran_sdk::v2;

/// Column type as announced to Fivetran (equal numbering; see common::DataType).
pb::DataType ToProtoType(common::DataType type);
/// Inverse of ToProtoType; unknown enum numbers become kUnspecified.
common::DataType FromProtoType(pb::DataType type);

/// Table schema <-> protocol Table (typed columns, primary keys, DECIMAL precision/scale).
void ToProtoTable(const common::TableSchema& table, pb::Table* out);
common::TableSchema FromProtoTable(const pb::Table& table);
/// `table` from a SchemaList's `schema` (its TableSchema::schema set).
common::TableSchema FromProtoTable(const pb::Table& table, const std::string& schema);

/// True when some table names a destination schema: the connector then answers `with_schema`.
bool AnySchema(const std::vector<common::TableSchema>& tables);
/// The tables in one Schema per schema name, in first-seen order (Schema and SchemaChange).
void ToProtoSchemaList(const std::vector<common::TableSchema>& tables, pb::SchemaList* out);
/// The tables of a SchemaList or TableList, each with its schema.
std::vector<common::TableSchema> FromProtoSchemaList(const pb::SchemaList& list);
std::vector<common::TableSchema> FromProtoTableList(const pb::TableList& list);

/// Sets `out` to `value`: the ValueType member chosen by value.type (null -> `null: true`;
/// temporal types -> google.protobuf.Timestamp; DECIMAL -> decimal text; BINARY -> bytes).
void ToValueType(const common::Value& value, pb::ValueType* out);

/// The DataType a ValueType carries (kUnspecified for `null` or an empty ValueType).
common::DataType ValueTypeDataType(const pb::ValueType& value);

/// The member a ValueType carries and its payload, whether it came from a parsed message or
/// straight from wire bytes (RecordWireDecoder). `text` views the message's bytes.
struct CarriedValue {
  common::DataType type = common::DataType::kUnspecified;  ///< kUnspecified: `null` or no member
  bool boolean = false;
  int32_t int32 = 0;  ///< short, int
  int64_t int64 = 0;  ///< long
  float float32 = 0;
  double float64 = 0;
  common::Timestamp timestamp;  ///< naive_date, naive_datetime, utc_datetime, naive_time
  std::string_view text;        ///< decimal, binary, string, json, xml
};

CarriedValue CarriedOf(const pb::ValueType& value);

/// Converts `value` to a common::Value for a column of type `column_type` (kUnspecified = take
/// the type from the value). Integers and floating point values are widened to the column's type
/// when it is wider. Variable-length payloads are copied into `batch`'s arena.
common::Value FromCarriedValue(const CarriedValue& value, common::DataType column_type,
                               common::ValueBatch& batch);
inline common::Value FromValueType(const pb::ValueType& value, common::DataType column_type,
                                   common::ValueBatch& batch) {
  return FromCarriedValue(CarriedOf(value), column_type, batch);
}

}  // namespace ac::fivetran
