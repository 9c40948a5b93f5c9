#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "common/clock.h"

namespace ac::fivetran {

/// Cancels the CancellationToken of a running RPC when its client goes away (the sync gRPC API
/// has no cancellation callback, so one thread polls ServerContext::IsCancelled() of every
/// running call), and cancels all of them at shutdown.
class CallWatcher {
 public:
  explicit CallWatcher(std::chrono::milliseconds poll_interval = std::chrono::milliseconds(100));
  ~CallWatcher();
  CallWatcher(const CallWatcher&) = delete;
  CallWatcher& operator=(const CallWatcher&) = delete;

  /// Unregisters its call on destruction.
  class Registration {
   public:
    Registration() = default;
    Registration(CallWatcher* watcher, uint64_t id) : watcher_(watcher), id_(id) {}
    Registration(Registration&& other) noexcept { *this = std::move(other); }
    Registration& operator=(Registration&& other) noexcept;
    ~Registration();

   private:
    CallWatcher* watcher_ = nullptr;
    uint64_t id_ = 0;
  };

  /// Watches one call: `token` is cancelled once `is_cancelled()` returns true or CancelAll() is
  /// called. `token` must outlive the returned Registration.
  [[nodiscard]] Registration Watch(std::function<bool()> is_cancelled,
                                   common::CancellationToken* token);

  /// Cancels every watched call; calls watched afterwards are cancelled at once (shutdown).
  void CancelAll();
  bool shutting_down() const;
  size_t active_calls() const;

 private:
  struct Call {
    std::function<bool()> is_cancelled;
    common::CancellationToken* token;
  };
  void Unwatch(uint64_t id);
  void Run();

  const std::chrono::milliseconds poll_interval_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::map<uint64_t, Call> calls_;
  uint64_t next_id_ = 1;
  bool stop_ = false;
  bool shutting_down_ = false;
  std::thread thread_;
};

}  // namespace ac::fivetran
