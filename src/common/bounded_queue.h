#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

namespace ac::common {

/// A FIFO between a producer thread and a consumer thread, bounded so that the producer can run
/// only a few items ahead: the pattern of a prefetch thread and its consumer (a reader that
/// fetches pages or parses batches ahead; a sink that applies calls on a worker thread).
///
/// - Push waits while the items waiting weigh `capacity` (an item weighs 1 unless told; one of
///   weight 0, e.g. a control message among data batches, never waits for room).
/// - Close: no more items. Pop hands out what is queued, then nullopt; a Push (waiting or later)
///   drops its item and returns false. Either end may close: the producer when it is done, the
///   consumer when it goes away (which wakes a producer waiting for room).
/// - Fail(error): the queue is broken. Pop hands out what was queued before, then rethrows
///   `error` (every time); Push and WaitUntilDone rethrow it. The first failure wins. Either end
///   may fail it: a producer whose work failed (the consumer sees the error after the items that
///   came before it), a consumer that cannot go on (the producer sees it at its next Push).
/// - MarkDone / WaitUntilDone: the consumer marks each popped item done once handled;
///   WaitUntilDone waits until every pushed item is (or the queue failed).
/// - Spares: the consumer hands emptied items back (Recycle) and the producer fills them again
///   (TakeSpare), so buffers keep their capacity and steady state allocates nothing. At most
///   `max_spares` are kept.
///
/// Thread-safe.
template <typename T>
class BoundedQueue {
 public:
  /// `capacity` >= 1 (0 counts as 1). `max_spares` defaults to every item that can be in flight:
  /// the queued ones, one in the producer's hands and one in the consumer's.
  explicit BoundedQueue(size_t capacity, std::optional<size_t> max_spares = std::nullopt)
      : capacity_(std::max<size_t>(capacity, 1)), max_spares_(max_spares.value_or(capacity_ + 2)) {}
  BoundedQueue(const BoundedQueue&) = delete;
  BoundedQueue& operator=(const BoundedQueue&) = delete;

  /// Queues `item` once there is room for `weight` (<= capacity). False when the queue was closed
  /// (the item is dropped); rethrows the failure of a failed queue.
  bool Push(T item, size_t weight = 1) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      room_.wait(lock, [&] { return closed_ || error_ != nullptr || load_ + weight <= capacity_; });
      if (error_ != nullptr) std::rethrow_exception(error_);
      if (closed_) return false;
      items_.push_back(Entry{std::move(item), weight});
      load_ += weight;
      ++unfinished_;
    }
    items_cv_.notify_one();
    return true;
  }

  /// The next item; waits for one. nullopt once the queue is closed and empty; rethrows the
  /// failure once a failed queue is empty.
  std::optional<T> Pop() {
    std::optional<T> item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      items_cv_.wait(lock, [&] { return !items_.empty() || closed_ || error_ != nullptr; });
      if (items_.empty()) {
        if (error_ != nullptr) std::rethrow_exception(error_);
        return std::nullopt;
      }
      item.emplace(std::move(items_.front().item));
      load_ -= items_.front().weight;
      items_.pop_front();
    }
    room_.notify_all();
    return item;
  }

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
    }
    NotifyAll();
  }

  void Fail(std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (error_ == nullptr) error_ = std::move(error);
    }
    NotifyAll();
  }

  /// The consumer has handled one item it popped.
  void MarkDone() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (unfinished_ > 0) --unfinished_;
    }
    done_cv_.notify_all();
  }

  /// Waits until every pushed item was popped and marked done; rethrows the failure of a failed
  /// queue.
  void WaitUntilDone() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_cv_.wait(lock, [&] { return unfinished_ == 0 || error_ != nullptr; });
    if (error_ != nullptr) std::rethrow_exception(error_);
  }

  /// A recycled item, or a new T when there is none.
  T TakeSpare() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (spares_.empty()) return T();
    T spare = std::move(spares_.back());
    spares_.pop_back();
    return spare;
  }

  /// Keeps `item` for TakeSpare (dropped when `max_spares` are kept already).
  void Recycle(T item) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (spares_.size() < max_spares_) spares_.push_back(std::move(item));
  }

  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    T item;
    size_t weight;
  };

  void NotifyAll() {
    room_.notify_all();
    items_cv_.notify_all();
    done_cv_.notify_all();
  }

  const size_t capacity_;
  const size_t max_spares_;
  std::mutex mutex_;
  std::condition_variable room_;      // producers wait for room
  std::condition_variable items_cv_;  // the consumer waits for items
  std::condition_variable done_cv_;   // WaitUntilDone waits for the items to be handled
  std::deque<Entry> items_;
  size_t load_ = 0;        // weight of the items in items_
  size_t unfinished_ = 0;  // pushed, not yet marked done
  bool closed_ = false;
  std::exception_ptr error_;
  std::vector<T> spares_;
};

}  // namespace ac::common
