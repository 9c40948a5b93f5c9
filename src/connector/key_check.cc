#include "connector/key_check.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <optional>

#include "athena/row_batch.h"
#include "athena/value_decoder.h"
#include "common/error.h"
#include "common/sql_quote.h"
#include "connector/athena_source.h"
#include "connector/cursor.h"

namespace ac::connector {
namespace {

/// The configured fetcher, but a sorted CSV result: UNLOAD writes files in parallel, without a
/// global order, so the unload fetcher reads key checks as auto does.
ResultFetcherKind KeyCheckFetcher(const Config& config) {
  return config.result_fetcher == ResultFetcherKind::kUnload ? ResultFetcherKind::kAuto
                                                             : config.result_fetcher;
}

/// Rows of delete records buffered before a write.
constexpr size_t kDeleteBatchRows = 4096;

/// The key tuples of one key-query result, in result order, row by row; checks that they ascend.
class KeyStream {
 public:
  KeyStream(std::unique_ptr<results::ResultReader> reader, std::string what)
      : reader_(std::move(reader)), decoder_(reader_->columns()), what_(std::move(what)) {
    last_.Reset(decoder_.columns().size());
  }

  size_t width() const { return decoder_.columns().size(); }
  const std::vector<athena::Column>& columns() const { return decoder_.columns(); }
  bool valid() const { return valid_; }
  const common::Value& at(size_t column) const { return values_.at(row_, column); }

  /// Moves to the next distinct key without a NULL; false at the end.
  bool Advance() {
    if (valid_) Remember();
    while (true) {
      if (valid_ && row_ + 1 < values_.num_rows()) {
        ++row_;
      } else {
        if (!reader_->Next(rows_)) return valid_ = false;
        decoder_.Decode(rows_, values_);
        row_ = 0;
        valid_ = values_.num_rows() > 0;
        if (!valid_) continue;
      }
      if (HasNull()) continue;
      if (!IsPastLast()) continue;  // a key the source holds twice counts once
      ++count_;
      return true;
    }
  }
  int64_t count() const { return count_; }

 private:
  bool HasNull() const {
    for (size_t c = 0; c < width(); ++c) {
      if (values_.at(row_, c).is_null) return true;
    }
    return false;
  }
  void Remember() {
    last_.Clear();
    last_.Reset(width());
    common::Value* row = last_.AppendRow();
    for (size_t c = 0; c < width(); ++c) {
      row[c] = values_.at(row_, c);
      row[c].text = last_.Store(values_.at(row_, c).text);
    }
    has_last_ = true;
  }
  /// True when the current key sorts after the previous one; false when it equals it; throws when
  /// it sorts before it (a result not in key order).
  bool IsPastLast() const {
    if (!has_last_) return true;
    for (size_t c = 0; c < width(); ++c) {
      const int order = CompareCursor(last_.at(0, c), values_.at(row_, c));
      if (order < 0) return true;
      if (order > 0) {
        throw common::ProtocolError(
            fmt::format("the key check of {} is not sorted by key (row {}): no delete was sent",
                        what_, count_ + 1));
      }
    }
    return false;
  }

  std::unique_ptr<results::ResultReader> reader_;
  athena::ValueDecoder decoder_;
  std::string what_;
  athena::RowBatch rows_;
  common::ValueBatch values_;
  size_t row_ = 0;
  bool valid_ = false;
  int64_t count_ = 0;
  common::ValueBatch last_;  ///< the previous key (owned text), for the order check
  bool has_last_ = false;
};

int CompareKeys(const KeyStream& a, const KeyStream& b) {
  for (size_t c = 0; c < a.width(); ++c) {
    const int order = CompareCursor(a.at(c), b.at(c));
    if (order != 0) return order;
  }
  return 0;
}

/// Writes deletes of `destination` rows by key, a batch at a time.
class DeleteWriter {
 public:
  DeleteWriter(RecordSink& sink, const common::TableSchema& destination,
               const std::vector<std::string>& key)
      : sink_(sink), destination_(destination) {
    for (const auto& name : key) {
      const int index = destination.FindColumn(name);
      if (index < 0) {
        throw common::ConfigError(fmt::format(
            "table '{}': primary-key column '{}' is not delivered", destination.name, name));
      }
      key_index_.push_back(static_cast<size_t>(index));
    }
    batch_.Reset(destination.columns.size());
  }

  void Delete(const KeyStream& keys) {
    common::Value* row = batch_.AppendRow();
    for (size_t c = 0; c < destination_.columns.size(); ++c)
      row[c] = common::Value::Null(destination_.columns[c].type);
    for (size_t k = 0; k < key_index_.size(); ++k) {
      common::Value value = keys.at(k);
      value.text = batch_.Store(value.text);
      row[key_index_[k]] = value;
    }
    ++deleted_;
    if (batch_.num_rows() >= kDeleteBatchRows) Flush();
  }
  void Flush() {
    if (batch_.num_rows() == 0) return;
    sink_.WriteAndRecycle(destination_, RecordType::kDelete, batch_);
    batch_.Reset(destination_.columns.size());
  }
  int64_t deleted() const { return deleted_; }

 private:
  RecordSink& sink_;
  const common::TableSchema& destination_;
  std::vector<size_t> key_index_;
  common::ValueBatch batch_;
  int64_t deleted_ = 0;
};

/// The previous check's result, or nullptr (with the reason logged) when it cannot be read.
std::unique_ptr<KeyStream> OpenPrevious(const TableSyncServices& services, const TableConfig& table,
                                        const std::string& previous_query_id) {
  if (previous_query_id.empty()) return nullptr;
  try {
    const athena::QueryExecution previous = services.runner.Wait(previous_query_id);
    if (previous.state != "SUCCEEDED") {
      spdlog::info("Table '{}': the previous key check {} ended {}; keys are compared from now on",
                   table.QualifiedDestination(), previous_query_id, previous.state);
      return nullptr;
    }
    results::FetchPlan plan;
    plan.fetcher = KeyCheckFetcher(services.config);
    plan.sql = previous.query;
    return std::make_unique<KeyStream>(services.fetchers.Open(plan, previous, {}),
                                       fmt::format("query {}", previous.id));
  } catch (const common::CancelledError&) {
    throw;
  } catch (const common::Error& e) {
    if (e.kind() == common::ErrorKind::kAuth || e.kind() == common::ErrorKind::kPermission) throw;
    spdlog::warn(
        "Table '{}': the result of the previous key check {} cannot be read ({}); keys that "
        "vanished since are not deleted this time",
        table.QualifiedDestination(), previous_query_id, e.what());
    return nullptr;
  }
}

}  // namespace

std::string KeyCheckSql(const TableConfig& table) {
  std::vector<std::string> keys;
  std::vector<std::string> not_null;
  for (const auto& key : table.primary_key) {
    keys.push_back(common::QuoteIdentifier(key));
    not_null.push_back(keys.back() + " IS NOT NULL");
  }
  const std::string source =
      table.query.empty() ? table.BaseSql(table.primary_key)
                          : fmt::format("SELECT {} FROM ({})", fmt::join(keys, ", "), table.query);
  return fmt::format("{} WHERE {} ORDER BY {}", source, fmt::join(not_null, " AND "),
                     fmt::join(keys, ", "));
}

KeyCheckResult CheckDeletedKeys(const TableSyncServices& services, const TableConfig& table,
                                const common::TableSchema& destination,
                                const std::string& previous_query_id) {
  if (table.primary_key.empty()) {
    throw common::ConfigError(fmt::format("table '{}': delete detection needs a primary key",
                                          table.QualifiedDestination()));
  }
  KeyCheckResult result;
  results::FetchPlan plan;
  plan.fetcher = KeyCheckFetcher(services.config);
  plan.sql = KeyCheckSql(table);
  athena::StartQueryRequest request = QueryRequest(services.config, plan.sql);
  request.result_reuse_minutes = 0;  // the keys of now
  result.execution = services.runner.Run(request);
  std::unique_ptr<KeyStream> previous = OpenPrevious(services, table, previous_query_id);
  KeyStream current(services.fetchers.Open(plan, result.execution, {}),
                    fmt::format("query {}", result.execution.id));
  if (previous && previous->width() != current.width()) {
    spdlog::info(
        "Table '{}': the primary key changed since the previous key check; keys are "
        "compared from now on",
        table.QualifiedDestination());
    previous.reset();
  }
  DeleteWriter deletes(services.sink, destination, table.primary_key);
  current.Advance();
  if (previous) {
    result.compared = true;
    previous->Advance();
    while (previous->valid()) {
      if (services.cancel.IsCancelled()) throw common::CancelledError("sync interrupted");
      const int order = current.valid() ? CompareKeys(*previous, current) : -1;
      if (order < 0) {
        deletes.Delete(*previous);
        previous->Advance();
      } else if (order == 0) {
        previous->Advance();
        current.Advance();
      } else {
        current.Advance();
      }
    }
    result.previous_keys = previous->count();
  }
  while (current.valid()) current.Advance();  // count them all
  deletes.Flush();
  result.keys = current.count();
  result.deleted = deletes.deleted();
  return result;
}

}  // namespace ac::connector
