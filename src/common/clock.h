#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

namespace ac::common {

using SystemTimePoint = std::chrono::system_clock::time_point;
using Milliseconds = std::chrono::milliseconds;

/// A flag shared by everything working for one sync (or one RPC). Cancel() wakes sleepers;
/// long waits use WaitFor so an interrupted sync stops at once.
class CancellationToken {
 public:
  void Cancel();
  bool IsCancelled() const { return cancelled_.load(std::memory_order_acquire); }
  /// Waits up to `duration`; returns true if cancelled (before or during the wait).
  bool WaitFor(Milliseconds duration) const;
  /// Runs `callback` once on Cancel() (immediately if already cancelled). Callbacks cannot be
  /// removed: one that may outlive what it refers to holds it by shared_ptr. Registering does not
  /// change the token, so an observer holding it const may register (e.g. to cancel a derived
  /// token: ParallelTables cancels its workers' token when the sync's token is cancelled).
  void OnCancel(std::function<void()> callback) const;

 private:
  std::atomic<bool> cancelled_{false};
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  mutable std::vector<std::function<void()>> callbacks_;
};

/// Wall clock and sleep, injectable so retry and polling tests run fast and deterministic.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual SystemTimePoint Now() const = 0;
  /// Sleeps for `duration`; returns early (true) when `cancel` is cancelled.
  virtual bool SleepFor(Milliseconds duration, const CancellationToken* cancel = nullptr) = 0;
};

class SystemClock final : public Clock {
 public:
  SystemTimePoint Now() const override { return std::chrono::system_clock::now(); }
  bool SleepFor(Milliseconds duration, const CancellationToken* cancel = nullptr) override;
  /// A process-wide instance (stateless).
  static Clock& Instance();
};

/// Test clock: Now() is set by hand, SleepFor() advances it and records the requested sleeps.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(SystemTimePoint start = SystemTimePoint(std::chrono::seconds(1440000000)))
      : now_(start) {}
  SystemTimePoint Now() const override;
  bool SleepFor(Milliseconds duration, const CancellationToken* cancel = nullptr) override;
  void Advance(Milliseconds duration);
  void Set(SystemTimePoint now);
  std::vector<Milliseconds> sleeps() const;

 private:
  mutable std::mutex mutex_;
  SystemTimePoint now_;
  std::vector<Milliseconds> sleeps_;
};

}  // namespace ac::common
