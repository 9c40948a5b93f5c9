#include "fivetran/call_watcher.h"

#include <gtest/gtest.h>

#include <atomic>

namespace ac::fivetran {
namespace {

TEST(CallWatcherTest, CancelsTheTokenOnceTheClientIsGone) {
  CallWatcher watcher(std::chrono::milliseconds(1));
  common::CancellationToken token;
  std::atomic<bool> gone{false};
  auto registration = watcher.Watch([&] { return gone.load(); }, &token);
  EXPECT_EQ(watcher.active_calls(), 1u);
  EXPECT_FALSE(token.IsCancelled());
  gone = true;
  EXPECT_TRUE(token.WaitFor(std::chrono::seconds(30)));
}

TEST(CallWatcherTest, RegistrationEndsWithItsScope) {
  CallWatcher watcher(std::chrono::milliseconds(1));
  {
    common::CancellationToken token;
    auto registration = watcher.Watch([] { return false; }, &token);
    EXPECT_EQ(watcher.active_calls(), 1u);
  }
  EXPECT_EQ(watcher.active_calls(), 0u);
}

TEST(CallWatcherTest, CancelAllCancelsRunningAndLaterCalls) {
  CallWatcher watcher(std::chrono::hours(1));
  common::CancellationToken running;
  auto first = watcher.Watch([] { return false; }, &running);
  watcher.CancelAll();
  EXPECT_TRUE(running.IsCancelled());
  EXPECT_TRUE(watcher.shutting_down());
  common::CancellationToken later;
  auto second = watcher.Watch([] { return false; }, &later);
  EXPECT_TRUE(later.IsCancelled());
}

}  // namespace
}  // namespace ac::fivetran
