#include "fivetran/call_watcher.h"

namespace ac::fivetran {

CallWatcher::CallWatcher(std::chrono::milliseconds poll_interval) : poll_interval_(poll_interval) {}

CallWatcher::~CallWatcher() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

CallWatcher::Registration& CallWatcher::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    if (watcher_ != nullptr) watcher_->Unwatch(id_);
    watcher_ = other.watcher_;
    id_ = other.id_;
    other.watcher_ = nullptr;
  }
  return *this;
}

CallWatcher::Registration::~Registration() {
  if (watcher_ != nullptr) watcher_->Unwatch(id_);
}

CallWatcher::Registration CallWatcher::Watch(std::function<bool()> is_cancelled,
                                             common::CancellationToken* token) {
  bool cancel_now = false;
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    id = next_id_++;
    calls_.emplace(id, Call{std::move(is_cancelled), token});
    cancel_now = shutting_down_;
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  }
  cv_.notify_all();
  if (cancel_now) token->Cancel();
  return Registration(this, id);
}

void CallWatcher::Unwatch(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  calls_.erase(id);
}

void CallWatcher::CancelAll() {
  // Cancel under the lock: a token stays valid while its registration exists.
  std::lock_guard<std::mutex> lock(mutex_);
  shutting_down_ = true;
  for (auto& [id, call] : calls_) call.token->Cancel();
}

bool CallWatcher::shutting_down() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return shutting_down_;
}

size_t CallWatcher::active_calls() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return calls_.size();
}

void CallWatcher::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    cv_.wait_for(lock, poll_interval_, [this] { return stop_; });
    if (stop_) break;
    for (auto& [id, call] : calls_) {
      if (!call.token->IsCancelled() && call.is_cancelled()) call.token->Cancel();
    }
  }
}

}  // namespace ac::fivetran
