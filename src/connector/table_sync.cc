#include "connector/table_sync.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <ctime>
#include <utility>

#include "athena/value_decoder.h"
#include "common/crypto.h"
#include "common/error.h"
#include "connector/athena_source.h"

namespace ac::connector {
namespace {

using athena::Column;

std::string NowIso8601(common::Clock& clock) {
  const std::time_t t = std::chrono::system_clock::to_time_t(clock.Now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

bool IsResultGone(const common::Error& error) {
  // A result that expired or was deleted: Athena answers InvalidRequestException (or S3 NoSuchKey).
  return error.kind() == common::ErrorKind::kNotFound ||
         error.kind() == common::ErrorKind::kQueryFailed ||
         error.kind() == common::ErrorKind::kProtocol;
}

/// Result columns with the declared (nested) types from table metadata where names match.
std::vector<Column> MergeDeclared(std::vector<Column> result, const std::vector<Column>& declared) {
  for (auto& column : result) {
    for (const auto& d : declared) {
      if (d.name == column.name && d.type.id == column.type.id) {
        column.type = d.type;
        break;
      }
    }
  }
  return result;
}

/// True when the selection keeps the column named `name` (absent: include_new_columns).
bool IsSelectedName(const std::string& name, const TableSelection* selection) {
  if (selection == nullptr) return true;
  const auto it = selection->columns.find(name);
  return it != selection->columns.end() ? it->second : selection->include_new_columns;
}

/// True when the selection keeps `column` (a primary-key column is always kept).
bool IsSelected(const common::ColumnSchema& column, const TableSelection* selection) {
  return column.primary_key || IsSelectedName(column.name, selection);
}

/// The entry of `table` in `state`, created if absent (under `mutex`: another table may be
/// serializing the state).
TableState& EntryOf(SyncState& state, const std::string& table, std::mutex& mutex) {
  std::lock_guard<std::mutex> lock(mutex);
  return state.tables[table];
}

std::string TableSql(const TableConfig& table, const TableState& saved,
                     const std::vector<std::string>& columns) {
  const std::string base = table.BaseSql(columns);
  if (table.cursor_column.empty() || saved.cursor_value.empty()) return base;
  return SqlFromCursor(base, table.cursor_column, saved.cursor_type, saved.cursor_value);
}

}  // namespace

TableSync::TableSync(const TableSyncServices& services, const TableConfig& table,
                     const TableSelection* selection, SyncState& state)
    : services_(services),
      table_(table),
      selection_(selection),
      state_(state),
      saved_(EntryOf(state, table.QualifiedDestination(), services.state_mutex)),
      incremental_(!table.cursor_column.empty()) {}

TableSync::~TableSync() = default;

void TableSync::Run() {
  if (saved_.status == TableState::Status::kComplete && !state_.sync_id.empty() &&
      saved_.completed_in_sync == state_.sync_id) {
    // The interrupted sync this one continues delivered the whole table already.
    spdlog::info(
        "Table '{}' was completed by this sync before it was interrupted; not synced again",
        table_.QualifiedDestination());
    return;
  }
  ReadDeclaredColumns();
  ChooseColumns();
  resuming_ = ResumeSavedRead();
  if (!resuming_) {
    if (!ReserveScanBudget()) return;  // skipped whole, with a warning
    StartOver();
    PlanFetch();
    RunQuery();
    OpenReader();
  }
  DefineDestinationTable();
  TruncateForFullRefresh();
  StartCursorTracking();
  ReadAndDeliver();
  Finish();
}

void TableSync::ReadDeclaredColumns() {
  if (table_.query.empty())
    declared_ = SourceTableColumns(services_.athena, services_.config, table_);
}

/// The SQL reads only what the selection keeps (Athena bills the bytes of the columns it reads):
/// the selected columns of a source table, its primary key and cursor always among them; `*` when
/// every column is selected. A query's own SQL is run as written (its columns are not known
/// without running it); deselected columns of a query are dropped when delivered.
void TableSync::ChooseColumns() {
  std::vector<std::string> columns;
  if (selection_ != nullptr) {
    for (const auto& column : declared_) {
      const bool keep = IsKeyOrCursor(column.name) || IsSelectedName(column.name, selection_);
      if (keep) columns.push_back(column.name);
    }
    if (columns.size() == declared_.size()) {
      columns.clear();
    } else if (columns.empty()) {
      throw common::ConfigError(fmt::format(
          "table '{}': the selection keeps none of its columns; deselect the table instead",
          table_.destination_table));
    } else {
      spdlog::info("Table '{}': reading {} of {} columns (the selection drops the others)",
                   table_.destination_table, columns.size(), declared_.size());
    }
  }
  sql_ = TableSql(table_, saved_, columns);
  sql_hash_ = common::Sha256Hex(sql_).substr(0, 16);
}

bool TableSync::IsKeyOrCursor(const std::string& column) const {
  if (column == table_.cursor_column) return true;
  for (const auto& key : table_.primary_key) {
    if (key == column) return true;
  }
  return false;
}

/// The saved in-progress query of the same SQL when it SUCCEEDED; nullopt when there is none, or it
/// failed, was cancelled or is no longer known.
std::optional<athena::QueryExecution> TableSync::SavedSucceededQuery() {
  if (saved_.status != TableState::Status::kInProgress || saved_.sql_hash != sql_hash_ ||
      saved_.query_execution_id.empty()) {
    return std::nullopt;
  }
  try {
    athena::QueryExecution previous = services_.runner.Wait(saved_.query_execution_id);
    if (previous.state == "SUCCEEDED") {
      spdlog::info("Resuming table '{}' from query {} at row {}", table_.destination_table,
                   previous.id, saved_.position.rows_read);
      return previous;
    }
    spdlog::info("Saved query {} of table '{}' ended {}; running the query again", previous.id,
                 table_.destination_table, previous.state);
  } catch (const common::CancelledError&) {
    throw;
  } catch (const common::Error& e) {
    spdlog::info(
        "Saved query {} of table '{}' is no longer available ({}); running the query again",
        saved_.query_execution_id, table_.destination_table, e.what());
  }
  return std::nullopt;
}

/// Resolves the start: opens the saved query's result at the saved position; false when the table
/// starts over (nothing to resume, or the saved result is gone).
bool TableSync::ResumeSavedRead() {
  execution_ = SavedSucceededQuery();
  if (!execution_) return false;
  start_ = saved_.position;
  plan_.fetcher = results::ParseResultFetcherName(saved_.fetcher);
  plan_.sql = execution_->query;
  plan_.unload_prefix = saved_.unload_prefix;
  try {
    reader_ = services_.fetchers.Open(plan_, *execution_, start_);
    return true;
  } catch (const common::CancelledError&) {
    throw;
  } catch (const common::Error& e) {
    if (!IsResultGone(e)) throw;
    spdlog::info("Cannot resume the result of query {} ({}); running the query again",
                 execution_->id, e.what());
    return false;
  }
}

/// Forgets the saved read, keeping the cursor and the time of the last completed sync.
void TableSync::StartOver() {
  TableState fresh;
  fresh.cursor_value = saved_.cursor_value;
  fresh.cursor_type = saved_.cursor_type;
  fresh.completed_at = saved_.completed_at;
  fresh.last_scanned_bytes = saved_.last_scanned_bytes;
  std::lock_guard<std::mutex> lock(services_.state_mutex);
  saved_ = std::move(fresh);
  start_ = {};
}

void TableSync::PlanFetch() {
  plan_ = services_.fetchers.Plan(sql_, athena::NewClientRequestToken());
}

void TableSync::RunQuery() {
  const auto on_started = [this](const std::string& id) { OnQueryStarted(id); };
  try {
    execution_ = services_.runner.Run(QueryRequest(services_.config, plan_.sql), on_started);
  } catch (const common::Error& e) {
    // An UNLOAD that cannot express the query falls back to the plain query (one log line).
    std::optional<results::FetchPlan> fallback =
        services_.fetchers.PlanAfterFailure(plan_, sql_, e);
    if (!fallback) throw;
    plan_ = std::move(*fallback);
    execution_ = services_.runner.Run(QueryRequest(services_.config, plan_.sql), on_started);
  }
  CountQueryCost();
}

/// max_bytes_scanned_per_sync: reserves what the table's next query is expected to bill (what its
/// last sync scanned, else Athena's 10 MB minimum); false — the table is skipped, keeping the data
/// of its last sync, with a warning naming it and the figures — when that would pass the cap.
bool TableSync::ReserveScanBudget() {
  const int64_t cap = services_.config.max_bytes_scanned_per_sync;
  if (cap <= 0) return true;
  const int64_t estimate = BilledBytes(saved_.last_scanned_bytes);
  std::string warning;
  {
    std::lock_guard<std::mutex> lock(services_.totals.cost_mutex);
    const int64_t spent = services_.totals.scan_reserved;
    if (spent + estimate <= cap) {
      services_.totals.scan_reserved += estimate;
      scan_reserved_ = estimate;
      return true;
    }
    warning = fmt::format(
        "table '{}' is skipped: its query is expected to bill {} ({}) and this sync has spent or "
        "reserved {} of max_bytes_scanned_per_sync {}; it keeps the data of its last sync",
        table_.QualifiedDestination(), FormatBytes(estimate),
        saved_.last_scanned_bytes > 0 ? "what its last sync scanned"
                                      : "Athena's 10 MB minimum, no earlier sync",
        FormatBytes(spent), FormatBytes(cap));
  }
  spdlog::warn("{}", warning);
  services_.sink.Warning(warning);
  return false;
}

/// Adds the query just run to the sync's Athena bill (the per-table line tells it too).
void TableSync::CountQueryCost() {
  QueryCost cost;
  cost.Add(execution_->data_scanned_bytes, execution_->reused_previous_result);
  query_cost_ = execution_->reused_previous_result
                    ? "a reused result: nothing scanned"
                    : fmt::format("{} scanned, {} billed", FormatBytes(cost.scanned_bytes),
                                  FormatBytes(cost.billed_bytes));
  std::lock_guard<std::mutex> lock(services_.totals.cost_mutex);
  services_.totals.cost.Add(execution_->data_scanned_bytes, execution_->reused_previous_result);
  services_.totals.scan_reserved += cost.billed_bytes - scan_reserved_;  // the reservation settled
  scan_reserved_ = cost.billed_bytes;
}

/// Checkpoints the query id at once: a sync killed while the query runs waits for the same query.
void TableSync::OnQueryStarted(const std::string& query_execution_id) {
  std::lock_guard<std::mutex> lock(services_.state_mutex);
  saved_.status = TableState::Status::kInProgress;
  saved_.sql_hash = sql_hash_;
  saved_.query_execution_id = query_execution_id;
  saved_.truncated = false;
  saved_.fetcher = std::string(ResultFetcherName(plan_.fetcher));
  saved_.unload_prefix = plan_.unload_prefix;
  saved_.position = {};
  saved_.rows_synced = 0;
  Checkpoint(lock);
}

void TableSync::OpenReader() {
  reader_ = services_.fetchers.Open(plan_, *execution_, start_);
}

/// Declares the destination table: the result's columns less those the selection drops (never a
/// primary-key column).
void TableSync::DefineDestinationTable() {
  columns_ = MergeDeclared(reader_->columns(), declared_);
  schema_ = DestinationSchema(table_, columns_);
  projected_.schema = schema_.schema;
  projected_.name = schema_.name;
  for (size_t i = 0; i < schema_.columns.size(); ++i) {
    if (!IsSelected(schema_.columns[i], selection_)) continue;
    projection_.push_back(i);
    projected_.columns.push_back(schema_.columns[i]);
  }
  services_.sink.DefineTable(projected_);
}

/// Full refresh: rows that vanished at the source become soft-deleted; sent before the upserts,
/// once per read (a resumed read has already sent it).
void TableSync::TruncateForFullRefresh() {
  if (incremental_ || saved_.truncated) return;
  services_.sink.Truncate(projected_);
  std::lock_guard<std::mutex> lock(services_.state_mutex);
  saved_.truncated = true;
  saved_.position = start_;
  Checkpoint(lock);
}

void TableSync::StartCursorTracking() {
  if (!incremental_) return;
  cursor_index_ = schema_.FindColumn(table_.cursor_column);
  if (cursor_index_ < 0) {
    throw common::ConfigError(fmt::format("cursor column '{}' is not a column of table '{}'",
                                          table_.cursor_column, table_.destination_table));
  }
  cursor_.emplace(columns_[static_cast<size_t>(cursor_index_)]);
  // A resumed read continues the running maximum of the rows already delivered.
  if (resuming_ && !saved_.pending_cursor_value.empty()) cursor_->Seed(saved_.pending_cursor_value);
}

void TableSync::ReadAndDeliver() {
  athena::ValueDecoder decoder(columns_);
  athena::RowBatch rows;
  common::ValueBatch values;
  while (reader_->Next(rows)) {
    if (services_.cancel.IsCancelled()) throw common::CancelledError("sync interrupted");
    decoder.Decode(rows, values);
    TrackCursor(rows, values);
    Deliver(values);
    Advance(values.num_rows());
  }
}

void TableSync::TrackCursor(const athena::RowBatch& rows, const common::ValueBatch& values) {
  if (!cursor_) return;
  const size_t c = static_cast<size_t>(cursor_index_);
  for (size_t r = 0; r < values.num_rows(); ++r) {
    if (!values.at(r, c).is_null) cursor_->Offer(rows.cell(r, c), values.at(r, c));
  }
}

void TableSync::Deliver(const common::ValueBatch& values) {
  const common::ValueBatch* out = &values;
  if (projection_.size() != schema_.columns.size()) {
    projected_values_.Reset(projection_.size());
    for (size_t r = 0; r < values.num_rows(); ++r) {
      common::Value* row = projected_values_.AppendRow();
      for (size_t j = 0; j < projection_.size(); ++j) row[j] = values.at(r, projection_[j]);
    }
    out = &projected_values_;
  }
  if (out->num_rows() > 0) services_.sink.Write(projected_, RecordType::kUpsert, *out);
}

/// Moves the saved position past the delivered `rows` and reports progress. Batches are at most
/// checkpoint_interval_rows; a checkpoint goes out once that many rows have been delivered since
/// the last one (and when the table completes). The sink commits per checkpoint, so this spacing
/// sets the cost of durability, not the batch size.
void TableSync::Advance(size_t rows) {
  const int64_t total =
      services_.totals.rows.fetch_add(static_cast<int64_t>(rows)) + static_cast<int64_t>(rows);
  rows_since_checkpoint_ += static_cast<int64_t>(rows);
  {
    // The rows are in the sink: from now on any table's checkpoint may carry this position.
    std::lock_guard<std::mutex> lock(services_.state_mutex);
    saved_.status = TableState::Status::kInProgress;
    saved_.position = reader_->position();
    saved_.rows_synced = saved_.position.rows_read;
    if (cursor_) saved_.pending_cursor_value = cursor_->text();
    if (rows_since_checkpoint_ >= services_.config.checkpoint_interval_rows) {
      Checkpoint(lock);
      rows_since_checkpoint_ = 0;
    }
  }
  if (services_.on_progress) {
    const auto elapsed = std::chrono::steady_clock::now() - services_.totals.started;
    std::lock_guard<std::mutex> lock(services_.totals.progress_mutex);
    services_.on_progress(SyncProgress{table_.destination_table, total,
                                       std::chrono::duration<double>(elapsed).count()});
  }
}

void TableSync::Checkpoint(const std::lock_guard<std::mutex>& /*lock*/) {
  services_.sink.Checkpoint(state_.ToJson());
}

/// Cleans up the read and saves the table complete, with the highest cursor value delivered.
void TableSync::Finish() {
  services_.fetchers.Cleanup(plan_, *execution_);
  std::lock_guard<std::mutex> lock(services_.state_mutex);
  saved_.status = TableState::Status::kComplete;
  saved_.fetcher.clear();
  saved_.unload_prefix.clear();
  saved_.position = {};
  saved_.truncated = false;
  if (cursor_ && cursor_->has_value()) {
    saved_.cursor_value = cursor_->text();
    saved_.cursor_type = columns_[static_cast<size_t>(cursor_index_)].type.ToString();
  }
  saved_.pending_cursor_value.clear();
  saved_.completed_at = NowIso8601(services_.clock);
  if (!execution_->reused_previous_result)
    saved_.last_scanned_bytes = execution_->data_scanned_bytes;
  saved_.completed_in_sync = state_.sync_id;
  if (--services_.totals.tables_left == 0) state_.sync_id.clear();  // the sync is complete
  Checkpoint(lock);
  spdlog::info(
      "Table '{}' synced: {} rows from query {} ({})", table_.QualifiedDestination(),
      saved_.rows_synced, execution_->id,
      query_cost_.empty() ? "resumed: its cost was counted by the sync that ran it" : query_cost_);
}

}  // namespace ac::connector
