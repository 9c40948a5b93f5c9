#include "results/ordered_downloads.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ac::results {
namespace {

TEST(OrderedDownloadsTest, EveryItemOnceAndTheConsumerSeesThemInOrder) {
  std::vector<std::string> items(50);
  std::atomic<int> calls{0};
  OrderedDownloads downloads;
  downloads.Start(items.size(), 4, 5, [&](size_t i) {
    ++calls;
    items[i] = "item " + std::to_string(i);
  });
  for (size_t i = 0; i < items.size(); ++i) {
    ASSERT_TRUE(downloads.Wait(i));
    EXPECT_EQ(items[i], "item " + std::to_string(i));
    downloads.Release(i);
  }
  downloads.Stop();
  EXPECT_EQ(calls.load(), 50);
}

TEST(OrderedDownloadsTest, WorkersStayWithinTheWindowOfTheConsumer) {
  std::atomic<size_t> highest{0};
  OrderedDownloads downloads;
  downloads.Start(100, 3, 4, [&](size_t i) {
    size_t seen = highest.load();
    while (i > seen && !highest.compare_exchange_weak(seen, i)) {
    }
  });
  ASSERT_TRUE(downloads.Wait(0));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(highest.load(), 3u);  // items 0..3: the window of 4 while the consumer is on item 0
  downloads.Release(0);
  downloads.Release(1);
  ASSERT_TRUE(downloads.Wait(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(highest.load(), 5u);
}

TEST(OrderedDownloadsTest, AFailureReachesTheConsumerAtItsItemAndStopEndsTheWaits) {
  OrderedDownloads downloads;
  downloads.Start(10, 1, 10, [](size_t i) {
    if (i == 1) throw std::runtime_error("item 1 is gone");
  });
  EXPECT_TRUE(downloads.Wait(0));
  EXPECT_THROW(downloads.Wait(1), std::runtime_error);
  std::thread waiter([&] { EXPECT_FALSE(downloads.Wait(9)); });  // the one worker stopped at item 1
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  downloads.Stop();
  waiter.join();
  EXPECT_TRUE(downloads.stopped());
}

}  // namespace
}  // namespace ac::results
