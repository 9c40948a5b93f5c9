#include "cli/debug_command.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include "aws/retry.h"
#include "cli/signals.h"
#include "common/error.h"
#include "connector/background_sink.h"
#include "connector/config.h"
#include "connector/connector.h"
#include "connector/sync_state.h"
#include "fivetran/local_runner.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::cli {
namespace {

std::string ReadFile(const std::filesystem::path& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw common::ConfigError(
        fmt::format("{} '{}' not found or not readable", what, path.string()));
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void PrintSummary(std::ostream& out, const connector::SyncCounters& c,
                  const aws::RetryStats& retries) {
  out << "SYNC PROGRESS:\n";
  out << fmt::format("{:<16}| {}\n", "Operation", "Calls");
  out << fmt::format("{:-<16}+{:-<12}\n", "", "");
  out << fmt::format("{:<16}| {}\n", "Upserts", c.upserts);
  out << fmt::format("{:<16}| {}\n", "Updates", c.updates);
  out << fmt::format("{:<16}| {}\n", "Deletes", c.deletes);
  out << fmt::format("{:<16}| {}\n", "Truncates", c.truncates);
  out << fmt::format("{:<16}| {}\n", "SchemaChanges", c.schema_changes);
  out << fmt::format("{:<16}| {}\n", "Checkpoints", c.checkpoints);
  // What throttling and transient errors cost (setup tests, catalog calls and the sync).
  const aws::RetryStats::Snapshot r = retries.Take();
  out << aws::RetryStats::SummaryLine(r) << "\n";
  for (const auto& [operation, count] : r.by_operation) {
    out << fmt::format("  {:<40}| {} retries\n", operation, count);
  }
}

}  // namespace

int ExitCodeFor(const std::exception& error) {
  const auto* e = dynamic_cast<const common::Error*>(&error);
  if (e == nullptr) return 1;
  switch (e->kind()) {
    case common::ErrorKind::kConfig:
      return 2;
    case common::ErrorKind::kAuth:
    case common::ErrorKind::kPermission:
      return 3;
    case common::ErrorKind::kNotFound:
    case common::ErrorKind::kQueryFailed:
      return 4;
    case common::ErrorKind::kTransient:
    case common::ErrorKind::kProtocol:
      return 5;
    case common::ErrorKind::kCancelled:
      return 130;
    case common::ErrorKind::kInternal:
      return 1;
  }
  return 1;
}

int RunDebug(const DebugOptions& options, std::ostream& out, std::ostream& err) {
  common::CancellationToken cancel;
  SignalCancellation signals(cancel);
  try {
    const std::string config_text = ReadFile(options.configuration, "configuration file");
    // Read once; validated here first, so a bad key is one clear line before anything starts.
    // The map goes to the connector's server as Fivetran sends it (which validates it per RPC).
    std::map<std::string, std::string> configuration =
        connector::Config::ReadJsonObject(config_text, options.configuration.string());
    (void)connector::Config::Parse(configuration);
    std::string state_json = "{}";
    const std::filesystem::path saved_state = options.working_dir / "state.json";
    if (!options.state.empty()) {
      state_json = ReadFile(options.state, "state file");
    } else if (std::filesystem::exists(saved_state)) {
      state_json = ReadFile(saved_state, "state file");
    }
    // Checked here too: a state that is not UTF-8 cannot even travel in the Update request (a
    // protobuf string), and every bad state gets the same line and exit code (2).
    (void)connector::SyncState::Parse(state_json);

    warehouse::WarehouseOptions warehouse_options;
    warehouse_options.working_dir = options.working_dir;
    warehouse::DuckDbWarehouse warehouse(warehouse_options);
    out << fmt::format("Destination schema: {}/{}\n", warehouse.db_path().string(),
                       warehouse.schema());
    out.flush();

    // One code path: Fivetran's side of the partner protocol against this connector's own server
    // (in-process channel), applying the streamed records to the local warehouse.
    fivetran::LocalSyncOptions local;
    local.configuration = std::move(configuration);
    local.state_json = state_json;
    local.run_tests = options.run_tests;
    local.tables = options.tables;
    local.excluded_columns = options.excluded_columns;
    local.cancel = &cancel;
    const auto retry_stats = std::make_shared<aws::RetryStats>();
    local.service.environment.retry_stats = retry_stats;
    // UNLOAD's Parquet files download next to the state, so a resumed sync finds them.
    local.service.environment.download_dir = options.working_dir / "downloads";
    local.print = [&out](const std::string& line) { out << line << "\n" << std::flush; };
    const bool show_progress = options.progress && isatty(STDERR_FILENO) == 1;
    if (show_progress) {
      local.service.environment.on_progress = [&err](const connector::SyncProgress& p) {
        err << fmt::format("\r{}: {} rows, {:.0f} rows/s   ", p.table, p.rows,
                           p.seconds > 0 ? p.rows / p.seconds : 0.0)
            << std::flush;
      };
    }
    // The Athena bill of the sync (the connector runs in this process, behind the gRPC channel).
    std::optional<connector::QueryCost> cost;
    std::mutex cost_mutex;
    local.service.environment.on_cost = [&](const connector::QueryCost& c) {
      std::lock_guard<std::mutex> lock(cost_mutex);
      cost = c;
    };
    const auto started = std::chrono::steady_clock::now();
    fivetran::LocalSyncResult result;
    {
      // The warehouse writes on its own thread while this one decodes the stream.
      connector::BackgroundRecordSink background(warehouse);
      result = fivetran::RunLocalSync(local, background);
    }
    if (result.ok) {
      try {
        warehouse.Finish();
      } catch (const common::Error& e) {
        result.ok = false;
        result.error_kind = e.kind();
        result.message = e.what();
      }
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (show_progress) err << "\n";
    for (const auto& warning : result.warnings) out << "WARNING: " << warning << "\n";
    const connector::SyncCounters& counters = result.counters;
    {
      std::lock_guard<std::mutex> lock(cost_mutex);
      if (cost) out << "Athena: " << cost->Describe() << "\n";
    }
    if (!result.ok) {
      PrintSummary(out, counters, *retry_stats);
      out << "Sync FAILED: " << result.message << "\n";
      if (!result.error_kind) return 1;
      return ExitCodeFor(common::Error(*result.error_kind, result.message));
    }
    out << fmt::format("Synced {} rows in {:.2f} s ({:.0f} rows/s)\n", counters.upserts, seconds,
                       seconds > 0 ? counters.upserts / seconds : 0.0);
    PrintSummary(out, counters, *retry_stats);
    out << "Sync SUCCEEDED\n";
    return 0;
  } catch (const std::exception& e) {
    out << "Sync FAILED: " << e.what() << "\n";
    return ExitCodeFor(e);
  }
}

int RunReset(const ResetOptions& options, std::istream& in, std::ostream& out, std::ostream& err) {
  const auto& dir = options.working_dir;
  if (!std::filesystem::exists(dir)) {
    err << fmt::format("Nothing to reset: '{}' does not exist\n", dir.string());
    return 1;
  }
  if (!options.yes) {
    if (isatty(STDIN_FILENO) != 1) {
      err << "reset: confirmation needed; pass --yes to delete without asking\n";
      return 2;
    }
    out << fmt::format("This deletes '{}' (state.json and warehouse.db). Continue? [Y/n] ",
                       dir.string())
        << std::flush;
    std::string answer;
    std::getline(in, answer);
    if (!answer.empty() && answer[0] != 'y' && answer[0] != 'Y') {
      out << "Reset cancelled\n";
      return 1;
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) {
    err << fmt::format("reset: could not delete '{}': {}\n", dir.string(), ec.message());
    return 1;
  }
  out << fmt::format("Deleted '{}'\n", dir.string());
  return 0;
}

}  // namespace ac::cli
