#pragma once

// One fuzz target = one `AC_FUZZ_TARGET(name) { ... }` in tests/fuzz/<name>_fuzzer.cc.
//
// Built two ways (tests/fuzz/CMakeLists.txt):
//  - `make fuzz` (clang-16, -DAC_FUZZ=ON): each file is its own libFuzzer executable and the macro
//    defines LLVMFuzzerTestOneInput.
//  - the normal build (any compiler): every target goes into one `ac_fuzz_replay` executable (the
//    macro registers the function by name) and ctest runs it over the target's seed corpus in
//    tests/fuzz/<name>/, so the seeds and every crash ever found stay regression cases.
//
// A target returns normally for any input the code under test handles (rejecting it with one of
// our errors included); anything else — a sanitizer report, an uncaught exception, a failed
// AC_FUZZ_CHECK — is a crash.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

/// Aborts (a crash for libFuzzer and for the replay test) when `cond` is false.
#define AC_FUZZ_CHECK(cond)                                                                 \
  do {                                                                                      \
    if (!(cond)) {                                                                          \
      std::fprintf(stderr, "%s:%d: AC_FUZZ_CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (0)

namespace ac::fuzz {

using TargetFn = int (*)(const uint8_t* data, size_t size);

/// Replay build: adds a target to the registry (returns true, for a static initializer).
bool RegisterTarget(std::string_view name, TargetFn fn);

}  // namespace ac::fuzz

#if defined(AC_LIBFUZZER)
#define AC_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
#else
#define AC_FUZZ_TARGET(name)                                        \
  static int FuzzTarget_##name(const uint8_t* data, size_t size);   \
  [[maybe_unused]] static const bool kFuzzTargetRegistered_##name = \
      ::ac::fuzz::RegisterTarget(#name, &FuzzTarget_##name);        \
  static int FuzzTarget_##name(const uint8_t* data, size_t size)
#endif
