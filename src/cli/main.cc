#include "cli/app.h"

int main(int argc, char** argv) {
  return ac::cli::RunMain(argc, argv);
}
