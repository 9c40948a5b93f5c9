#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ac::common {

/// Fivetran's column types; numbering equals `fivetran_sdk.v2.DataType`.
enum class DataType : uint8_t {
  kUnspecified = 0,
  kBoolean = 1,
  kShort = 2,
  kInt = 3,
  kLong = 4,
  kDecimal = 5,
  kFloat = 6,
  kDouble = 7,
  kNaiveDate = 8,
  kNaiveDateTime = 9,
  kUtcDateTime = 10,
  kBinary = 11,
  kXml = 12,
  kString = 13,
  kJson = 14,
  kNaiveTime = 15,
};

std::string_view DataTypeName(DataType type);  ///< "BOOLEAN", "NAIVE_DATETIME", ...

/// Seconds and nanoseconds since the Unix epoch (as google.protobuf.Timestamp). Naive dates are
/// midnight UTC, naive datetimes are encoded as if UTC.
struct Timestamp {
  int64_t seconds = 0;
  int32_t nanos = 0;
  bool operator==(const Timestamp&) const = default;
};

/// One typed cell. Trivially copyable: variable-length payloads (decimal text, strings, JSON,
/// binary bytes) are views into the arena of the batch that owns the value.
struct Value {
  DataType type = DataType::kUnspecified;
  bool is_null = true;
  union {
    bool boolean;
    int32_t int32;  ///< SHORT and INT
    int64_t int64;  ///< LONG
    float float32;
    double float64;
  };
  Timestamp timestamp;    ///< NAIVE_DATE, NAIVE_DATETIME, UTC_DATETIME
  std::string_view text;  ///< DECIMAL (plain decimal text), STRING, JSON, XML, BINARY (raw bytes)

  Value() : int64(0) {}
  static Value Null(DataType type) {
    Value v;
    v.type = type;
    return v;
  }
};

/// Column of a destination table.
struct ColumnSchema {
  std::string name;
  DataType type = DataType::kUnspecified;
  bool primary_key = false;
  uint32_t precision = 0;  ///< DECIMAL only
  uint32_t scale = 0;      ///< DECIMAL only
};

/// A destination table: name, columns in order, primary-key columns flagged.
struct TableSchema {
  TableSchema() = default;
  /// `{name, columns}` (the connection's schema) or `{name, columns, schema}`.
  TableSchema(std::string table_name, std::vector<ColumnSchema> table_columns,
              std::string schema_name = "")
      : name(std::move(table_name)),
        columns(std::move(table_columns)),
        schema(std::move(schema_name)) {}

  std::string name;
  std::vector<ColumnSchema> columns;
  std::string schema;  ///< destination schema; "" = the connection's (Fivetran's without_schema)

  /// `schema.name`, or `name` when no schema is set: the table's key in state, selection and sinks.
  std::string QualifiedName() const { return schema.empty() ? name : schema + "." + name; }

  std::vector<size_t> PrimaryKeyIndexes() const;
  /// Index of the column named `name`, or -1.
  int FindColumn(std::string_view name) const;
};

/// Rows of typed values, row-major (`num_rows * num_columns` values), owning the bytes that the
/// values' `text` views point to. Reused across batches: Clear() keeps capacity.
class ValueBatch {
 public:
  ValueBatch() = default;
  /// Moving keeps the views valid (the arena's blocks stay where they are); the source is left
  /// empty with no columns. Copies would share views into another batch's arena: use Assign.
  ValueBatch(ValueBatch&& other) noexcept;
  ValueBatch& operator=(ValueBatch&& other) noexcept;
  ValueBatch(const ValueBatch&) = delete;
  ValueBatch& operator=(const ValueBatch&) = delete;

  /// Makes this batch a copy of `other`, its text stored in this batch's own arena.
  void Assign(const ValueBatch& other);
  void Reset(size_t num_columns);
  void Clear();
  size_t num_columns() const { return num_columns_; }
  size_t num_rows() const { return num_columns_ == 0 ? 0 : values_.size() / num_columns_; }
  const Value& at(size_t row, size_t column) const { return values_[row * num_columns_ + column]; }
  Value& at(size_t row, size_t column) { return values_[row * num_columns_ + column]; }
  /// Appends one row of default (null, untyped) values and returns a pointer to its first value.
  Value* AppendRow();
  /// Copies bytes into the batch's arena and returns a stable view of them (stable until Clear()).
  std::string_view Store(std::string_view bytes);
  /// Reserves `size` bytes of arena for a writer; returns a pointer; finish with Commit(written).
  char* Reserve(size_t size);
  std::string_view Commit(size_t written);

 private:
  size_t num_columns_ = 0;
  std::vector<Value> values_;
  // Arena: a list of blocks so that views stay stable as it grows.
  std::vector<std::string> blocks_;
  size_t block_index_ = 0;
  size_t block_used_ = 0;
  char* reserved_ = nullptr;
};

}  // namespace ac::common
