#include "results/parquet_cells.h"

#include <fmt/format.h>

#include <stdexcept>

#include "athena_text/cell_formatter.h"
#include "common/error.h"

namespace ac::results {
namespace {

using athena::AthenaType;
using athena::TypeId;
using athena_text::IsJsonType;
using athena_text::LogicalTypeHolder;

std::string TakeDuckDbString(char* text) {
  std::string out = text == nullptr ? std::string() : std::string(text);
  if (text != nullptr) duckdb_free(text);
  return out;
}

}  // namespace

athena::AthenaType AthenaTypeOfDuckDb(duckdb_logical_type type) {
  AthenaType out;
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN:
      out.id = TypeId::kBoolean;
      break;
    case DUCKDB_TYPE_TINYINT:
      out.id = TypeId::kTinyint;
      break;
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_UTINYINT:
      out.id = TypeId::kSmallint;
      break;
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_USMALLINT:
      out.id = TypeId::kInteger;
      break;
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UINTEGER:
      out.id = TypeId::kBigint;
      break;
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
      out.id = TypeId::kDecimal;
      out.precision = 38;
      break;
    case DUCKDB_TYPE_FLOAT:
      out.id = TypeId::kReal;
      break;
    case DUCKDB_TYPE_DOUBLE:
      out.id = TypeId::kDouble;
      break;
    case DUCKDB_TYPE_DECIMAL:
      out.id = TypeId::kDecimal;
      out.precision = duckdb_decimal_width(type);
      out.scale = duckdb_decimal_scale(type);
      break;
    case DUCKDB_TYPE_VARCHAR:
      out.id = IsJsonType(type) ? TypeId::kJson : TypeId::kVarchar;
      break;
    case DUCKDB_TYPE_BLOB:
      out.id = TypeId::kVarbinary;
      break;
    case DUCKDB_TYPE_DATE:
      out.id = TypeId::kDate;
      break;
    case DUCKDB_TYPE_TIME:
    case DUCKDB_TYPE_TIME_NS:
      out.id = TypeId::kTime;
      break;
    case DUCKDB_TYPE_TIME_TZ:
      out.id = TypeId::kTimeWithTimeZone;
      break;
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
      out.id = TypeId::kTimestamp;
      out.precision = 3;
      break;
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      out.id = TypeId::kTimestampWithTimeZone;
      out.precision = 3;
      break;
    case DUCKDB_TYPE_INTERVAL:
      out.id = TypeId::kIntervalDayToSecond;
      break;
    case DUCKDB_TYPE_UUID:
      out.id = TypeId::kUuid;
      break;
    case DUCKDB_TYPE_LIST: {
      LogicalTypeHolder child(duckdb_list_type_child_type(type));
      out.id = TypeId::kArray;
      out.children.push_back({"", AthenaTypeOfDuckDb(child.get())});
      break;
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalTypeHolder child(duckdb_array_type_child_type(type));
      out.id = TypeId::kArray;
      out.children.push_back({"", AthenaTypeOfDuckDb(child.get())});
      break;
    }
    case DUCKDB_TYPE_MAP: {
      LogicalTypeHolder key(duckdb_map_type_key_type(type));
      LogicalTypeHolder value(duckdb_map_type_value_type(type));
      out.id = TypeId::kMap;
      out.children.push_back({"", AthenaTypeOfDuckDb(key.get())});
      out.children.push_back({"", AthenaTypeOfDuckDb(value.get())});
      break;
    }
    case DUCKDB_TYPE_STRUCT: {
      out.id = TypeId::kRow;
      const idx_t n = duckdb_struct_type_child_count(type);
      for (idx_t i = 0; i < n; ++i) {
        LogicalTypeHolder child(duckdb_struct_type_child_type(type, i));
        std::string name = TakeDuckDbString(duckdb_struct_type_child_name(type, i));
        out.children.push_back({std::move(name), AthenaTypeOfDuckDb(child.get())});
      }
      break;
    }
    default:
      out.id = TypeId::kUnknown;
      break;
  }
  return out;
}

ParquetCellConverter::ParquetCellConverter(duckdb_result& result) {
  const idx_t count = duckdb_column_count(&result);
  for (idx_t i = 0; i < count; ++i) {
    LogicalTypeHolder type(duckdb_column_logical_type(&result, i));
    athena::Column column;
    const char* name = duckdb_column_name(&result, i);
    column.name = name == nullptr ? std::string() : std::string(name);
    column.type = AthenaTypeOfDuckDb(type.get());
    try {
      formatters_.push_back(athena_text::MakeCellFormatter(type.get()));
    } catch (const std::invalid_argument& e) {
      throw common::ProtocolError(
          fmt::format("UNLOAD Parquet column '{}': {}", column.name, e.what()));
    }
    plain_text_.push_back(column.type.id == TypeId::kVarchar);
    columns_.push_back(std::move(column));
  }
}

ParquetCellConverter::~ParquetCellConverter() = default;

void ParquetCellConverter::Append(duckdb_data_chunk chunk, size_t begin, size_t end,
                                  athena::RowBatch& out) {
  const size_t columns = formatters_.size();
  for (size_t c = 0; c < columns; ++c) formatters_[c]->Bind(duckdb_data_chunk_get_vector(chunk, c));
  for (size_t r = begin; r < end; ++r) {
    for (size_t c = 0; c < columns; ++c) {
      const athena_text::CellFormatter& formatter = *formatters_[c];
      if (formatter.IsNull(r)) {
        out.AppendNull();
      } else if (plain_text_[c]) {  // varchar text is the cell as is: no copy through scratch_
        out.AppendCell(
            athena_text::StringOf(static_cast<const duckdb_string_t*>(formatter.data())[r]));
      } else {
        scratch_.clear();
        formatter.Append(scratch_, r);
        out.AppendCell(scratch_);
      }
    }
  }
}

}  // namespace ac::results
