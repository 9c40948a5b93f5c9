#include "common/value.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace ac::common {
namespace {
constexpr size_t kArenaBlockBytes = 256 * 1024;
}

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kUnspecified:
      return "UNSPECIFIED";
    case DataType::kBoolean:
      return "BOOLEAN";
    case DataType::kShort:
      return "SHORT";
    case DataType::kInt:
      return "INT";
    case DataType::kLong:
      return "LONG";
    case DataType::kDecimal:
      return "DECIMAL";
    case DataType::kFloat:
      return "FLOAT";
    case DataType::kDouble:
      return "DOUBLE";
    case DataType::kNaiveDate:
      return "NAIVE_DATE";
    case DataType::kNaiveDateTime:
      return "NAIVE_DATETIME";
    case DataType::kUtcDateTime:
      return "UTC_DATETIME";
    case DataType::kBinary:
      return "BINARY";
    case DataType::kXml:
      return "XML";
    case DataType::kString:
      return "STRING";
    case DataType::kJson:
      return "JSON";
    case DataType::kNaiveTime:
      return "NAIVE_TIME";
  }
  return "UNSPECIFIED";
}

std::vector<size_t> TableSchema::PrimaryKeyIndexes() const {
  std::vector<size_t> out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].primary_key) out.push_back(i);
  }
  return out;
}

int TableSchema::FindColumn(std::string_view column_name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == column_name) return static_cast<int>(i);
  }
  return -1;
}

ValueBatch::ValueBatch(ValueBatch&& other) noexcept {
  *this = std::move(other);
}

ValueBatch& ValueBatch::operator=(ValueBatch&& other) noexcept {
  if (this == &other) return *this;
  num_columns_ = std::exchange(other.num_columns_, 0);
  values_ = std::move(other.values_);
  blocks_ = std::move(other.blocks_);
  block_index_ = std::exchange(other.block_index_, 0);
  block_used_ = std::exchange(other.block_used_, 0);
  reserved_ = std::exchange(other.reserved_, nullptr);
  other.values_.clear();
  other.blocks_.clear();
  return *this;
}

void ValueBatch::Assign(const ValueBatch& other) {
  Reset(other.num_columns_);
  values_ = other.values_;
  for (Value& value : values_) {
    if (!value.text.empty()) value.text = Store(value.text);
  }
}

void ValueBatch::Reset(size_t num_columns) {
  num_columns_ = num_columns;
  Clear();
}

void ValueBatch::Clear() {
  values_.clear();
  block_index_ = 0;
  block_used_ = 0;
  reserved_ = nullptr;
}

Value* ValueBatch::AppendRow() {
  const size_t start = values_.size();
  values_.resize(start + num_columns_);
  return values_.data() + start;
}

char* ValueBatch::Reserve(size_t size) {
  if (blocks_.empty()) blocks_.emplace_back(std::max(size, kArenaBlockBytes), '\0');
  if (block_used_ + size > blocks_[block_index_].size()) {
    ++block_index_;
    block_used_ = 0;
    if (block_index_ == blocks_.size()) {
      blocks_.emplace_back(std::max(size, kArenaBlockBytes), '\0');
    } else if (blocks_[block_index_].size() < size) {
      blocks_[block_index_].resize(size);
    }
  }
  reserved_ = blocks_[block_index_].data() + block_used_;
  return reserved_;
}

std::string_view ValueBatch::Commit(size_t written) {
  std::string_view view(reserved_, written);
  block_used_ += written;
  reserved_ = nullptr;
  return view;
}

std::string_view ValueBatch::Store(std::string_view bytes) {
  if (bytes.empty()) return std::string_view();
  char* out = Reserve(bytes.size());
  std::memcpy(out, bytes.data(), bytes.size());
  return Commit(bytes.size());
}

}  // namespace ac::common
