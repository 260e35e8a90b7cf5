#pragma once
// Supervised asynchronous work. Boost 1.74's co_spawn(..., detached) throws an exception
// away with the coroutine: the sync loop once died that way and nothing ever said so. Every
// long-lived coroutine of gated is started with spawn() instead: when it throws, the failure
// handler is told which task and which step failed and why (the daemon logs it, counts it in
// gate_task_failures_total and raises the task_failed alarm), and the task is started again
// after a backoff that doubles up to a maximum. A task that returns normally is done.
//
// The step: a task that knows where it is (the sync client's round: time, revocations,
// site_state, trust_list, enrolment, journal) throws a StepError, or wraps what it calls
// with in_step(); anything else is reported with the step "-".
// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace gk::service {

// An exception that names the step it escaped from.
class StepError : public std::runtime_error {
 public:
  StepError(std::string step, const std::string& what)
      : std::runtime_error(what), step_(std::move(step)) {}
  const std::string& step() const { return step_; }

 private:
  std::string step_;
};

struct TaskFailure {
  std::string task;  // e.g. "sync"
  std::string step;  // e.g. "journal"; "-" when the task did not say
  std::string what;  // the exception's message
  int failures = 0;  // in a row, this one included
  std::chrono::milliseconds restart_in{0};
};
using TaskFailureHandler = std::function<void(const TaskFailure&)>;

struct Backoff {
  std::chrono::milliseconds first{1000};
  std::chrono::milliseconds max{60'000};
};

// The handle of a supervised task: stop() ends restarts (the coroutine itself is stopped by
// its owner, e.g. by cancelling its timer). Destroying the handle stops it too.
class Supervised {
 public:
  struct State;
  explicit Supervised(std::shared_ptr<State> s) : state_(std::move(s)) {}
  ~Supervised() { stop(); }
  Supervised(const Supervised&) = delete;
  Supervised& operator=(const Supervised&) = delete;
  void stop();
  int failures() const;
  // The task worked again (a sync round succeeded): the next failure backs off from the start.
  void healthy();

 private:
  std::shared_ptr<State> state_;
};

struct Supervised::State : std::enable_shared_from_this<Supervised::State> {
  boost::asio::any_io_executor executor;
  std::string task;
  std::function<boost::asio::awaitable<void>()> make;
  TaskFailureHandler on_failure;
  Backoff backoff;
  boost::asio::steady_timer timer;
  bool stopped = false;
  int failures = 0;  // in a row

  State(boost::asio::any_io_executor ex, std::string t,
        std::function<boost::asio::awaitable<void>()> m, TaskFailureHandler h, Backoff b)
      : executor(ex),
        task(std::move(t)),
        make(std::move(m)),
        on_failure(std::move(h)),
        backoff(b),
        timer(ex) {}

  void launch() {
    if (stopped) return;
    boost::asio::co_spawn(executor, make(),
                          [self = shared_from_this()](std::exception_ptr e) { self->ended(e); });
  }

  void ended(std::exception_ptr e) {
    if (!e || stopped) return;  // done, or stopped on purpose
    TaskFailure f;
    f.task = task;
    f.step = "-";
    try {
      std::rethrow_exception(e);
    } catch (const StepError& x) {
      f.step = x.step();
      f.what = x.what();
    } catch (const std::exception& x) {
      f.what = x.what();
    } catch (...) {
      f.what = "non-standard exception";
    }
    ++failures;
    auto delay = backoff.first;
    for (int i = 1; i < failures && delay < backoff.max; ++i) delay *= 2;
    f.restart_in = std::min(delay, backoff.max);
    f.failures = failures;
    if (on_failure) {
      try {
        on_failure(f);
      } catch (...) {  // the reporter must not take the supervisor down with it
      }
    }
    timer.expires_after(f.restart_in);
    timer.async_wait([self = shared_from_this()](const boost::system::error_code& ec) {
      if (!ec) self->launch();
    });
  }
};

inline void Supervised::stop() {
  if (!state_) return;
  state_->stopped = true;
  state_->timer.cancel();
}
inline int Supervised::failures() const {
  return state_ ? state_->failures : 0;
}
inline void Supervised::healthy() {
  if (state_) state_->failures = 0;
}

// Starts `make()` (a function returning a fresh awaitable<void> each time) on `executor`,
// supervised as described above. A loop that never returns cannot "succeed": it calls
// healthy() on its handle when it works again, so the next failure backs off from the start.
inline std::unique_ptr<Supervised> spawn(boost::asio::any_io_executor executor, std::string task,
                                         std::function<boost::asio::awaitable<void>()> make,
                                         TaskFailureHandler on_failure, Backoff backoff = {}) {
  auto state = std::make_shared<Supervised::State>(executor, std::move(task), std::move(make),
                                                   std::move(on_failure), backoff);
  state->launch();
  return std::make_unique<Supervised>(state);
}

// Runs `body` and rethrows whatever it throws as a StepError naming `step` (a StepError from
// deeper down keeps its own step).
template <class F>
auto in_step(const std::string& step, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const StepError&) {
    throw;
  } catch (const std::exception& e) {
    throw StepError(step, e.what());
  }
}

}  // namespace gk::service
