#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ac::results {

/// Downloads items 0..count-1 (parts of a result file, UNLOAD's Parquet files) on up to
/// `concurrency` worker threads for a consumer that takes them in order. A worker starts item i
/// only while i < (the item the consumer is on) + `window`, so what waits downloaded stays bounded
/// whatever the count. Each item is downloaded once, by one worker; a worker whose download fails
/// stops, and the failure reaches the consumer when it waits for that item.
///
/// The consumer: Wait(i), use item i (what `download(i)` stored), Release(i), then i + 1.
class OrderedDownloads {
 public:
  using Download = std::function<void(size_t index)>;

  OrderedDownloads() = default;
  ~OrderedDownloads() { Stop(); }
  OrderedDownloads(const OrderedDownloads&) = delete;
  OrderedDownloads& operator=(const OrderedDownloads&) = delete;

  /// Starts the workers (once). `concurrency` and `window` count at least 1.
  void Start(size_t count, int concurrency, size_t window, Download download);
  /// Waits until item `index` is downloaded; true then, false once stopped; rethrows the item's
  /// failure.
  bool Wait(size_t index);
  /// The consumer is done with item `index`: workers may go up to index + 1 + window.
  void Release(size_t index);
  /// Workers start nothing more, Wait returns false; then joins the workers. A download under way
  /// ends as soon as its body callback sees stopped(). Idempotent.
  void Stop();
  /// For body callbacks: abandon the transfer.
  bool stopped() const { return stop_.load(std::memory_order_acquire); }

 private:
  enum class State { kPending, kDownloading, kDone, kFailed };
  void WorkerLoop();

  Download download_;
  size_t window_ = 1;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<State> states_;
  std::vector<std::exception_ptr> errors_;
  size_t next_ = 0;                ///< next item a worker claims
  size_t consumer_ = 0;            ///< item the consumer is on (those below it are released)
  std::atomic<bool> stop_{false};  ///< written under mutex_, read by body callbacks without it
  std::vector<std::thread> workers_;
};

}  // namespace ac::results
