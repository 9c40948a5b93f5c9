#include "cli/app.h"

#include <CLI/CLI.hpp>

#include <iostream>

namespace ac::cli {

int RunMain(int argc, char** argv) {
  CLI::App app{"athena-connector: an Amazon Athena source connector for Fivetran"};
  app.set_version_flag("--version", "athena-connector 0.1.0");
  app.require_subcommand(0, 1);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  std::cout << app.help();
  return 0;
}

}  // namespace ac::cli
