#include "common/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ac::common {
namespace {

/// Lets other threads run until `done` holds (or a generous bound passes).
template <typename F>
bool Eventually(F done) {
  for (int i = 0; i < 2000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return done();
}

TEST(BoundedQueueTest, HandsOutItemsInOrderThenNulloptOnceClosed) {
  BoundedQueue<int> queue(3);
  EXPECT_TRUE(queue.Push(1));
  EXPECT_TRUE(queue.Push(2));
  queue.Close();
  EXPECT_FALSE(queue.Push(3));  // closed: dropped
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), 2);
  EXPECT_EQ(queue.Pop(), std::nullopt);
  EXPECT_EQ(queue.Pop(), std::nullopt);
}

TEST(BoundedQueueTest, PushWaitsForRoomAndAProducerStaysAtMostCapacityAhead) {
  BoundedQueue<int> queue(2);
  std::atomic<int> pushed{0};
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE(queue.Push(i));
      ++pushed;
    }
    queue.Close();
  });
  EXPECT_TRUE(Eventually([&] { return pushed.load() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(pushed.load(), 2);  // the third waits for room
  std::vector<int> got;
  while (auto item = queue.Pop()) {
    got.push_back(*item);
    EXPECT_LE(pushed.load(), static_cast<int>(got.size()) + 2);
  }
  producer.join();
  ASSERT_EQ(got.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(got[static_cast<size_t>(i)], i);
}

TEST(BoundedQueueTest, ItemsOfWeightZeroNeverWaitForRoom) {
  BoundedQueue<std::string> queue(1);
  EXPECT_TRUE(queue.Push("data"));
  EXPECT_TRUE(queue.Push("control", 0));  // the queue is full, yet this does not wait
  EXPECT_TRUE(queue.Push("control", 0));
  std::atomic<bool> pushed{false};
  std::thread producer([&] {
    EXPECT_TRUE(queue.Push("more data"));
    pushed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(pushed.load());
  EXPECT_EQ(queue.Pop(), "data");  // frees the room
  producer.join();
  EXPECT_TRUE(pushed.load());
  EXPECT_EQ(queue.Pop(), "control");
  EXPECT_EQ(queue.Pop(), "control");
  EXPECT_EQ(queue.Pop(), "more data");
}

TEST(BoundedQueueTest, AProducerFailureReachesTheConsumerAfterTheItemsBeforeIt) {
  BoundedQueue<int> queue(4);
  queue.Push(1);
  queue.Push(2);
  queue.Fail(std::make_exception_ptr(std::runtime_error("parse failed")));
  queue.Fail(std::make_exception_ptr(std::logic_error("later failures are ignored")));
  EXPECT_EQ(queue.Pop(), 1);
  EXPECT_EQ(queue.Pop(), 2);
  for (int i = 0; i < 2; ++i) {
    try {
      queue.Pop();
      FAIL() << "no throw";
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "parse failed");
    }
  }
  EXPECT_THROW(queue.Push(3), std::runtime_error);
}

TEST(BoundedQueueTest, AConsumerFailureWakesAProducerWaitingForRoom) {
  BoundedQueue<int> queue(1);
  queue.Push(1);
  std::thread producer([&] { EXPECT_THROW(queue.Push(2), std::runtime_error); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  queue.Fail(std::make_exception_ptr(std::runtime_error("sink failed")));
  producer.join();
  EXPECT_THROW(queue.WaitUntilDone(), std::runtime_error);
}

TEST(BoundedQueueTest, ClosingWakesAProducerWaitingForRoomAndAConsumerWaitingForItems) {
  BoundedQueue<int> full(1);
  full.Push(1);
  std::thread producer([&] { EXPECT_FALSE(full.Push(2)); });
  BoundedQueue<int> empty(1);
  std::thread consumer([&] { EXPECT_EQ(empty.Pop(), std::nullopt); });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  full.Close();
  empty.Close();
  producer.join();
  consumer.join();
}

TEST(BoundedQueueTest, WaitUntilDoneWaitsForEveryItemToBeHandled) {
  BoundedQueue<int> queue(8);
  std::atomic<int> handled{0};
  std::thread consumer([&] {
    while (auto item = queue.Pop()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      ++handled;
      queue.MarkDone();
    }
  });
  queue.WaitUntilDone();  // nothing pushed: returns at once
  for (int i = 0; i < 5; ++i) queue.Push(i);
  queue.WaitUntilDone();
  EXPECT_EQ(handled.load(), 5);
  queue.Close();
  consumer.join();
}

TEST(BoundedQueueTest, SparesAreReusedUpToTheLimit) {
  BoundedQueue<std::string> queue(2, 1);
  EXPECT_EQ(queue.TakeSpare(), "");  // none yet: a new one
  std::string buffer;
  buffer.reserve(1000);
  const char* storage = buffer.data();
  queue.Recycle(std::move(buffer));
  queue.Recycle(std::string("dropped: one spare is kept at most"));
  std::string again = queue.TakeSpare();
  EXPECT_EQ(again.data(), storage);  // the same allocation came back
  EXPECT_EQ(queue.TakeSpare(), "");
}

}  // namespace
}  // namespace ac::common
