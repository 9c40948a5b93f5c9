// athena-local: an offline Amazon Athena + S3 endpoint over DuckDB.
//
//   athena-local [--host 127.0.0.1] [--port N] [--port-file PATH] [--data-dir DIR] [--seed PATH]...
//                [--access-key-id ID --secret-access-key KEY] [--region us-east-1]
//                [--latency-ms N] [--throttle-rate R] [--error-rate R] [--drop-rate R]
//                [--rate-limit RPS] [--rate-burst N] [--bandwidth-mbps N] [--query-delay-ms N]
//                [--fault-seed N] [--log-level LEVEL]
//                [--query-log PATH] [--bytes-scanned-cutoff N] [--unload-rows-per-file N]

#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "emulator/engine.h"
#include "emulator/server.h"

namespace fs = std::filesystem;

namespace {

void WritePortFile(const std::string& path, int port) {
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(temp, std::ios::trunc);
    out << port << "\n";
    if (!out) throw std::runtime_error("cannot write port file " + temp);
  }
  fs::rename(temp, path);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"athena-local: an offline Amazon Athena + S3 endpoint over DuckDB"};
  std::string host = "127.0.0.1";
  int port = 0;
  std::string port_file;
  std::string data_dir;
  std::vector<std::string> seeds;
  std::string access_key_id = "test";
  std::string secret_access_key = "test";
  std::string region = "us-east-1";
  int64_t latency_ms = 0;
  double throttle_rate = 0, error_rate = 0, drop_rate = 0, bandwidth_mbps = 0;
  double rate_limit = 0;
  int64_t rate_burst = 0;
  int64_t query_delay_ms = 0;
  std::string time_zone = "UTC";
  uint64_t fault_seed = 0;
  std::string log_level = "info";
  std::string workgroup_output_location;
  int workers = 4;
  std::string query_log;
  uint64_t bytes_scanned_cutoff = 0;
  int64_t unload_rows_per_file = 0;

  app.add_option("--host", host, "Address to listen on")->capture_default_str();
  app.add_option("--port", port, "Port (0 picks a free one)")->capture_default_str();
  app.add_option("--port-file", port_file, "Write the bound port here once accepting connections");
  app.add_option("--data-dir", data_dir,
                 "Folder for the DuckDB database and the buckets (default: a fresh temp folder, "
                 "removed on exit)");
  app.add_option("--seed", seeds,
                 "A .sql file, or a folder of .sql/.csv/.parquet files (repeatable)");
  auto* key_opt = app.add_option("--access-key-id", access_key_id, "Accepted access key id")
                      ->capture_default_str();
  auto* secret_opt =
      app.add_option("--secret-access-key", secret_access_key, "Its secret access key");
  key_opt->needs(secret_opt);
  secret_opt->needs(key_opt);
  app.add_option("--region", region, "Region requests must be signed for")->capture_default_str();
  app.add_option("--latency-ms", latency_ms, "Latency added to every response")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--throttle-rate", throttle_rate,
                 "Probability of ThrottlingException (Athena) / SlowDown (S3)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--error-rate", error_rate, "Probability of an HTTP 500")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--drop-rate", drop_rate, "Probability of closing the connection mid-response")
      ->check(CLI::Range(0.0, 1.0));
  auto* rate_limit_opt =
      app.add_option(
             "--rate-limit", rate_limit,
             "Requests/s each API action (GetQueryResults, GetObject, ...) allows, as AWS's "
             "per-action token buckets: a request finding its bucket empty gets "
             "ThrottlingException (Athena) / SlowDown (S3) and takes no token (0 = off)")
          ->check(CLI::NonNegativeNumber)
          ->capture_default_str();
  app.add_option("--rate-burst", rate_burst,
                 "Capacity of each --rate-limit bucket, full at start (default: max(1, RPS), "
                 "rounded down)")
      ->check(CLI::Range(int64_t{1}, int64_t{1000000000}))
      ->needs(rate_limit_opt);
  app.add_option("--bandwidth-mbps", bandwidth_mbps, "Per-connection S3 body bandwidth (Mbit/s)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--query-delay-ms", query_delay_ms,
                 "Hold every query in QUEUED then RUNNING for this long in total")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--fault-seed", fault_seed, "Seed of the fault sequence")->capture_default_str();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, off")
      ->capture_default_str();
  app.add_option("--workgroup-output-location", workgroup_output_location,
                 "Default OutputLocation of workgroup 'primary' (s3://bucket/prefix/)");
  app.add_option("--time-zone", time_zone,
                 "Zone 'timestamp with time zone' results are shown in (UTC or an IANA name)")
      ->capture_default_str();
  app.add_option("--workers", workers, "Queries run at once")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--query-log", query_log,
                 "Append one JSON line per query execution reaching a final state (id, sql as "
                 "received, execution_parameters, catalog, database, workgroup, state, "
                 "statement_type, data_scanned_bytes, submitted_at, completed_at)");
  app.add_option("--bytes-scanned-cutoff", bytes_scanned_cutoff,
                 "Workgroup 'primary''s BytesScannedCutoffPerQuery in bytes (0 = none, else at "
                 "least 10000000): a query that would scan more fails")
      ->check([](const std::string& text) -> std::string {
        const bool digits =
            !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
        if (!digits) return "must be a number of bytes";
        if (text.size() > 19) return "is too large";
        const uint64_t n = std::stoull(text);
        return n == 0 || n >= ac::emulator::kMinBytesScannedCutoff
                   ? std::string()
                   : "must be 0 (none) or at least 10000000 bytes (Athena's minimum)";
      })
      ->capture_default_str();
  app.add_option("--unload-rows-per-file", unload_rows_per_file,
                 "UNLOAD writes Parquet files of about this many rows (0: up to 256 MB a file)")
      ->check(CLI::NonNegativeNumber);
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("athena-local");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(log_level));
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ athena-local %v");

  // Signals are taken by a dedicated thread (sigwait); every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  bool temp_data_dir = false;
  try {
    if (data_dir.empty()) {
      std::string templ = (fs::temp_directory_path() / "athena-local-XXXXXX").string();
      if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("cannot create temp dir");
      data_dir = templ;
      temp_data_dir = true;
    }
    fs::create_directories(data_dir);

    ac::emulator::EngineOptions engine_options;
    engine_options.data_dir = data_dir;
    engine_options.workers = workers;
    engine_options.query_delay = std::chrono::milliseconds(query_delay_ms);
    engine_options.workgroup_output_location = workgroup_output_location;
    engine_options.time_zone = time_zone;
    engine_options.query_log = query_log;
    engine_options.bytes_scanned_cutoff = bytes_scanned_cutoff;
    engine_options.unload_rows_per_file = unload_rows_per_file;
    ac::emulator::Engine engine(engine_options);
    for (const auto& seed : seeds) engine.Seed(seed);

    ac::emulator::ServerOptions server_options;
    server_options.host = host;
    server_options.port = port;
    server_options.region = region;
    server_options.credentials = {{access_key_id, secret_access_key}};
    server_options.faults.latency_ms = latency_ms;
    server_options.faults.throttle_rate = throttle_rate;
    server_options.faults.error_rate = error_rate;
    server_options.faults.drop_rate = drop_rate;
    server_options.faults.bandwidth_mbps = bandwidth_mbps;
    server_options.faults.seed = fault_seed;
    server_options.rate_limit.rate = rate_limit;
    server_options.rate_limit.burst = rate_burst;
    ac::emulator::Server server(engine, server_options);
    // What was injected, logged once when athena-local stops (when it injects anything).
    const bool injects = throttle_rate > 0 || error_rate > 0 || drop_rate > 0 || rate_limit > 0;
    std::once_flag summary_once;
    const auto log_summary = [&] {
      if (!injects) return;
      std::call_once(summary_once, [&] {
        spdlog::info("faults: {}", ac::emulator::FormatFaultStats(server.Stats()));
      });
    };
    const int bound = server.Bind();
    if (!port_file.empty()) WritePortFile(port_file, bound);
    spdlog::info("listening on http://{}:{} (data dir {}, region {})", host, bound, data_dir,
                 region);
    if (rate_limit > 0) {
      ac::emulator::RateLimiter limits(server_options.rate_limit);
      spdlog::info("rate limit: {} requests/s per action, burst {}", limits.rate(), limits.burst());
    }

    std::atomic<bool> listening_done{false};
    std::thread signal_thread([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      if (listening_done) return;
      spdlog::info("signal {} received, stopping", sig);
      server.Stop();
      // httplib waits for idle keep-alive connections to time out before Listen() returns; do
      // not make the caller wait for that: stop the queries, clean up and exit.
      for (int i = 0; i < 50 && !listening_done; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (listening_done) return;
      log_summary();
      engine.Shutdown();
      if (temp_data_dir) {
        std::error_code ec;
        fs::remove_all(data_dir, ec);
      }
      spdlog::info("stopped");
      spdlog::shutdown();
      std::_Exit(0);
    });
    server.Listen();
    listening_done = true;
    log_summary();
    engine.Shutdown();
    // Wake the signal thread if the server stopped on its own.
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  } catch (const std::exception& e) {
    std::cerr << "athena-local: " << e.what() << std::endl;
    if (temp_data_dir) {
      std::error_code ec;
      fs::remove_all(data_dir, ec);
    }
    return 1;
  }
  if (temp_data_dir) {
    std::error_code ec;
    fs::remove_all(data_dir, ec);
  }
  spdlog::info("stopped");
  return 0;
}
