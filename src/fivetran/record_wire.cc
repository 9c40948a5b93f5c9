#include "fivetran/record_wire.h"

#include <fmt/format.h>

#include <array>
#include <cstring>

#include "common/error.h"

namespace ac::fivetran {
namespace {

using common::DataType;

// Wire types.
constexpr uint32_t kVarint = 0;
constexpr uint32_t kFixed64 = 1;
constexpr uint32_t kLengthDelimited = 2;
constexpr uint32_t kFixed32 = 5;

// Field numbers (proto/connector_sdk.proto, proto/common.proto).
constexpr uint32_t kRecordsRecord = 1;
constexpr uint32_t kRecordSchemaName = 1;
constexpr uint32_t kRecordTableName = 2;
constexpr uint32_t kRecordType = 3;
constexpr uint32_t kRecordData = 4;
constexpr uint32_t kMapKey = 1;
constexpr uint32_t kMapValue = 2;
constexpr uint32_t kTimestampSeconds = 1;
constexpr uint32_t kTimestampNanos = 2;
constexpr uint32_t kValueNull = 1;
constexpr uint32_t kValueBool = 2;
constexpr uint32_t kValueShort = 3;
constexpr uint32_t kValueInt = 4;
constexpr uint32_t kValueLong = 5;
constexpr uint32_t kValueFloat = 6;
constexpr uint32_t kValueDouble = 7;
constexpr uint32_t kValueNaiveDate = 8;
constexpr uint32_t kValueNaiveDatetime = 9;
constexpr uint32_t kValueUtcDatetime = 10;
constexpr uint32_t kValueDecimal = 11;
constexpr uint32_t kValueBinary = 12;
constexpr uint32_t kValueString = 13;
constexpr uint32_t kValueJson = 14;
constexpr uint32_t kValueXml = 15;
constexpr uint32_t kValueNaiveTime = 16;

constexpr size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
constexpr size_t TagSize(uint32_t field) {
  return VarintSize(static_cast<uint64_t>(field) << 3);
}
// int32/int64 fields: negative values are sign-extended to 64 bits (10 bytes).
constexpr uint64_t AsVarint(int64_t v) {
  return static_cast<uint64_t>(v);
}

/// Writes into space reserved beforehand (AppendRecord sizes a record before writing it): no
/// capacity check per field.
struct WireWriter {
  char* p;
};

void PutVarint(WireWriter& out, uint64_t v) {
  while (v >= 0x80) {
    *out.p++ = static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  *out.p++ = static_cast<char>(v);
}
void PutTag(WireWriter& out, uint32_t field, uint32_t wire_type) {
  PutVarint(out, (static_cast<uint64_t>(field) << 3) | wire_type);
}
template <typename T>
void PutFixed(WireWriter& out, T v) {
  std::memcpy(out.p, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
  out.p += sizeof(T);
}
void PutBytes(WireWriter& out, uint32_t field, std::string_view bytes) {
  PutTag(out, field, kLengthDelimited);
  PutVarint(out, bytes.size());
  if (!bytes.empty()) std::memcpy(out.p, bytes.data(), bytes.size());
  out.p += bytes.size();
}
size_t BytesFieldSize(uint32_t field, size_t size) {
  return TagSize(field) + VarintSize(size) + size;
}

size_t TimestampSize(const common::Timestamp& ts) {
  size_t n = 0;
  if (ts.seconds != 0) n += TagSize(kTimestampSeconds) + VarintSize(AsVarint(ts.seconds));
  if (ts.nanos != 0) n += TagSize(kTimestampNanos) + VarintSize(AsVarint(ts.nanos));
  return n;
}

/// The DataType each ValueType member carries, by field number (0 and `null`: none). The one
/// mapping between the two: the encoder uses its inverse, ValueField.
constexpr DataType kValueFieldType[] = {
    DataType::kUnspecified, DataType::kUnspecified,   DataType::kBoolean,     DataType::kShort,
    DataType::kInt,         DataType::kLong,          DataType::kFloat,       DataType::kDouble,
    DataType::kNaiveDate,   DataType::kNaiveDateTime, DataType::kUtcDateTime, DataType::kDecimal,
    DataType::kBinary,      DataType::kString,        DataType::kJson,        DataType::kXml,
    DataType::kNaiveTime};
static_assert(sizeof(kValueFieldType) / sizeof(kValueFieldType[0]) == kValueNaiveTime + 1);

/// The inverse of kValueFieldType, by DataType number, built at compile time; text of no declared
/// type (kUnspecified) travels as `string`.
constexpr std::array<uint32_t, static_cast<size_t>(DataType::kNaiveTime) + 1> kFieldOfType = [] {
  std::array<uint32_t, static_cast<size_t>(DataType::kNaiveTime) + 1> fields{};
  fields[static_cast<size_t>(DataType::kUnspecified)] = kValueString;
  for (uint32_t field = kValueBool; field <= kValueNaiveTime; ++field) {
    fields[static_cast<size_t>(kValueFieldType[field])] = field;
  }
  return fields;
}();

/// The ValueType member (field number) of a non-null value of `type`.
constexpr uint32_t ValueField(DataType type) {
  return kFieldOfType[static_cast<size_t>(type)];
}
static_assert(ValueField(DataType::kShort) == kValueShort &&
              ValueField(DataType::kNaiveTime) == kValueNaiveTime &&
              ValueField(DataType::kXml) == kValueXml &&
              ValueField(DataType::kUnspecified) == kValueString);

void PutValue(WireWriter& out, const common::Value& value) {
  if (value.is_null) {
    PutTag(out, kValueNull, kVarint);
    PutVarint(out, 1);
    return;
  }
  switch (value.type) {
    case DataType::kBoolean:
      PutTag(out, kValueBool, kVarint);
      PutVarint(out, value.boolean ? 1 : 0);
      return;
    case DataType::kShort:
    case DataType::kInt:
      PutTag(out, ValueField(value.type), kVarint);
      PutVarint(out, AsVarint(value.int32));
      return;
    case DataType::kLong:
      PutTag(out, kValueLong, kVarint);
      PutVarint(out, AsVarint(value.int64));
      return;
    case DataType::kFloat:
      PutTag(out, kValueFloat, kFixed32);
      PutFixed(out, value.float32);
      return;
    case DataType::kDouble:
      PutTag(out, kValueDouble, kFixed64);
      PutFixed(out, value.float64);
      return;
    case DataType::kNaiveDate:
    case DataType::kNaiveDateTime:
    case DataType::kUtcDateTime:
    case DataType::kNaiveTime: {
      PutTag(out, ValueField(value.type), kLengthDelimited);
      PutVarint(out, TimestampSize(value.timestamp));
      if (value.timestamp.seconds != 0) {
        PutTag(out, kTimestampSeconds, kVarint);
        PutVarint(out, AsVarint(value.timestamp.seconds));
      }
      if (value.timestamp.nanos != 0) {
        PutTag(out, kTimestampNanos, kVarint);
        PutVarint(out, AsVarint(value.timestamp.nanos));
      }
      return;
    }
    case DataType::kDecimal:
    case DataType::kBinary:
    case DataType::kXml:
    case DataType::kJson:
    case DataType::kString:
    case DataType::kUnspecified:
      PutBytes(out, ValueField(value.type), value.text);
      return;
  }
}

// --- Reading -----------------------------------------------------------------------------------

[[noreturn]] void Malformed(std::string_view what) {
  throw common::ProtocolError(fmt::format("malformed Update stream message: {}", what));
}

/// Reads protobuf wire fields from a view, front to back.
class WireReader {
 public:
  explicit WireReader(std::string_view input)
      : p_(input.data()), end_(input.data() + input.size()) {}
  bool done() const { return p_ == end_; }

  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) Malformed("truncated varint");
      const auto byte = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (byte < 0x80) return v;
    }
    Malformed("varint longer than 10 bytes");
  }
  /// Reads a tag: the field number in `field`, the wire type in `wire_type`.
  void Tag(uint32_t& field, uint32_t& wire_type) {
    const uint64_t tag = Varint();
    field = static_cast<uint32_t>(tag >> 3);
    wire_type = static_cast<uint32_t>(tag & 7);
    if (field == 0) Malformed("field number 0");
  }
  std::string_view Bytes() {
    const uint64_t size = Varint();
    if (size > static_cast<uint64_t>(end_ - p_)) Malformed("length beyond the end of the message");
    const std::string_view out(p_, static_cast<size_t>(size));
    p_ += size;
    return out;
  }
  template <typename T>
  T Fixed() {
    if (static_cast<size_t>(end_ - p_) < sizeof(T)) Malformed("truncated fixed-width value");
    T v;
    std::memcpy(&v, p_, sizeof(T));  // little-endian hosts only, as the encoder
    p_ += sizeof(T);
    return v;
  }
  /// Skips a field of an unknown number.
  void Skip(uint32_t wire_type) {
    switch (wire_type) {
      case kVarint:
        Varint();
        return;
      case kFixed64:
        Fixed<uint64_t>();
        return;
      case kLengthDelimited:
        Bytes();
        return;
      case kFixed32:
        Fixed<uint32_t>();
        return;
      default:
        Malformed(fmt::format("unsupported wire type {}", wire_type));
    }
  }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  /// A field of a known number must have its declared wire type.
  static void Expect(uint32_t wire_type, uint32_t expected) {
    if (wire_type != expected)
      Malformed(fmt::format("wire type {} where {} was expected", wire_type, expected));
  }

 private:
  const char* p_;
  const char* end_;
};

common::Timestamp ReadTimestamp(std::string_view bytes) {
  common::Timestamp ts{0, 0};
  WireReader in(bytes);
  while (!in.done()) {
    uint32_t field, wire_type;
    in.Tag(field, wire_type);
    if (field == kTimestampSeconds && wire_type == kVarint) {
      ts.seconds = static_cast<int64_t>(in.Varint());
    } else if (field == kTimestampNanos && wire_type == kVarint) {
      ts.nanos = static_cast<int32_t>(in.Varint());
    } else {
      in.Skip(wire_type);
    }
  }
  return ts;
}

CarriedValue ReadValue(std::string_view bytes) {
  CarriedValue out;
  WireReader in(bytes);
  while (!in.done()) {
    uint32_t field, wire_type;
    in.Tag(field, wire_type);
    switch (field) {  // a later oneof member replaces an earlier one
      case kValueNull:
        WireReader::Expect(wire_type, kVarint);
        in.Varint();
        out = CarriedValue{};
        break;
      case kValueBool:
        WireReader::Expect(wire_type, kVarint);
        out.type = DataType::kBoolean;
        out.boolean = in.Varint() != 0;
        break;
      case kValueShort:
      case kValueInt:
        WireReader::Expect(wire_type, kVarint);
        out.type = kValueFieldType[field];
        out.int32 = static_cast<int32_t>(in.Varint());
        break;
      case kValueLong:
        WireReader::Expect(wire_type, kVarint);
        out.type = DataType::kLong;
        out.int64 = static_cast<int64_t>(in.Varint());
        break;
      case kValueFloat:
        WireReader::Expect(wire_type, kFixed32);
        out.type = DataType::kFloat;
        out.float32 = in.Fixed<float>();
        break;
      case kValueDouble:
        WireReader::Expect(wire_type, kFixed64);
        out.type = DataType::kDouble;
        out.float64 = in.Fixed<double>();
        break;
      case kValueNaiveDate:
      case kValueNaiveDatetime:
      case kValueUtcDatetime:
      case kValueNaiveTime:
        WireReader::Expect(wire_type, kLengthDelimited);
        out.type = kValueFieldType[field];
        out.timestamp = ReadTimestamp(in.Bytes());
        break;
      case kValueDecimal:
      case kValueBinary:
      case kValueString:
      case kValueJson:
      case kValueXml:
        WireReader::Expect(wire_type, kLengthDelimited);
        out.type = kValueFieldType[field];
        out.text = in.Bytes();
        break;
      default:
        in.Skip(wire_type);
    }
  }
  return out;
}

}  // namespace

bool RecordWireDecoder::Next(WireRecord& record) {
  WireReader records(input_);
  std::string_view body;
  bool found = false;
  while (!records.done() && !found) {
    uint32_t field, wire_type;
    records.Tag(field, wire_type);
    if (field == kRecordsRecord) {
      WireReader::Expect(wire_type, kLengthDelimited);
      body = records.Bytes();
      found = true;
    } else {
      records.Skip(wire_type);
    }
    // What is left of the Records body for the next call.
    input_ = input_.substr(input_.size() - records.remaining());
  }
  if (!found) return false;

  record.schema_name = {};
  record.table_name = {};
  record.type = 0;
  record.entries.clear();
  WireReader in(body);
  while (!in.done()) {
    uint32_t field, wire_type;
    in.Tag(field, wire_type);
    switch (field) {
      case kRecordSchemaName:
        WireReader::Expect(wire_type, kLengthDelimited);
        record.schema_name = in.Bytes();
        break;
      case kRecordTableName:
        WireReader::Expect(wire_type, kLengthDelimited);
        record.table_name = in.Bytes();
        break;
      case kRecordType:
        WireReader::Expect(wire_type, kVarint);
        record.type = static_cast<int>(static_cast<int32_t>(in.Varint()));
        break;
      case kRecordData: {
        WireReader::Expect(wire_type, kLengthDelimited);
        WireRecord::Entry& entry = record.entries.emplace_back();
        WireReader map_entry(in.Bytes());
        while (!map_entry.done()) {
          uint32_t entry_field, entry_wire_type;
          map_entry.Tag(entry_field, entry_wire_type);
          if (entry_field == kMapKey) {
            WireReader::Expect(entry_wire_type, kLengthDelimited);
            entry.name = map_entry.Bytes();
          } else if (entry_field == kMapValue) {
            WireReader::Expect(entry_wire_type, kLengthDelimited);
            entry.value = ReadValue(map_entry.Bytes());
          } else {
            map_entry.Skip(entry_wire_type);
          }
        }
        break;
      }
      default:  // unknown fields
        in.Skip(wire_type);
    }
  }
  return true;
}

std::optional<std::string_view> UpdateResponseRecords(std::string_view update_response) {
  std::optional<std::string_view> records;
  WireReader in(update_response);
  while (!in.done()) {
    uint32_t field, wire_type;
    in.Tag(field, wire_type);
    if (field == kUpdateResponseRecordsField && wire_type == kLengthDelimited) {
      records = in.Bytes();
    } else {
      in.Skip(wire_type);
      if (field <= 6) records.reset();  // another oneof member set later replaces `records`
    }
  }
  return records;
}

size_t RecordWireEncoder::ValueSize(const common::Value& value) {
  if (value.is_null) return TagSize(kValueNull) + 1;
  switch (value.type) {
    case DataType::kBoolean:
      return TagSize(kValueBool) + 1;
    case DataType::kShort:
    case DataType::kInt:
      return TagSize(ValueField(value.type)) + VarintSize(AsVarint(value.int32));
    case DataType::kLong:
      return TagSize(kValueLong) + VarintSize(AsVarint(value.int64));
    case DataType::kFloat:
      return TagSize(kValueFloat) + 4;
    case DataType::kDouble:
      return TagSize(kValueDouble) + 8;
    case DataType::kNaiveDate:
    case DataType::kNaiveDateTime:
    case DataType::kUtcDateTime:
    case DataType::kNaiveTime:
      return BytesFieldSize(ValueField(value.type), TimestampSize(value.timestamp));
    default:
      return BytesFieldSize(ValueField(value.type), value.text.size());
  }
}

size_t RecordWireEncoder::AppendRecord(std::string& out, const common::TableSchema& table,
                                       connector::RecordType type, const common::Value* row) {
  const size_t start = out.size();
  // The record's size first (its length prefix), from the sizes of its entries.
  size_t record_size = BytesFieldSize(kRecordTableName, table.name.size());
  if (!table.schema.empty()) record_size += BytesFieldSize(kRecordSchemaName, table.schema.size());
  const auto type_number = static_cast<uint64_t>(type);
  if (type_number != 0) record_size += TagSize(kRecordType) + VarintSize(type_number);
  const size_t columns = row != nullptr ? table.columns.size() : 0;
  for (size_t c = 0; c < columns; ++c) {
    const size_t entry = BytesFieldSize(kMapKey, table.columns[c].name.size()) +
                         BytesFieldSize(kMapValue, ValueSize(row[c]));
    record_size += BytesFieldSize(kRecordData, entry);
  }
  const size_t total = TagSize(kRecordsRecord) + VarintSize(record_size) + record_size;
  out.resize(start + total);
  WireWriter writer{out.data() + start};
  PutTag(writer, kRecordsRecord, kLengthDelimited);
  PutVarint(writer, record_size);
  if (!table.schema.empty()) PutBytes(writer, kRecordSchemaName, table.schema);
  PutBytes(writer, kRecordTableName, table.name);
  if (type_number != 0) {
    PutTag(writer, kRecordType, kVarint);
    PutVarint(writer, type_number);
  }
  for (size_t c = 0; c < columns; ++c) {
    const std::string& name = table.columns[c].name;
    const size_t value_size = ValueSize(row[c]);
    PutTag(writer, kRecordData, kLengthDelimited);
    PutVarint(writer, BytesFieldSize(kMapKey, name.size()) + BytesFieldSize(kMapValue, value_size));
    PutBytes(writer, kMapKey, name);
    PutTag(writer, kMapValue, kLengthDelimited);
    PutVarint(writer, value_size);
    PutValue(writer, row[c]);
  }
  if (writer.p != out.data() + out.size()) {  // the sizes above and the writes disagree: a bug here
    throw common::InternalError(
        fmt::format("record of table '{}': encoded {} bytes for a computed size of {}", table.name,
                    writer.p - (out.data() + start), total));
  }
  return total;
}

}  // namespace ac::fivetran
