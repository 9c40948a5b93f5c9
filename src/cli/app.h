#pragma once

namespace ac::cli {

/// Parses the command line and runs the chosen command; returns the process exit code.
int RunMain(int argc, char** argv);

}  // namespace ac::cli
