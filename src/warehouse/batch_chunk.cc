#include "warehouse/batch_chunk.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>

#include "common/crypto.h"
#include "common/error.h"

namespace ac::warehouse::detail {
namespace {

using common::ColumnSchema;
using common::DataType;
using common::Value;
using common::ValueBatch;

constexpr int64_t kMicrosPerSecond = 1'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr int64_t kMicrosPerDay = kSecondsPerDay * kMicrosPerSecond;

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, p + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t code_point;
    if ((c & 0xE0) == 0xC0) {
      length = 2;
      code_point = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3;
      code_point = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4;
      code_point = c & 0x07;
    } else {
      return false;
    }
    if (i + length > n) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (p[i + k] & 0x3F);
    }
    if ((length == 2 && code_point < 0x80) || (length == 3 && code_point < 0x800) ||
        (length == 4 && code_point < 0x10000) || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t TimestampMicros(const common::Timestamp& ts) {
  return ts.seconds * kMicrosPerSecond + FloorDiv(ts.nanos, 1000);
}

int64_t TimeOfDayMicros(const common::Timestamp& ts) {
  const int64_t micros = TimestampMicros(ts) % kMicrosPerDay;
  return micros < 0 ? micros + kMicrosPerDay : micros;
}

/// Appends the bytes of a value as DuckDB stores it (dates as days, times as microseconds) to
/// `out`: equal bytes <=> equal stored values for the exact key types (HasExactKeys in
/// table_definition.cc), and the input of `_fivetran_id`.
void AppendCanonicalBytes(const Value& value, const ColumnSchema& column, std::string& out) {
  auto append_raw = [&out](const void* data, size_t size) {
    out.append(static_cast<const char*>(data), size);
  };
  if (value.is_null) {
    out.push_back('\0');
    return;
  }
  out.push_back(static_cast<char>(column.type));
  switch (column.type) {
    case DataType::kBoolean:
      out.push_back(value.boolean ? '\1' : '\0');
      break;
    case DataType::kShort:
    case DataType::kInt:
      append_raw(&value.int32, sizeof(value.int32));
      break;
    case DataType::kLong:
      append_raw(&value.int64, sizeof(value.int64));
      break;
    case DataType::kFloat:
      append_raw(&value.float32, sizeof(value.float32));
      break;
    case DataType::kDouble:
      append_raw(&value.float64, sizeof(value.float64));
      break;
    case DataType::kNaiveDate: {
      const int64_t days = FloorDiv(value.timestamp.seconds, kSecondsPerDay);
      append_raw(&days, sizeof(days));
      break;
    }
    case DataType::kNaiveDateTime:
    case DataType::kUtcDateTime: {
      const int64_t micros = TimestampMicros(value.timestamp);
      append_raw(&micros, sizeof(micros));
      break;
    }
    case DataType::kNaiveTime: {
      const int64_t micros = TimeOfDayMicros(value.timestamp);
      append_raw(&micros, sizeof(micros));
      break;
    }
    default: {
      const uint64_t size = value.text.size();
      append_raw(&size, sizeof(size));
      out.append(value.text);
      break;
    }
  }
}

}  // namespace

void SelectRows(WarehouseTable& t, const ValueBatch& rows) {
  const size_t num_rows = rows.num_rows();
  const auto& columns = t.schema.columns;
  t.selection.clear();
  if (t.keyless) {
    t.row_ids.resize(num_rows);
    for (size_t r = 0; r < num_rows; ++r) {
      t.key_bytes.clear();
      for (size_t c = 0; c < columns.size(); ++c) {
        AppendCanonicalBytes(rows.at(r, c), columns[c], t.key_bytes);
      }
      const common::Sha256Digest digest = common::Sha256(t.key_bytes);
      static constexpr char kHex[] = "0123456789abcdef";
      for (size_t i = 0; i < kRowIdHexDigits / 2; ++i) {
        t.row_ids[r][2 * i] = kHex[digest[i] >> 4];
        t.row_ids[r][2 * i + 1] = kHex[digest[i] & 0xF];
      }
    }
  }
  // A bulk load appends every row: AddPendingKey keeps the last of each key (same
  // `_fivetran_synced` within a Write, so the later append).
  if (!t.exact_keys || t.bulk || num_rows == 1) {
    for (size_t r = 0; r < num_rows; ++r) t.selection.push_back(static_cast<uint32_t>(r));
    return;
  }
  // Key bytes of every row, then (hash, row) sorted: equal keys end up adjacent.
  t.key_bytes.clear();
  t.key_offsets.assign(1, 0);
  for (size_t r = 0; r < num_rows; ++r) {
    if (t.keyless) {
      t.key_bytes.append(t.row_ids[r].data(), kRowIdHexDigits);
    } else {
      for (size_t index : t.key)
        AppendCanonicalBytes(rows.at(r, index), columns[index], t.key_bytes);
    }
    t.key_offsets.push_back(t.key_bytes.size());
  }
  auto key_of = [&t](size_t r) {
    return std::string_view(t.key_bytes)
        .substr(t.key_offsets[r], t.key_offsets[r + 1] - t.key_offsets[r]);
  };
  t.key_hashes.clear();
  for (size_t r = 0; r < num_rows; ++r) {
    t.key_hashes.emplace_back(std::hash<std::string_view>{}(key_of(r)), static_cast<uint32_t>(r));
  }
  std::sort(t.key_hashes.begin(), t.key_hashes.end());
  t.superseded.assign(num_rows, 0);
  for (size_t i = 0; i < num_rows;) {
    size_t j = i + 1;
    while (j < num_rows && t.key_hashes[j].first == t.key_hashes[i].first) ++j;
    // Rows [i, j) share a hash, in row order; a row is superseded by a later row with its key.
    for (size_t a = i; a + 1 < j; ++a) {
      for (size_t b = a + 1; b < j; ++b) {
        if (key_of(t.key_hashes[a].second) == key_of(t.key_hashes[b].second)) {
          t.superseded[t.key_hashes[a].second] = 1;
          break;
        }
      }
    }
    i = j;
  }
  for (size_t r = 0; r < num_rows; ++r) {
    if (t.superseded[r] == 0) t.selection.push_back(static_cast<uint32_t>(r));
  }
}

void FillChunk(WarehouseTable& t, const ValueBatch& rows, size_t begin, size_t count,
               int64_t now_micros) {
  duckdb_data_chunk chunk = t.chunk;
  const auto& columns = t.schema.columns;
  const uint32_t* selection = t.selection.data() + begin;
  {
    auto* seq = static_cast<int64_t*>(
        duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, kBatchSeqColumn)));
    auto* now = static_cast<duckdb_timestamp*>(
        duckdb_vector_get_data(duckdb_data_chunk_get_vector(chunk, kBatchNowColumn)));
    for (size_t r = 0; r < count; ++r) {
      seq[r] = selection[r];
      now[r].micros = now_micros;
    }
  }
  for (size_t c = 0; c < columns.size(); ++c) {
    const ColumnSchema& column = columns[c];
    duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, kBatchFirstValueColumn + c);
    duckdb_vector_ensure_validity_writable(vector);
    uint64_t* validity = duckdb_vector_get_validity(vector);
    void* data = duckdb_vector_get_data(vector);
    for (size_t r = 0; r < count; ++r) {
      const size_t row = selection[r];
      const Value& v = rows.at(row, c);
      if (v.is_null) {
        duckdb_validity_set_row_invalid(validity, r);
        continue;
      }
      duckdb_validity_set_row_valid(validity, r);
      if (v.type != column.type) {
        throw common::InternalError(fmt::format(
            "warehouse: table {}: column {} is {} but row {} holds a {} value", t.display_name,
            column.name, common::DataTypeName(column.type), row, common::DataTypeName(v.type)));
      }
      switch (column.type) {
        case DataType::kBoolean:
          static_cast<bool*>(data)[r] = v.boolean;
          break;
        case DataType::kShort:
          if (v.int32 < INT16_MIN || v.int32 > INT16_MAX) {
            throw common::ProtocolError(
                fmt::format("warehouse: table {}: column {} (SHORT) value {} is out of range",
                            t.display_name, column.name, v.int32));
          }
          static_cast<int16_t*>(data)[r] = static_cast<int16_t>(v.int32);
          break;
        case DataType::kInt:
          static_cast<int32_t*>(data)[r] = v.int32;
          break;
        case DataType::kLong:
          static_cast<int64_t*>(data)[r] = v.int64;
          break;
        case DataType::kFloat:
          static_cast<float*>(data)[r] = v.float32;
          break;
        case DataType::kDouble:
          static_cast<double*>(data)[r] = v.float64;
          break;
        case DataType::kNaiveDate:
          static_cast<duckdb_date*>(data)[r].days =
              static_cast<int32_t>(FloorDiv(v.timestamp.seconds, kSecondsPerDay));
          break;
        case DataType::kNaiveDateTime:
        case DataType::kUtcDateTime:
          static_cast<duckdb_timestamp*>(data)[r].micros = TimestampMicros(v.timestamp);
          break;
        case DataType::kNaiveTime:
          static_cast<duckdb_time*>(data)[r].micros = TimeOfDayMicros(v.timestamp);
          break;
        case DataType::kBinary:
          duckdb_vector_assign_string_element_len(vector, r, v.text.data(), v.text.size());
          break;
        case DataType::kDecimal:
        case DataType::kXml:
        case DataType::kString:
        case DataType::kJson:
        case DataType::kUnspecified:
          if (!IsValidUtf8(v.text)) {
            throw common::ProtocolError(
                fmt::format("warehouse: table {}: column {} row {} is not valid UTF-8",
                            t.display_name, column.name, row));
          }
          duckdb_vector_assign_string_element_len(vector, r, v.text.data(), v.text.size());
          break;
      }
    }
  }
  if (t.keyless) {
    duckdb_vector vector = duckdb_data_chunk_get_vector(chunk, t.id_column());
    for (size_t r = 0; r < count; ++r) {
      duckdb_vector_assign_string_element_len(vector, r, t.row_ids[selection[r]].data(),
                                              kRowIdHexDigits);
    }
  }
  duckdb_data_chunk_set_size(chunk, count);
}

}  // namespace ac::warehouse::detail
