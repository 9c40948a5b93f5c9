#include "fivetran/convert.h"

namespace ac::fivetran {
namespace {

using common::DataType;

void SetTimestamp(const common::Timestamp& ts, google::protobuf::Timestamp* out) {
  out->set_seconds(ts.seconds);
  out->set_nanos(ts.nanos);
}

common::Timestamp GetTimestamp(const google::protobuf::Timestamp& ts) {
  return common::Timestamp{ts.seconds(), ts.nanos()};
}

bool IsIntegral(DataType type) {
  return type == DataType::kShort || type == DataType::kInt || type == DataType::kLong;
}

bool IsTemporal(DataType type) {
  return type == DataType::kNaiveDate || type == DataType::kNaiveDateTime ||
         type == DataType::kUtcDateTime || type == DataType::kNaiveTime;
}

bool IsText(DataType type) {
  return type == DataType::kDecimal || type == DataType::kBinary || type == DataType::kString ||
         type == DataType::kJson || type == DataType::kXml;
}

}  // namespace

pb::DataType ToProtoType(DataType type) {
  return static_cast<pb::DataType>(static_cast<int>(type));
}

DataType FromProtoType(pb::DataType type) {
  const int number = static_cast<int>(type);
  if (number < 0 || number > static_cast<int>(DataType::kNaiveTime)) return DataType::kUnspecified;
  return static_cast<DataType>(number);
}

void ToProtoTable(const common::TableSchema& table, pb::Table* out) {
  out->set_name(table.name);
  out->mutable_columns()->Reserve(static_cast<int>(table.columns.size()));
  for (const auto& column : table.columns) {
    pb::Column* c = out->add_columns();
    c->set_name(column.name);
    c->set_type(ToProtoType(column.type));
    c->set_primary_key(column.primary_key);
    if (column.type == DataType::kDecimal && column.precision > 0) {
      pb::DecimalParams* decimal = c->mutable_params()->mutable_decimal();
      decimal->set_precision(column.precision);
      decimal->set_scale(column.scale);
    }
  }
}

common::TableSchema FromProtoTable(const pb::Table& table, const std::string& schema) {
  common::TableSchema out = FromProtoTable(table);
  out.schema = schema;
  return out;
}

bool AnySchema(const std::vector<common::TableSchema>& tables) {
  for (const auto& table : tables) {
    if (!table.schema.empty()) return true;
  }
  return false;
}

void ToProtoSchemaList(const std::vector<common::TableSchema>& tables, pb::SchemaList* out) {
  for (const auto& table : tables) {
    pb::Schema* schema = nullptr;
    for (auto& existing : *out->mutable_schemas()) {
      if (existing.name() == table.schema) schema = &existing;
    }
    if (schema == nullptr) {
      schema = out->add_schemas();
      schema->set_name(table.schema);
    }
    ToProtoTable(table, schema->add_tables());
  }
}

std::vector<common::TableSchema> FromProtoSchemaList(const pb::SchemaList& list) {
  std::vector<common::TableSchema> tables;
  for (const auto& schema : list.schemas()) {
    for (const auto& table : schema.tables())
      tables.push_back(FromProtoTable(table, schema.name()));
  }
  return tables;
}

std::vector<common::TableSchema> FromProtoTableList(const pb::TableList& list) {
  std::vector<common::TableSchema> tables;
  for (const auto& table : list.tables()) tables.push_back(FromProtoTable(table));
  return tables;
}

common::TableSchema FromProtoTable(const pb::Table& table) {
  common::TableSchema out;
  out.name = table.name();
  out.columns.reserve(table.columns_size());
  for (const auto& c : table.columns()) {
    common::ColumnSchema column;
    column.name = c.name();
    column.type = FromProtoType(c.type());
    column.primary_key = c.primary_key();
    if (c.has_params() && c.params().has_decimal()) {
      column.precision = c.params().decimal().precision();
      column.scale = c.params().decimal().scale();
    }
    out.columns.push_back(std::move(column));
  }
  return out;
}

void ToValueType(const common::Value& value, pb::ValueType* out) {
  if (value.is_null) {
    out->set_null(true);
    return;
  }
  switch (value.type) {
    case DataType::kBoolean:
      out->set_bool_(value.boolean);
      break;
    case DataType::kShort:
      out->set_short_(value.int32);
      break;
    case DataType::kInt:
      out->set_int_(value.int32);
      break;
    case DataType::kLong:
      out->set_long_(value.int64);
      break;
    case DataType::kFloat:
      out->set_float_(value.float32);
      break;
    case DataType::kDouble:
      out->set_double_(value.float64);
      break;
    case DataType::kDecimal:
      out->set_decimal(value.text.data(), value.text.size());
      break;
    case DataType::kNaiveDate:
      SetTimestamp(value.timestamp, out->mutable_naive_date());
      break;
    case DataType::kNaiveDateTime:
      SetTimestamp(value.timestamp, out->mutable_naive_datetime());
      break;
    case DataType::kUtcDateTime:
      SetTimestamp(value.timestamp, out->mutable_utc_datetime());
      break;
    case DataType::kNaiveTime:
      SetTimestamp(value.timestamp, out->mutable_naive_time());
      break;
    case DataType::kBinary:
      out->set_binary(value.text.data(), value.text.size());
      break;
    case DataType::kXml:
      out->set_xml(value.text.data(), value.text.size());
      break;
    case DataType::kJson:
      out->set_json(value.text.data(), value.text.size());
      break;
    case DataType::kString:
    case DataType::kUnspecified:
      out->set_string(value.text.data(), value.text.size());
      break;
  }
}

DataType ValueTypeDataType(const pb::ValueType& value) {
  switch (value.inner_case()) {
    case pb::ValueType::kBool:
      return DataType::kBoolean;
    case pb::ValueType::kShort:
      return DataType::kShort;
    case pb::ValueType::kInt:
      return DataType::kInt;
    case pb::ValueType::kLong:
      return DataType::kLong;
    case pb::ValueType::kFloat:
      return DataType::kFloat;
    case pb::ValueType::kDouble:
      return DataType::kDouble;
    case pb::ValueType::kNaiveDate:
      return DataType::kNaiveDate;
    case pb::ValueType::kNaiveDatetime:
      return DataType::kNaiveDateTime;
    case pb::ValueType::kUtcDatetime:
      return DataType::kUtcDateTime;
    case pb::ValueType::kNaiveTime:
      return DataType::kNaiveTime;
    case pb::ValueType::kDecimal:
      return DataType::kDecimal;
    case pb::ValueType::kBinary:
      return DataType::kBinary;
    case pb::ValueType::kString:
      return DataType::kString;
    case pb::ValueType::kJson:
      return DataType::kJson;
    case pb::ValueType::kXml:
      return DataType::kXml;
    case pb::ValueType::kNull:
    case pb::ValueType::INNER_NOT_SET:
      return DataType::kUnspecified;
  }
  return DataType::kUnspecified;
}

CarriedValue CarriedOf(const pb::ValueType& value) {
  CarriedValue out;
  out.type = ValueTypeDataType(value);
  switch (value.inner_case()) {
    case pb::ValueType::kBool:
      out.boolean = value.bool_();
      break;
    case pb::ValueType::kShort:
      out.int32 = value.short_();
      break;
    case pb::ValueType::kInt:
      out.int32 = value.int_();
      break;
    case pb::ValueType::kLong:
      out.int64 = value.long_();
      break;
    case pb::ValueType::kFloat:
      out.float32 = value.float_();
      break;
    case pb::ValueType::kDouble:
      out.float64 = value.double_();
      break;
    case pb::ValueType::kNaiveDate:
      out.timestamp = GetTimestamp(value.naive_date());
      break;
    case pb::ValueType::kNaiveDatetime:
      out.timestamp = GetTimestamp(value.naive_datetime());
      break;
    case pb::ValueType::kUtcDatetime:
      out.timestamp = GetTimestamp(value.utc_datetime());
      break;
    case pb::ValueType::kNaiveTime:
      out.timestamp = GetTimestamp(value.naive_time());
      break;
    case pb::ValueType::kDecimal:
      out.text = value.decimal();
      break;
    case pb::ValueType::kBinary:
      out.text = value.binary();
      break;
    case pb::ValueType::kString:
      out.text = value.string();
      break;
    case pb::ValueType::kJson:
      out.text = value.json();
      break;
    case pb::ValueType::kXml:
      out.text = value.xml();
      break;
    case pb::ValueType::kNull:
    case pb::ValueType::INNER_NOT_SET:
      break;
  }
  return out;
}

common::Value FromCarriedValue(const CarriedValue& value, DataType column_type,
                               common::ValueBatch& batch) {
  common::Value out;
  const DataType carried = value.type;
  out.type = column_type == DataType::kUnspecified ? carried : column_type;
  out.is_null = carried == DataType::kUnspecified;
  if (out.is_null) return out;
  const DataType column = out.type;
  switch (carried) {
    case DataType::kBoolean:
      out.type = DataType::kBoolean;
      out.boolean = value.boolean;
      break;
    case DataType::kShort:
    case DataType::kInt:
      if (column == DataType::kLong) {
        out.int64 = value.int32;
      } else if (column == DataType::kDouble) {
        out.float64 = value.int32;
      } else {
        out.type = IsIntegral(column) ? column : carried;
        out.int32 = value.int32;
      }
      break;
    case DataType::kLong:
      if (column == DataType::kDouble) {
        out.float64 = static_cast<double>(value.int64);
      } else {
        out.type = DataType::kLong;
        out.int64 = value.int64;
      }
      break;
    case DataType::kFloat:
      if (column == DataType::kDouble) {
        out.float64 = value.float32;
      } else {
        out.type = DataType::kFloat;
        out.float32 = value.float32;
      }
      break;
    case DataType::kDouble:
      out.type = DataType::kDouble;
      out.float64 = value.float64;
      break;
    case DataType::kNaiveDate:
    case DataType::kNaiveDateTime:
    case DataType::kUtcDateTime:
    case DataType::kNaiveTime:
      out.timestamp = value.timestamp;
      break;
    case DataType::kDecimal:
    case DataType::kBinary:
    case DataType::kString:
    case DataType::kJson:
    case DataType::kXml:
      out.text = batch.Store(value.text);
      break;
    case DataType::kUnspecified:
      break;
  }
  // Temporal and text values take the column's type only within their own family.
  if (IsTemporal(carried) && !IsTemporal(column)) out.type = carried;
  if (IsText(carried) && !IsText(column)) out.type = carried;
  return out;
}

}  // namespace ac::fivetran
