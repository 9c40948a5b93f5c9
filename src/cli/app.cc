#include "cli/app.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/debug_command.h"
#include "fivetran/server.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::cli {
namespace {

void UseStderrLogger(const std::string& level) {
  // Thread-safe (_mt): the tables of a sync, S3 download threads and the gRPC server log at once.
  auto logger = spdlog::stderr_logger_mt("athena-connector");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

}  // namespace

int RunMain(int argc, char** argv) {
  CLI::App app{"athena-connector: an Amazon Athena source connector for Fivetran"};
  app.set_version_flag("--version", "athena-connector 0.1.0");
  app.require_subcommand(0, 1);
  int port = -1;
  std::string port_file;
  app.add_option("--port", port,
                 "Serve Fivetran's partner protocol (gRPC) on this port (same as `serve --port`)");
  app.add_option("--port-file", port_file,
                 "With --port: write the bound port to this file once listening");
  std::string log_level = "info";
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")
      ->capture_default_str();

  DebugOptions debug;
  auto* debug_cmd = app.add_subcommand(
      "debug", "Run one sync into a local DuckDB warehouse (like `fivetran debug`)");
  debug_cmd->add_option("--configuration", debug.configuration, "Configuration JSON file")
      ->capture_default_str();
  debug_cmd->add_option("--state", debug.state,
                        "State JSON file (default: <working-dir>/state.json)");
  debug_cmd
      ->add_option(
          "--working-dir", debug.working_dir,
          "Folder of warehouse.db, state.json and downloads/ (UNLOAD files of a read in progress)")
      ->capture_default_str();
  debug_cmd->add_flag("!--no-progress", debug.progress, "No progress line");
  debug_cmd->add_flag("--test", debug.run_tests,
                      "Run the setup tests first (credentials, database, a staging query that "
                      "Athena bills)");
  debug_cmd->add_option("--tables", debug.tables, "Sync only these tables (comma-separated)")
      ->delimiter(',');
  debug_cmd
      ->add_option("--exclude-columns", debug.excluded_columns,
                   "Leave out these columns: table.column, comma-separated")
      ->delimiter(',');

  ResetOptions reset;
  auto* reset_cmd =
      app.add_subcommand("reset", "Delete the local working dir (state.json and warehouse.db)");
  reset_cmd->add_option("--working-dir", reset.working_dir, "Folder to delete")
      ->capture_default_str();
  reset_cmd->add_flag("--yes,-y", reset.yes, "Do not ask for confirmation");

  std::filesystem::path show_dir = "files";
  std::string show_table = "customers";
  size_t show_limit = 10;
  auto* show_cmd =
      app.add_subcommand("show", "Print the first rows of a table of the local warehouse");
  show_cmd->add_option("table", show_table, "Table (schema tester unless given as schema.table)")
      ->capture_default_str();
  show_cmd->add_option("--working-dir", show_dir, "Folder of warehouse.db")->capture_default_str();
  show_cmd->add_option("--limit", show_limit, "Rows to print")->capture_default_str();

  int serve_port = fivetran::kDefaultPort;
  std::string serve_port_file;
  auto* serve_cmd = app.add_subcommand(
      "serve", "Serve Fivetran's partner protocol fivetran_sdk.v2.SourceConnector (gRPC)");
  serve_cmd->add_option("--port", serve_port, "Port (0 = any free port)")->capture_default_str();
  serve_cmd->add_option("--port-file", serve_port_file,
                        "Write the bound port to this file once listening");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (serve_cmd->parsed() || port >= 0) {
    fivetran::ServerOptions server;
    server.port = serve_cmd->parsed() ? serve_port : port;
    server.port_file = serve_cmd->parsed() ? serve_port_file : port_file;
    return fivetran::RunServer(server);
  }
  UseStderrLogger(log_level);
  if (debug_cmd->parsed()) return RunDebug(debug, std::cout, std::cerr);
  if (reset_cmd->parsed()) return RunReset(reset, std::cin, std::cout, std::cerr);
  if (show_cmd->parsed()) {
    try {
      std::cout << warehouse::FormatTablePreview(show_dir / "warehouse.db", show_table, show_limit);
      return 0;
    } catch (const std::exception& e) {
      std::cerr << "show: " << e.what() << "\n";
      return ExitCodeFor(e);
    }
  }
  std::cout << app.help();
  return 2;
}

}  // namespace ac::cli
