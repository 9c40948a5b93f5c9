#include "cli/signals.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <thread>

namespace ac::cli {

struct SignalCancellation::State {
  common::CancellationToken& token;
  sigset_t set{};
  sigset_t previous{};
  std::atomic<int> received{0};
  std::thread waiter;
  explicit State(common::CancellationToken& t) : token(t) {}
};

SignalCancellation::SignalCancellation(common::CancellationToken& token)
    : state_(new State(token)) {
  sigemptyset(&state_->set);
  sigaddset(&state_->set, SIGINT);
  sigaddset(&state_->set, SIGTERM);
  sigaddset(&state_->set, SIGUSR2);  // used to wake the waiter on shutdown
  pthread_sigmask(SIG_BLOCK, &state_->set, &state_->previous);
  state_->waiter = std::thread([state = state_] {
    while (true) {
      int sig = 0;
      if (sigwait(&state->set, &sig) != 0) continue;
      if (sig == SIGUSR2) return;
      state->received.store(sig);
      state->token.Cancel();
    }
  });
}

SignalCancellation::~SignalCancellation() {
  pthread_kill(state_->waiter.native_handle(), SIGUSR2);
  state_->waiter.join();
  pthread_sigmask(SIG_SETMASK, &state_->previous, nullptr);
  delete state_;
}

int SignalCancellation::signal() const {
  return state_->received.load();
}

}  // namespace ac::cli
