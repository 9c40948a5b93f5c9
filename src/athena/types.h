#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/value.h"

namespace ac::athena {

/// Athena (Trino/Hive) type identity, from ColumnInfo.Type or a declared table column type.
enum class TypeId : uint8_t {
  kUnknown,  ///< type of a bare NULL, or a type this project does not recognise
  kBoolean,
  kTinyint,
  kSmallint,
  kInteger,
  kBigint,
  kReal,  ///< `real` and Hive `float`
  kDouble,
  kDecimal,
  kChar,
  kVarchar,    ///< also Hive `string`
  kVarbinary,  ///< also Hive `binary`
  kDate,
  kTime,
  kTimeWithTimeZone,
  kTimestamp,
  kTimestampWithTimeZone,
  kIntervalYearToMonth,
  kIntervalDayToSecond,
  kArray,
  kMap,
  kRow,  ///< also Hive `struct`
  kJson,
  kIpAddress,
  kUuid,
};

struct Field;

/// A (possibly nested) Athena type. For arrays `children[0]` is the element; for maps
/// `children[0]`/`children[1]` are key/value; for rows each child is a named field.
struct AthenaType {
  TypeId id = TypeId::kUnknown;
  int32_t precision = 0;  ///< decimal precision; varchar/char length (0 = unbounded)
  int32_t scale = 0;      ///< decimal scale
  std::vector<Field> children;

  bool is_complex() const {
    return id == TypeId::kArray || id == TypeId::kMap || id == TypeId::kRow;
  }
  /// Trino-style text, e.g. "decimal(10,2)", "array(integer)", "row(a integer, b varchar)".
  std::string ToString() const;
};

struct Field {
  std::string name;
  AthenaType type;
};

/// A result column: its name and type.
struct Column {
  std::string name;
  AthenaType type;
};

/// Type from GetQueryResults' ColumnInfo (base name + Precision/Scale), e.g. ("decimal", 10, 2).
/// Complex types come back without their element types (children empty).
AthenaType TypeFromColumnInfo(std::string_view type_name, int32_t precision, int32_t scale);

/// Parses a declared column type as GetTableMetadata returns it (Hive DDL syntax such as
/// `array<struct<a:int,b:string>>`, `decimal(10,2)`, `varchar(20)`, `map<string,bigint>`) or Trino
/// syntax (`row(a integer)`, `timestamp(3) with time zone`). Unknown names give kUnknown.
AthenaType ParseDeclaredType(std::string_view text);

/// The Fivetran type a column of this Athena type is delivered as (spec section 3 mapping).
common::DataType ToFivetranType(const AthenaType& type);

/// The destination column for an Athena column (name kept, DECIMAL precision/scale carried).
common::ColumnSchema ToColumnSchema(const Column& column, bool primary_key);

}  // namespace ac::athena
