#include "connector/table_sync.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <ctime>
#include <utility>

#include "athena/value_decoder.h"
#include "common/crypto.h"
#include "common/error.h"
#include "connector/athena_source.h"
#include "connector/key_check.h"
#include "connector/partitions.h"

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

/// `base` (the table's SELECT) narrowed by `conditions`: a WHERE of a source table's SELECT (the
/// partition predicates where Athena prunes by them), around a query.
std::string WithConditions(const TableConfig& table, const std::string& base,
                           const std::vector<std::string>& conditions) {
  if (conditions.empty()) return base;
  const std::string where = fmt::format("{}", fmt::join(conditions, " AND "));
  if (table.query.empty()) return fmt::format("{} WHERE {}", base, where);
  return fmt::format("SELECT * FROM ({}) WHERE {}", base, where);
}

/// Fingerprint of a read: its SQL and parameter values (a read without parameters keeps the
/// fingerprint of its SQL alone).
std::string ReadHash(const std::string& sql, const std::vector<std::string>& parameters) {
  std::string text = sql;
  for (const auto& parameter : parameters) {
    text.push_back('\0');
    text += parameter;
  }
  return common::Sha256Hex(text).substr(0, 16);
}

/// Keeps the greater of `value` and `candidate` (partition values of `kind`) in `value`.
void KeepGreater(PartitionKey::Kind kind, std::string& value, const std::string& candidate) {
  if (candidate.empty()) return;
  if (value.empty() || ComparePartitionValues(kind, candidate, value) > 0) value = candidate;
}

}  // namespace

TableSync::TableSync(const TableSyncServices& services, const TableConfig& table,
                     const TableSelection* selection, SyncState& state)
    : services_(services),
      table_(table),
      selection_(selection),
      state_(state),
      saved_(EntryOf(state, table.QualifiedDestination(), services.state_mutex)) {}

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
  ReadSourceMetadata();
  ChooseStrategy();
  ChooseColumns();
  while (NextRead()) {
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
    StartTracking();
    ReadAndDeliver();
    FinishRead();
  }
  CheckDeletedKeysIfDue();
  Finish();
}

void TableSync::ReadSourceMetadata() {
  if (!table_.query.empty()) return;
  metadata_ = SourceTableMetadata(services_.athena, services_.config, table_);
  declared_ = AllColumns(metadata_);
}

/// Resolves `auto` and checks the strategy against the table: partitions when the table is
/// partitioned by a date-like or integer key (its partitions listed), else cursor when a cursor
/// column is given, else full refresh.
void TableSync::ChooseStrategy() {
  strategy_ = table_.strategy;
  const bool may_use_partitions =
      strategy_ == SyncStrategy::kPartitions || strategy_ == SyncStrategy::kAuto;
  if (may_use_partitions && table_.query.empty() && !metadata_.partition_keys.empty()) {
    const std::vector<std::string> lines =
        ListPartitions(services_.athena, services_.runner, services_.config, table_);
    const std::string& column = table_.partition_column.empty()
                                    ? metadata_.partition_keys.front().name
                                    : table_.partition_column;
    std::string why_not;
    partition_ = ChoosePartitionKey(table_, metadata_.partition_keys,
                                    PartitionValuesOf(lines, column, std::nullopt), why_not);
    if (partition_) {
      strategy_ = SyncStrategy::kPartitions;
      partition_values_ =
          PartitionValuesOf(lines, partition_->column, partition_->kind, &has_null_partition_);
      PlanPartitionReads();
      return;
    }
    if (strategy_ == SyncStrategy::kPartitions) {
      throw common::ConfigError(fmt::format("table '{}': strategy 'partitions' cannot be used: {}",
                                            table_.QualifiedDestination(), why_not));
    }
    spdlog::info("Table '{}': not read by partitions: {}", table_.QualifiedDestination(), why_not);
  } else if (strategy_ == SyncStrategy::kPartitions) {
    throw common::ConfigError(fmt::format(
        "table '{}': strategy 'partitions' cannot be used: the table is not partitioned",
        table_.QualifiedDestination()));
  }
  if (strategy_ != SyncStrategy::kCursor && strategy_ != SyncStrategy::kFullRefresh)
    strategy_ = table_.cursor_column.empty() ? SyncStrategy::kFullRefresh : SyncStrategy::kCursor;
  ranges_.assign(1, PartitionRange{});
  if (!saved_.partition_column.empty()) {
    std::lock_guard<std::mutex> lock(services_.state_mutex);
    saved_.partition_column.clear();  // a later switch back to partitions starts with a full read
    saved_.partition_type.clear();
    saved_.partition_value.clear();
    saved_.partition_done.clear();
    saved_.pending_partition_value.clear();
  }
}

/// The ranges of partitions this sync reads: after the ranges a sync in progress has delivered;
/// else from the last partition value synced less the lookback; else (a first sync) everything.
/// At most partitions_per_query partitions a query.
void TableSync::PlanPartitionReads() {
  const PartitionKey& key = *partition_;
  {
    std::lock_guard<std::mutex> lock(services_.state_mutex);
    if (!saved_.partition_column.empty() &&
        (saved_.partition_column != key.column || saved_.partition_type != key.type.ToString())) {
      spdlog::info("Table '{}': the partition key changed from '{}' to '{}'; reading everything",
                   table_.QualifiedDestination(), saved_.partition_column, key.column);
      saved_.partition_value.clear();
      saved_.partition_done.clear();
      saved_.pending_partition_value.clear();
    }
    saved_.partition_column = key.column;
    saved_.partition_type = key.type.ToString();
  }
  std::string from;
  std::string after;
  std::string why;
  if (saved_.status == TableState::Status::kInProgress && !saved_.partition_done.empty()) {
    after = saved_.partition_done;
    why = fmt::format("after {}, which this sync has delivered", after);
  } else if (!saved_.partition_value.empty()) {
    from = LookbackStart(key, saved_.partition_value, table_.partition_lookback);
    why = fmt::format("from {}: the last synced {} less a lookback of {} {}", from,
                      saved_.partition_value, table_.partition_lookback,
                      key.kind == PartitionKey::Kind::kDate ? "days" : "values");
  } else {
    why = "everything: a first sync";
  }
  ranges_ = PlanPartitionRanges(key.kind, partition_values_, from, after,
                                services_.config.partitions_per_query, has_null_partition_);
  size_t to_read = 0;
  for (const auto& range : ranges_) to_read += CountInRange(key.kind, partition_values_, range);
  spdlog::info("Table '{}': by partitions of '{}' ({}): reading {} of {} partitions ({}) in {} {}",
               table_.QualifiedDestination(), key.column,
               key.kind == PartitionKey::Kind::kDate ? "date-like" : "integer", to_read,
               partition_values_.size(), why, ranges_.size(),
               ranges_.size() == 1 ? "query" : "queries");
}

/// The SQL reads only what the selection keeps (Athena bills the bytes of the columns it reads):
/// the selected columns of a source table, its primary key, cursor and partition key always among
/// them; `*` when every column is selected. A query's own SQL is run as written (its columns are
/// not known without running it); deselected columns of a query are dropped when delivered.
void TableSync::ChooseColumns() {
  if (selection_ == nullptr) return;
  for (const auto& column : declared_) {
    const bool keep = IsKeyOrCursor(column.name) || IsSelectedName(column.name, selection_);
    if (keep) read_columns_.push_back(column.name);
  }
  if (read_columns_.size() == declared_.size()) {
    read_columns_.clear();
  } else if (read_columns_.empty()) {
    throw common::ConfigError(fmt::format(
        "table '{}': the selection keeps none of its columns; deselect the table instead",
        table_.destination_table));
  } else {
    spdlog::info("Table '{}': reading {} of {} columns (the selection drops the others)",
                 table_.destination_table, read_columns_.size(), declared_.size());
  }
}

/// Writes the SQL of the next read; false when every read is done. Conditions: the partition range
/// of the read, the saved cursor; their values go as ExecutionParameters.
bool TableSync::NextRead() {
  if (range_index_ >= ranges_.size()) return false;
  std::vector<std::string> conditions;
  parameters_.clear();
  if (partition_) {
    std::string condition = RangeCondition(*partition_, ranges_[range_index_], parameters_);
    if (!condition.empty()) conditions.push_back(std::move(condition));
  }
  if (UsesCursor() && !saved_.cursor_value.empty()) {
    conditions.push_back(CursorCondition(table_.cursor_column, saved_.cursor_type,
                                         saved_.cursor_value, parameters_));
  }
  sql_ = WithConditions(table_, table_.BaseSql(read_columns_), conditions);
  sql_hash_ = ReadHash(sql_, parameters_);
  return true;
}

bool TableSync::UsesCursor() const {
  return !table_.cursor_column.empty() &&
         (strategy_ == SyncStrategy::kCursor || strategy_ == SyncStrategy::kPartitions);
}

bool TableSync::IsKeyOrCursor(const std::string& column) const {
  if (column == table_.cursor_column) return true;
  if (partition_ && column == partition_->column) return true;
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
  plan_.parameters = parameters_;
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

/// Forgets the saved read, keeping what earlier syncs saved (cursor, partition value, time of the
/// last completed sync, what it scanned) and what this sync's earlier reads delivered (the ranges
/// done, the highest cursor and partition values delivered).
void TableSync::StartOver() {
  TableState fresh;
  fresh.cursor_value = saved_.cursor_value;
  fresh.cursor_type = saved_.cursor_type;
  fresh.completed_at = saved_.completed_at;
  fresh.last_scanned_bytes = saved_.last_scanned_bytes;
  fresh.last_scanned_partitions = saved_.last_scanned_partitions;
  fresh.partition_column = saved_.partition_column;
  fresh.partition_type = saved_.partition_type;
  fresh.partition_value = saved_.partition_value;
  fresh.key_check_query_id = saved_.key_check_query_id;
  fresh.syncs_since_key_check = saved_.syncs_since_key_check;
  if (saved_.status == TableState::Status::kInProgress) {
    fresh.partition_done = saved_.partition_done;
    fresh.pending_partition_value = saved_.pending_partition_value;
    fresh.pending_cursor_value = saved_.pending_cursor_value;
  }
  std::lock_guard<std::mutex> lock(services_.state_mutex);
  saved_ = std::move(fresh);
  start_ = {};
}

void TableSync::PlanFetch() {
  plan_ = services_.fetchers.Plan(sql_, athena::NewClientRequestToken(), parameters_);
}

void TableSync::RunQuery() {
  const auto on_started = [this](const std::string& id) { OnQueryStarted(id); };
  try {
    execution_ = services_.runner.Run(QueryRequest(services_.config, plan_.sql, plan_.parameters),
                                      on_started);
  } catch (const common::Error& e) {
    // An UNLOAD that cannot express the query falls back to the plain query (one log line).
    std::optional<results::FetchPlan> fallback =
        services_.fetchers.PlanAfterFailure(plan_, sql_, e);
    if (!fallback) throw;
    plan_ = std::move(*fallback);
    execution_ = services_.runner.Run(QueryRequest(services_.config, plan_.sql, plan_.parameters),
                                      on_started);
  }
  CountQueryCost(*execution_);
}

/// What this sync's reads of the table are expected to scan: from its last sync (per partition for
/// the partitions strategy), else the catalog's size of the table (a Glue crawler's `sizeKey`; the
/// share of the partitions read), else 0 (unknown).
int64_t TableSync::EstimateScanBytes() const {
  int64_t to_read = 0;
  if (partition_) {
    for (const auto& range : ranges_)
      to_read += static_cast<int64_t>(CountInRange(partition_->kind, partition_values_, range));
  }
  if (saved_.last_scanned_bytes > 0) {
    if (!partition_ || saved_.last_scanned_partitions <= 0) return saved_.last_scanned_bytes;
    return saved_.last_scanned_bytes / saved_.last_scanned_partitions *
           std::max<int64_t>(to_read, 1);
  }
  const auto size = metadata_.parameters.find("sizeKey");
  if (size == metadata_.parameters.end()) return 0;
  int64_t table_bytes = 0;
  const auto result =
      std::from_chars(size->second.data(), size->second.data() + size->second.size(), table_bytes);
  if (result.ec != std::errc() || table_bytes <= 0) return 0;
  if (!partition_ || partition_values_.empty()) return table_bytes;
  return static_cast<int64_t>(static_cast<double>(table_bytes) * static_cast<double>(to_read) /
                              static_cast<double>(partition_values_.size()));
}

/// max_bytes_scanned_per_sync, asked once per table before its first query: reserves what the
/// table's queries are expected to bill (EstimateScanBytes; at least Athena's 10 MB minimum per
/// query); false — the table is skipped, keeping the data of its last sync, with a warning naming
/// it and the figures — when that would pass the cap.
bool TableSync::ReserveScanBudget() {
  const int64_t cap = services_.config.max_bytes_scanned_per_sync;
  if (cap <= 0 || budget_checked_) return true;
  budget_checked_ = true;
  const int64_t expected = EstimateScanBytes();
  const int64_t queries = static_cast<int64_t>(ranges_.size() - range_index_);
  const int64_t estimate = std::max(BilledBytes(expected), queries * BilledBytes(0));
  std::string warning;
  {
    std::lock_guard<std::mutex> lock(services_.totals.cost_mutex);
    const int64_t spent = services_.totals.scan_reserved;
    if (spent + estimate <= cap) {
      services_.totals.scan_reserved += estimate;
      scan_estimate_ = estimate;
      scan_reserved_ = estimate;
      return true;
    }
    warning = fmt::format(
        "table '{}' is skipped: its {} expected to bill {} ({}) and this sync has spent or "
        "reserved {} of max_bytes_scanned_per_sync {}; it keeps the data of its last sync",
        table_.QualifiedDestination(), queries == 1 ? "query is" : "queries are",
        FormatBytes(estimate),
        saved_.last_scanned_bytes > 0 ? "from what its last sync scanned"
        : expected > 0                ? "from the catalog's size of the table"
                                      : "Athena's 10 MB minimum, no earlier sync",
        FormatBytes(spent), FormatBytes(cap));
  }
  spdlog::warn("{}", warning);
  services_.sink.Warning(warning);
  return false;
}

/// Adds the query just run to the sync's Athena bill (the per-table line tells it too) and settles
/// the table's reservation: the larger of the estimate and what its queries billed so far.
void TableSync::CountQueryCost(const athena::QueryExecution& execution) {
  table_cost_.Add(execution.data_scanned_bytes, execution.reused_previous_result);
  std::lock_guard<std::mutex> lock(services_.totals.cost_mutex);
  services_.totals.cost.Add(execution.data_scanned_bytes, execution.reused_previous_result);
  const int64_t share = std::max(table_cost_.billed_bytes, scan_estimate_);
  services_.totals.scan_reserved += share - scan_reserved_;
  scan_reserved_ = share;
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
  if (defined_) return;  // a later partition range: the same columns
  defined_ = true;
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
  if (strategy_ != SyncStrategy::kFullRefresh || saved_.truncated) return;
  services_.sink.Truncate(projected_);
  std::lock_guard<std::mutex> lock(services_.state_mutex);
  saved_.truncated = true;
  saved_.position = start_;
  Checkpoint(lock);
}

/// Starts the running maxima of the cursor and the partition key over the delivered rows, from
/// those of the rows this sync delivered before (a resumed read, earlier partition ranges).
void TableSync::StartTracking() {
  if (UsesCursor() && !cursor_) {
    cursor_index_ = schema_.FindColumn(table_.cursor_column);
    if (cursor_index_ < 0) {
      throw common::ConfigError(fmt::format("cursor column '{}' is not a column of table '{}'",
                                            table_.cursor_column, table_.destination_table));
    }
    cursor_.emplace(columns_[static_cast<size_t>(cursor_index_)]);
    if (!saved_.pending_cursor_value.empty()) cursor_->Seed(saved_.pending_cursor_value);
  }
  if (partition_ && !partition_max_) {
    partition_index_ = schema_.FindColumn(partition_->column);
    if (partition_index_ < 0) {
      throw common::InternalError(
          fmt::format("partition key '{}' is not in the result of table '{}'", partition_->column,
                      table_.destination_table));
    }
    partition_max_.emplace(columns_[static_cast<size_t>(partition_index_)]);
    if (!saved_.pending_partition_value.empty())
      partition_max_->Seed(saved_.pending_partition_value);
  }
}

void TableSync::ReadAndDeliver() {
  athena::ValueDecoder decoder(columns_);
  athena::RowBatch rows;
  common::ValueBatch values;
  while (reader_->Next(rows)) {
    if (services_.cancel.IsCancelled()) throw common::CancelledError("sync interrupted");
    decoder.Decode(rows, values);
    Track(rows, values);
    Deliver(values);
    Advance(values.num_rows());
  }
}

void TableSync::Track(const athena::RowBatch& rows, const common::ValueBatch& values) {
  for (auto [tracker, index] :
       {std::pair{&cursor_, cursor_index_}, std::pair{&partition_max_, partition_index_}}) {
    if (!*tracker) continue;
    const size_t c = static_cast<size_t>(index);
    for (size_t r = 0; r < values.num_rows(); ++r) {
      if (!values.at(r, c).is_null) (*tracker)->Offer(rows.cell(r, c), values.at(r, c));
    }
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
  rows_delivered_ += static_cast<int64_t>(rows);
  {
    // The rows are in the sink: from now on any table's checkpoint may carry this position.
    std::lock_guard<std::mutex> lock(services_.state_mutex);
    saved_.status = TableState::Status::kInProgress;
    saved_.position = reader_->position();
    saved_.rows_synced = saved_.position.rows_read;
    if (cursor_) saved_.pending_cursor_value = cursor_->text();
    if (partition_max_) saved_.pending_partition_value = partition_max_->text();
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

/// Cleans up the read. A partition range before the last is saved done: a sync killed from here
/// on goes on with the next range.
void TableSync::FinishRead() {
  services_.fetchers.Cleanup(plan_, *execution_);
  scanned_bytes_ += execution_->reused_previous_result ? 0 : execution_->data_scanned_bytes;
  if (partition_) {
    partitions_read_ += static_cast<int64_t>(
        CountInRange(partition_->kind, partition_values_, ranges_[range_index_]));
  }
  query_ids_.push_back(execution_->id);
  const bool more = range_index_ + 1 < ranges_.size();
  if (more) {
    const std::string& through = ranges_[range_index_].through;
    std::lock_guard<std::mutex> lock(services_.state_mutex);
    saved_.status = TableState::Status::kInProgress;
    saved_.partition_done = through;
    saved_.sql_hash.clear();
    saved_.query_execution_id.clear();
    saved_.fetcher.clear();
    saved_.unload_prefix.clear();
    saved_.position = {};
    Checkpoint(lock);
    spdlog::info("Table '{}': partitions through {} delivered ({} of {} queries)",
                 table_.QualifiedDestination(), through, range_index_ + 1, ranges_.size());
  }
  ++range_index_;
}

/// delete_detection_every: the first sync takes the keys (the set later checks compare with), then
/// every N syncs the keys gone since the last check are deleted at the destination.
void TableSync::CheckDeletedKeysIfDue() {
  const int every = table_.delete_detection_every;
  if (every <= 0 || strategy_ == SyncStrategy::kFullRefresh) return;
  if (!saved_.key_check_query_id.empty() && saved_.syncs_since_key_check + 1 < every) return;
  const KeyCheckResult check =
      CheckDeletedKeys(services_, table_, projected_, saved_.key_check_query_id);
  CountQueryCost(check.execution);
  key_check_query_id_ = check.execution.id;
  if (check.compared) {
    spdlog::info(
        "Table '{}': key check {}: {} keys now, {} at the previous check; {} gone, deleted at the "
        "destination",
        table_.QualifiedDestination(), check.execution.id, check.keys, check.previous_keys,
        check.deleted);
  } else {
    spdlog::info("Table '{}': key check {}: {} keys taken; the next check compares with them",
                 table_.QualifiedDestination(), check.execution.id, check.keys);
  }
}

/// Saves the table complete, with the highest cursor and partition values delivered.
void TableSync::Finish() {
  {
    std::lock_guard<std::mutex> lock(services_.totals.cost_mutex);
    services_.totals.scan_reserved += table_cost_.billed_bytes - scan_reserved_;
    scan_reserved_ = table_cost_.billed_bytes;  // the reservation settled
  }
  std::lock_guard<std::mutex> lock(services_.state_mutex);
  saved_.status = TableState::Status::kComplete;
  saved_.fetcher.clear();
  saved_.unload_prefix.clear();
  saved_.position = {};
  saved_.truncated = false;
  saved_.sql_hash = sql_hash_;
  if (cursor_ && cursor_->has_value()) {
    saved_.cursor_value = cursor_->text();
    saved_.cursor_type = columns_[static_cast<size_t>(cursor_index_)].type.ToString();
  }
  saved_.pending_cursor_value.clear();
  if (partition_) {
    if (partition_max_ && partition_max_->has_value())
      KeepGreater(partition_->kind, saved_.partition_value, partition_max_->text());
    saved_.partition_done.clear();
    saved_.pending_partition_value.clear();
    saved_.last_scanned_partitions = partitions_read_;
  }
  if (!key_check_query_id_.empty()) {
    saved_.key_check_query_id = key_check_query_id_;
    saved_.syncs_since_key_check = 0;
  } else if (!saved_.key_check_query_id.empty()) {
    ++saved_.syncs_since_key_check;
  }
  saved_.completed_at = NowIso8601(services_.clock);
  if (table_cost_.queries > 0) saved_.last_scanned_bytes = scanned_bytes_;
  saved_.completed_in_sync = state_.sync_id;
  if (--services_.totals.tables_left == 0) state_.sync_id.clear();  // the sync is complete
  Checkpoint(lock);
  const std::string cost =
      table_cost_.queries == 0
          ? std::string("resumed: its cost was counted by the sync that ran it")
      : table_cost_.billed_bytes == 0
          ? std::string("a reused result: nothing scanned")
          : fmt::format("{} scanned, {} billed", FormatBytes(table_cost_.scanned_bytes),
                        FormatBytes(table_cost_.billed_bytes));
  spdlog::info("Table '{}' synced: {} rows from {} {} ({}; {})", table_.QualifiedDestination(),
               rows_delivered_, query_ids_.size() == 1 ? "query" : "queries",
               fmt::join(query_ids_, ", "), SyncStrategyName(strategy_), cost);
}

}  // namespace ac::connector
