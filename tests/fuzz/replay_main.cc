// The regression mode of the fuzz targets (tests/fuzz/fuzz_target.h), built with the normal
// compiler into one executable: `ac_fuzz_replay <target> <file or folder>...` runs the target's
// entry function once on every file (a folder: each file in it, sorted) and fails when the target
// crashes. ctest runs it over every seed corpus (tests/fuzz/<target>/).

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "fuzz_target.h"

namespace ac::fuzz {
namespace {

std::map<std::string, TargetFn, std::less<>>& Registry() {
  static std::map<std::string, TargetFn, std::less<>> targets;
  return targets;
}

}  // namespace

bool RegisterTarget(std::string_view name, TargetFn fn) {
  Registry().emplace(std::string(name), fn);
  return true;
}

}  // namespace ac::fuzz

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  const auto& targets = ac::fuzz::Registry();
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s <target> <file or folder>...\ntargets:", argv[0]);
    for (const auto& [name, fn] : targets) std::fprintf(stderr, " %s", name.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const auto target = targets.find(std::string_view(argv[1]));
  if (target == targets.end()) {
    std::fprintf(stderr, "unknown target %s\n", argv[1]);
    return 2;
  }
  std::vector<fs::path> files;
  for (int i = 2; i < argc; ++i) {
    const fs::path path(argv[i]);
    if (fs::is_directory(path)) {
      for (const auto& entry : fs::directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "no inputs for %s\n", argv[1]);
    return 1;
  }
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 1;
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::fprintf(stderr, "%s: %s (%zu bytes)\n", argv[1], file.c_str(), bytes.size());
    target->second(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  }
  std::printf("%s: %zu input(s) replayed\n", argv[1], files.size());
  return 0;
}
