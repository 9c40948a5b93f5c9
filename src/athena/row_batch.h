#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ac::athena {

/// A batch of result rows as Athena's text cells (the VarCharValue / CSV cell text), row-major,
/// with NULL kept apart from the empty string. All cell bytes live in one reusable buffer: filling
/// a batch allocates nothing per cell once capacity has grown.
class RowBatch {
 public:
  explicit RowBatch(size_t num_columns = 0) { Reset(num_columns); }

  void Reset(size_t num_columns) {
    num_columns_ = num_columns;
    Clear();
  }
  /// Sets the column count of cells already appended (when the width is learnt after the cells).
  void SetNumColumns(size_t num_columns) { num_columns_ = num_columns; }
  void Clear() {
    bytes_.clear();
    ends_.clear();
    nulls_.clear();
  }

  void AppendCell(std::string_view text) {
    bytes_.append(text.data(), text.size());
    ends_.push_back(bytes_.size());
    nulls_.push_back(0);
  }
  void AppendNull() {
    ends_.push_back(bytes_.size());
    nulls_.push_back(1);
  }
  /// Appends raw bytes to the cell being built; finish it with EndCell().
  void AppendToCell(std::string_view text) { bytes_.append(text.data(), text.size()); }
  void AppendToCell(char c) { bytes_.push_back(c); }
  void EndCell(bool is_null = false) {
    ends_.push_back(bytes_.size());
    nulls_.push_back(is_null ? 1 : 0);
  }
  /// Drops the cells of an incomplete last row (e.g. a record cut at a part boundary).
  void TruncateCells(size_t num_cells) {
    if (num_cells >= ends_.size()) return;
    bytes_.resize(num_cells == 0 ? 0 : ends_[num_cells - 1]);
    ends_.resize(num_cells);
    nulls_.resize(num_cells);
  }

  size_t num_columns() const { return num_columns_; }
  size_t num_cells() const { return ends_.size(); }
  size_t num_rows() const { return num_columns_ == 0 ? 0 : ends_.size() / num_columns_; }
  size_t byte_size() const { return bytes_.size(); }

  bool is_null(size_t row, size_t column) const { return nulls_[row * num_columns_ + column] != 0; }
  std::string_view cell(size_t row, size_t column) const {
    const size_t i = row * num_columns_ + column;
    const size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(bytes_.data() + begin, ends_[i] - begin);
  }

 private:
  size_t num_columns_ = 0;
  std::string bytes_;
  std::vector<size_t> ends_;
  std::vector<uint8_t> nulls_;
};

}  // namespace ac::athena
