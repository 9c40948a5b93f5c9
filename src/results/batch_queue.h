#pragma once

#include <cstddef>
#include <exception>
#include <optional>
#include <utility>

#include "athena/row_batch.h"
#include "common/bounded_queue.h"
#include "results/result_reader.h"

namespace ac::results {

/// The ready queue of a reader whose rows are produced on a thread of its own (the S3 reader's
/// CSV parser, the unload reader's Parquet reader): batches of rows, each with the reader's
/// position after it, handed to Next() in order. At most `capacity` wait; the producer blocks
/// beyond that. Batches go back and forth: the consumer's emptied batch becomes the producer's
/// next one, so steady state allocates no batch.
class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : queue_(capacity) {}

  /// Producer: queues `batch` with `position` and leaves a spare batch (Reset to the same column
  /// count) in its place. False when the reader is going away (Close).
  bool Push(athena::RowBatch& batch, const ResultPosition& position) {
    Ready ready = queue_.TakeSpare();
    std::swap(ready.rows, batch);
    batch.Reset(ready.rows.num_columns());
    ready.position = position;
    return queue_.Push(std::move(ready));
  }
  /// Producer: every row was queued.
  void Close() { queue_.Close(); }
  /// Producer: reading failed; Next() rethrows `error` after the batches queued before it.
  void Fail(std::exception_ptr error) { queue_.Fail(std::move(error)); }

  /// Consumer: the next batch with rows into `batch` and the position after it into `position`
  /// (a batch without rows only moves the position). False at the end, with `position.at_end`
  /// set. Rethrows the producer's failure.
  bool Next(athena::RowBatch& batch, ResultPosition& position) {
    while (true) {
      std::optional<Ready> ready = queue_.Pop();
      if (!ready) {
        position.at_end = true;
        return false;
      }
      position = ready->position;
      const bool has_rows = ready->rows.num_rows() > 0;
      if (has_rows) std::swap(batch, ready->rows);
      queue_.Recycle(std::move(*ready));
      if (has_rows) return true;
    }
  }

 private:
  struct Ready {
    athena::RowBatch rows;
    ResultPosition position;
  };
  common::BoundedQueue<Ready> queue_;
};

}  // namespace ac::results
