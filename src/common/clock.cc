#include "common/clock.h"

#include <thread>

namespace ac::common {

void CancellationToken::Cancel() {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_.exchange(true)) return;
    callbacks.swap(callbacks_);
  }
  cv_.notify_all();
  for (auto& callback : callbacks) callback();
}

bool CancellationToken::WaitFor(Milliseconds duration) const {
  std::unique_lock<std::mutex> lock(mutex_);
  return cv_.wait_for(lock, duration, [this] { return IsCancelled(); });
}

void CancellationToken::OnCancel(std::function<void()> callback) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!IsCancelled()) {
      callbacks_.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

bool SystemClock::SleepFor(Milliseconds duration, const CancellationToken* cancel) {
  if (cancel != nullptr) return cancel->WaitFor(duration);
  std::this_thread::sleep_for(duration);
  return false;
}

Clock& SystemClock::Instance() {
  static SystemClock clock;
  return clock;
}

SystemTimePoint FakeClock::Now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return now_;
}

bool FakeClock::SleepFor(Milliseconds duration, const CancellationToken* cancel) {
  std::lock_guard<std::mutex> lock(mutex_);
  sleeps_.push_back(duration);
  now_ += duration;
  return cancel != nullptr && cancel->IsCancelled();
}

void FakeClock::Advance(Milliseconds duration) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_ += duration;
}

void FakeClock::Set(SystemTimePoint now) {
  std::lock_guard<std::mutex> lock(mutex_);
  now_ = now;
}

std::vector<Milliseconds> FakeClock::sleeps() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sleeps_;
}

}  // namespace ac::common
