#include "athena_text/cell_formatter.h"

#include <stdexcept>
#include <string_view>
#include <vector>

#include "athena_text/value_format.h"

namespace ac::athena_text {
namespace {

using Interval = CellTextHints::Interval;

inline __int128 HugeOf(const duckdb_hugeint& h) {
  return static_cast<__int128>(
      (static_cast<unsigned __int128>(static_cast<uint64_t>(h.upper)) << 64) | h.lower);
}

template <typename T>
const T* As(const void* data) {
  return static_cast<const T*>(data);
}

class BooleanFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    out += As<bool>(data_)[row] ? "true" : "false";
  }
};

template <typename T>
class IntegerFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    const T value = As<T>(data_)[row];
    if constexpr (std::is_signed_v<T>) {
      AppendInt64(out, static_cast<int64_t>(value));
    } else {
      AppendUInt64(out, static_cast<uint64_t>(value));
    }
  }
};

class HugeintFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    AppendInt128(out, HugeOf(As<duckdb_hugeint>(data_)[row]));
  }
};

class UHugeintFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    const auto& v = As<duckdb_uhugeint>(data_)[row];
    AppendUInt128(out, (static_cast<unsigned __int128>(v.upper) << 64) | v.lower);
  }
};

class FloatFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    AppendJavaFloat(out, As<float>(data_)[row]);
  }
};

class DoubleFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    AppendJavaDouble(out, As<double>(data_)[row]);
  }
};

template <typename T>
class DecimalFormatter final : public CellFormatter {
 public:
  explicit DecimalFormatter(int scale) : scale_(scale) {}
  void Append(std::string& out, idx_t row) const override {
    if constexpr (std::is_same_v<T, duckdb_hugeint>) {
      AppendDecimal(out, HugeOf(As<duckdb_hugeint>(data_)[row]), scale_);
    } else {
      AppendDecimal(out, static_cast<__int128>(As<T>(data_)[row]), scale_);
    }
  }

 private:
  int scale_;
};

class VarcharFormatter final : public CellFormatter {
 public:
  explicit VarcharFormatter(int pad_to = 0) : pad_to_(pad_to) {}
  void Append(std::string& out, idx_t row) const override {
    const std::string_view text = StringOf(As<duckdb_string_t>(data_)[row]);
    out.append(text.data(), text.size());
    if (pad_to_ > 0) {
      int code_points = 0;
      for (char c : text) code_points += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      for (int i = code_points; i < pad_to_; ++i) out.push_back(' ');
    }
  }

 private:
  int pad_to_;
};

class JsonFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    AppendCompactJson(out, StringOf(As<duckdb_string_t>(data_)[row]));
  }
};

class BlobFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    AppendSpacedHex(out, StringOf(As<duckdb_string_t>(data_)[row]));
  }
};

class DateFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    AppendDate(out, As<int32_t>(data_)[row]);
  }
};

class TimeFormatter final : public CellFormatter {
 public:
  explicit TimeFormatter(int64_t units_per_milli) : units_per_milli_(units_per_milli) {}
  void Append(std::string& out, idx_t row) const override {
    AppendTimeOfDayMillis(out, As<int64_t>(data_)[row] / units_per_milli_);
  }

 private:
  int64_t units_per_milli_;
};

class TimeTzFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    const duckdb_time_tz_struct t = duckdb_from_time_tz(As<duckdb_time_tz>(data_)[row]);
    const int64_t millis =
        ((static_cast<int64_t>(t.time.hour) * 60 + t.time.min) * 60 + t.time.sec) * 1000 +
        t.time.micros / 1000;
    AppendTimeOfDayMillis(out, millis);
    AppendZoneOffset(out, t.offset);
  }
};

class TimestampFormatter final : public CellFormatter {
 public:
  enum class Unit { kSeconds, kMillis, kMicros, kNanos };
  TimestampFormatter(Unit unit, bool with_zone, const common::TimeZone* zone = nullptr,
                     std::string zone_id = {})
      : unit_(unit), with_zone_(with_zone), zone_(zone), zone_id_(std::move(zone_id)) {}
  void Append(std::string& out, idx_t row) const override {
    const int64_t raw = As<int64_t>(data_)[row];
    int64_t millis = raw;
    switch (unit_) {
      case Unit::kSeconds:
        millis = raw * 1000;
        break;
      case Unit::kMillis:
        break;
      case Unit::kMicros:
        millis = MicrosToMillisRounded(raw);
        break;
      case Unit::kNanos:
        millis = FloorDiv(raw + 500'000, 1'000'000);
        break;
    }
    if (!with_zone_) {
      AppendTimestampMillis(out, millis);
      return;
    }
    if (zone_ == nullptr) {
      AppendTimestampMillis(out, millis);
      out += " UTC";
      return;
    }
    const int64_t offset_millis = int64_t{zone_->OffsetAt(FloorDiv(millis, 1000))} * 1000;
    AppendTimestampMillis(out, millis + offset_millis);
    out += ' ';
    out += zone_id_;
  }

 private:
  Unit unit_;
  bool with_zone_;
  const common::TimeZone* zone_;
  std::string zone_id_;
};

class IntervalFormatter final : public CellFormatter {
 public:
  explicit IntervalFormatter(Interval kind) : kind_(kind) {}
  void Append(std::string& out, idx_t row) const override {
    const duckdb_interval& v = As<duckdb_interval>(data_)[row];
    const bool year_month =
        kind_ == Interval::kYearToMonth ||
        (kind_ == Interval::kAuto && v.months != 0 && v.days == 0 && v.micros == 0);
    if (year_month) {
      AppendIntervalYearToMonth(out, v.months);
    } else {
      const int64_t millis =
          (static_cast<int64_t>(v.months) * 30 + v.days) * 86'400'000 + v.micros / 1000;
      AppendIntervalDayToSecond(out, millis);
    }
  }

 private:
  Interval kind_;
};

class UuidFormatter final : public CellFormatter {
 public:
  void Append(std::string& out, idx_t row) const override {
    const auto& h = As<duckdb_hugeint>(data_)[row];
    // DuckDB stores a UUID as a hugeint with the top bit flipped (to sort correctly).
    const uint64_t high = static_cast<uint64_t>(h.upper) ^ (uint64_t{1} << 63);
    AppendUuid(out, high, h.lower);
  }
};

template <typename T>
class EnumFormatter final : public CellFormatter {
 public:
  explicit EnumFormatter(std::vector<std::string> dictionary)
      : dictionary_(std::move(dictionary)) {}
  void Append(std::string& out, idx_t row) const override {
    const auto index = static_cast<size_t>(As<T>(data_)[row]);
    if (index < dictionary_.size()) out += dictionary_[index];
  }

 private:
  std::vector<std::string> dictionary_;
};

class NullFormatter final : public CellFormatter {
 public:
  NullFormatter() : all_null_(duckdb_vector_size() / 64 + 1, 0) {}
  void Bind(duckdb_vector) override {
    data_ = nullptr;
    validity_ = all_null_.data();  // every row reads as NULL (a SQLNULL vector has no data)
  }
  void Append(std::string&, idx_t) const override {}

 private:
  std::vector<uint64_t> all_null_;
};

// Appends one nested element: `null` for NULL.
inline void AppendElement(const CellFormatter& f, std::string& out, idx_t row) {
  if (f.IsNull(row)) {
    out += "null";
  } else {
    f.Append(out, row);
  }
}

class ListFormatter final : public CellFormatter {
 public:
  explicit ListFormatter(std::unique_ptr<CellFormatter> child) : child_(std::move(child)) {}
  void Bind(duckdb_vector vector) override {
    CellFormatter::Bind(vector);
    child_->Bind(duckdb_list_vector_get_child(vector));
  }
  void Append(std::string& out, idx_t row) const override {
    const duckdb_list_entry& e = As<duckdb_list_entry>(data_)[row];
    out.push_back('[');
    for (uint64_t i = 0; i < e.length; ++i) {
      if (i != 0) out += ", ";
      AppendElement(*child_, out, e.offset + i);
    }
    out.push_back(']');
  }

 private:
  std::unique_ptr<CellFormatter> child_;
};

class ArrayFormatter final : public CellFormatter {
 public:
  ArrayFormatter(std::unique_ptr<CellFormatter> child, idx_t size)
      : child_(std::move(child)), size_(size) {}
  void Bind(duckdb_vector vector) override {
    CellFormatter::Bind(vector);
    child_->Bind(duckdb_array_vector_get_child(vector));
  }
  void Append(std::string& out, idx_t row) const override {
    out.push_back('[');
    for (idx_t i = 0; i < size_; ++i) {
      if (i != 0) out += ", ";
      AppendElement(*child_, out, row * size_ + i);
    }
    out.push_back(']');
  }

 private:
  std::unique_ptr<CellFormatter> child_;
  idx_t size_;
};

class MapFormatter final : public CellFormatter {
 public:
  MapFormatter(std::unique_ptr<CellFormatter> key, std::unique_ptr<CellFormatter> value)
      : key_(std::move(key)), value_(std::move(value)) {}
  void Bind(duckdb_vector vector) override {
    CellFormatter::Bind(vector);
    duckdb_vector entries = duckdb_list_vector_get_child(vector);
    key_->Bind(duckdb_struct_vector_get_child(entries, 0));
    value_->Bind(duckdb_struct_vector_get_child(entries, 1));
  }
  void Append(std::string& out, idx_t row) const override {
    const duckdb_list_entry& e = As<duckdb_list_entry>(data_)[row];
    out.push_back('{');
    for (uint64_t i = 0; i < e.length; ++i) {
      if (i != 0) out += ", ";
      AppendElement(*key_, out, e.offset + i);
      out.push_back('=');
      AppendElement(*value_, out, e.offset + i);
    }
    out.push_back('}');
  }

 private:
  std::unique_ptr<CellFormatter> key_;
  std::unique_ptr<CellFormatter> value_;
};

class StructFormatter final : public CellFormatter {
 public:
  StructFormatter(std::vector<std::string> names,
                  std::vector<std::unique_ptr<CellFormatter>> fields)
      : names_(std::move(names)), fields_(std::move(fields)) {}
  void Bind(duckdb_vector vector) override {
    CellFormatter::Bind(vector);
    for (size_t i = 0; i < fields_.size(); ++i) {
      fields_[i]->Bind(duckdb_struct_vector_get_child(vector, i));
    }
  }
  void Append(std::string& out, idx_t row) const override {
    out.push_back('{');
    for (size_t i = 0; i < fields_.size(); ++i) {
      if (i != 0) out += ", ";
      out += names_[i];
      out.push_back('=');
      AppendElement(*fields_[i], out, row);
    }
    out.push_back('}');
  }

 private:
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<CellFormatter>> fields_;
};

}  // namespace

bool IsJsonType(duckdb_logical_type type) {
  char* alias = duckdb_logical_type_get_alias(type);
  if (alias == nullptr) return false;
  const bool json = std::string_view(alias) == "JSON";
  duckdb_free(alias);
  return json;
}

void CellFormatter::Bind(duckdb_vector vector) {
  data_ = duckdb_vector_get_data(vector);
  validity_ = duckdb_vector_get_validity(vector);
}

std::unique_ptr<CellFormatter> MakeCellFormatter(duckdb_logical_type type,
                                                 const CellTextHints& hints) {
  switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN:
      return std::make_unique<BooleanFormatter>();
    case DUCKDB_TYPE_TINYINT:
      return std::make_unique<IntegerFormatter<int8_t>>();
    case DUCKDB_TYPE_SMALLINT:
      return std::make_unique<IntegerFormatter<int16_t>>();
    case DUCKDB_TYPE_INTEGER:
      return std::make_unique<IntegerFormatter<int32_t>>();
    case DUCKDB_TYPE_BIGINT:
      return std::make_unique<IntegerFormatter<int64_t>>();
    case DUCKDB_TYPE_UTINYINT:
      return std::make_unique<IntegerFormatter<uint8_t>>();
    case DUCKDB_TYPE_USMALLINT:
      return std::make_unique<IntegerFormatter<uint16_t>>();
    case DUCKDB_TYPE_UINTEGER:
      return std::make_unique<IntegerFormatter<uint32_t>>();
    case DUCKDB_TYPE_UBIGINT:
      return std::make_unique<IntegerFormatter<uint64_t>>();
    case DUCKDB_TYPE_HUGEINT:
      return std::make_unique<HugeintFormatter>();
    case DUCKDB_TYPE_UHUGEINT:
      return std::make_unique<UHugeintFormatter>();
    case DUCKDB_TYPE_FLOAT:
      return std::make_unique<FloatFormatter>();
    case DUCKDB_TYPE_DOUBLE:
      return std::make_unique<DoubleFormatter>();
    case DUCKDB_TYPE_DECIMAL: {
      const int scale = duckdb_decimal_scale(type);
      switch (duckdb_decimal_internal_type(type)) {
        case DUCKDB_TYPE_SMALLINT:
          return std::make_unique<DecimalFormatter<int16_t>>(scale);
        case DUCKDB_TYPE_INTEGER:
          return std::make_unique<DecimalFormatter<int32_t>>(scale);
        case DUCKDB_TYPE_BIGINT:
          return std::make_unique<DecimalFormatter<int64_t>>(scale);
        default:
          return std::make_unique<DecimalFormatter<duckdb_hugeint>>(scale);
      }
    }
    case DUCKDB_TYPE_VARCHAR:
      if (IsJsonType(type) || hints.json) return std::make_unique<JsonFormatter>();
      return std::make_unique<VarcharFormatter>(hints.char_length);
    case DUCKDB_TYPE_BLOB:
      return std::make_unique<BlobFormatter>();
    case DUCKDB_TYPE_DATE:
      return std::make_unique<DateFormatter>();
    case DUCKDB_TYPE_TIME:
      return std::make_unique<TimeFormatter>(1000);
    case DUCKDB_TYPE_TIME_NS:
      return std::make_unique<TimeFormatter>(1'000'000);
    case DUCKDB_TYPE_TIME_TZ:
      return std::make_unique<TimeTzFormatter>();
    case DUCKDB_TYPE_TIMESTAMP:
      return std::make_unique<TimestampFormatter>(TimestampFormatter::Unit::kMicros, false);
    case DUCKDB_TYPE_TIMESTAMP_S:
      return std::make_unique<TimestampFormatter>(TimestampFormatter::Unit::kSeconds, false);
    case DUCKDB_TYPE_TIMESTAMP_MS:
      return std::make_unique<TimestampFormatter>(TimestampFormatter::Unit::kMillis, false);
    case DUCKDB_TYPE_TIMESTAMP_NS:
      return std::make_unique<TimestampFormatter>(TimestampFormatter::Unit::kNanos, false);
    case DUCKDB_TYPE_TIMESTAMP_TZ:
      return std::make_unique<TimestampFormatter>(TimestampFormatter::Unit::kMicros, true,
                                                  hints.zone, hints.zone_id);
    case DUCKDB_TYPE_INTERVAL:
      return std::make_unique<IntervalFormatter>(hints.interval);
    case DUCKDB_TYPE_UUID:
      return std::make_unique<UuidFormatter>();
    case DUCKDB_TYPE_SQLNULL:
      return std::make_unique<NullFormatter>();
    case DUCKDB_TYPE_ENUM: {
      std::vector<std::string> dictionary;
      const uint32_t n = duckdb_enum_dictionary_size(type);
      dictionary.reserve(n);
      for (uint32_t i = 0; i < n; ++i) {
        char* value = duckdb_enum_dictionary_value(type, i);
        dictionary.emplace_back(value != nullptr ? value : "");
        duckdb_free(value);
      }
      switch (duckdb_enum_internal_type(type)) {
        case DUCKDB_TYPE_UTINYINT:
          return std::make_unique<EnumFormatter<uint8_t>>(std::move(dictionary));
        case DUCKDB_TYPE_USMALLINT:
          return std::make_unique<EnumFormatter<uint16_t>>(std::move(dictionary));
        default:
          return std::make_unique<EnumFormatter<uint32_t>>(std::move(dictionary));
      }
    }
    case DUCKDB_TYPE_LIST: {
      LogicalTypeHolder child(duckdb_list_type_child_type(type));
      return std::make_unique<ListFormatter>(MakeCellFormatter(child.get()));
    }
    case DUCKDB_TYPE_ARRAY: {
      LogicalTypeHolder child(duckdb_array_type_child_type(type));
      return std::make_unique<ArrayFormatter>(MakeCellFormatter(child.get()),
                                              duckdb_array_type_array_size(type));
    }
    case DUCKDB_TYPE_MAP: {
      LogicalTypeHolder key(duckdb_map_type_key_type(type));
      LogicalTypeHolder value(duckdb_map_type_value_type(type));
      return std::make_unique<MapFormatter>(MakeCellFormatter(key.get()),
                                            MakeCellFormatter(value.get()));
    }
    case DUCKDB_TYPE_STRUCT: {
      const idx_t n = duckdb_struct_type_child_count(type);
      std::vector<std::string> names;
      std::vector<std::unique_ptr<CellFormatter>> fields;
      for (idx_t i = 0; i < n; ++i) {
        char* name = duckdb_struct_type_child_name(type, i);
        names.emplace_back(name != nullptr && *name != '\0' ? std::string(name)
                                                            : "field" + std::to_string(i));
        duckdb_free(name);
        LogicalTypeHolder child(duckdb_struct_type_child_type(type, i));
        fields.push_back(MakeCellFormatter(child.get()));
      }
      return std::make_unique<StructFormatter>(std::move(names), std::move(fields));
    }
    default:
      throw std::invalid_argument("DuckDB type id " +
                                  std::to_string(static_cast<int>(duckdb_get_type_id(type))) +
                                  " has no Athena text form");
  }
}

}  // namespace ac::athena_text
