#include "results/ordered_downloads.h"

#include <algorithm>

namespace ac::results {

void OrderedDownloads::Start(size_t count, int concurrency, size_t window, Download download) {
  download_ = std::move(download);
  window_ = std::max<size_t>(window, 1);
  states_.assign(count, State::kPending);
  errors_.assign(count, nullptr);
  const size_t workers = std::min(count, static_cast<size_t>(std::max(concurrency, 1)));
  for (size_t i = 0; i < workers; ++i) workers_.emplace_back(&OrderedDownloads::WorkerLoop, this);
}

void OrderedDownloads::WorkerLoop() {
  while (true) {
    size_t index = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock,
               [&] { return stop_ || next_ >= states_.size() || next_ < consumer_ + window_; });
      if (stop_ || next_ >= states_.size()) return;
      index = next_++;
      states_[index] = State::kDownloading;
    }
    std::exception_ptr error;
    try {
      download_(index);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      states_[index] = error ? State::kFailed : State::kDone;
      errors_[index] = error;
    }
    cv_.notify_all();
    if (error) return;
  }
}

bool OrderedDownloads::Wait(size_t index) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] {
    return stop_ || states_[index] == State::kDone || states_[index] == State::kFailed;
  });
  if (stop_) return false;
  if (states_[index] == State::kFailed) std::rethrow_exception(errors_[index]);
  return true;
}

void OrderedDownloads::Release(size_t index) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    consumer_ = std::max(consumer_, index + 1);
  }
  cv_.notify_all();
}

void OrderedDownloads::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

}  // namespace ac::results
