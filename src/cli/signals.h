#pragma once

#include "common/clock.h"

namespace ac::cli {

/// Routes SIGINT/SIGTERM to a CancellationToken for the lifetime of this object: signals are
/// blocked in every thread and a dedicated thread waits for them (no work in a signal handler).
/// Construct it before starting other threads.
class SignalCancellation {
 public:
  explicit SignalCancellation(common::CancellationToken& token);
  ~SignalCancellation();
  SignalCancellation(const SignalCancellation&) = delete;
  SignalCancellation& operator=(const SignalCancellation&) = delete;
  /// The signal received, or 0.
  int signal() const;

 private:
  struct State;
  State* state_;
};

}  // namespace ac::cli
