#pragma once
// Polls the card reader on a thread of its own and hands each result to the event loop.
//
// Why a thread: libnfc's calls are synchronous. A healthy PN532 answers a poll in a few
// milliseconds, but one that stops answering holds each poll for its timeouts (about 1.5 s
// with pn532_uart), and on the event loop that would stall the camera, the door watch, the
// servers and the systemd watchdog with it. The reader object is touched by this thread only
// (from start() until stop()); results cross to the loop by boost::asio::post, so everything
// that decides a passage still runs on the loop's thread.

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
// clang-format on
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "gk/hal/devices.hpp"

namespace gk {

class CardPoller {
 public:
  using Handler = std::function<void(hal::DeviceResult<hal::CardTap>)>;

  // `on_poll` runs on `io`'s thread for every poll, a tap or an error (not_present included,
  // so that a watcher sees the reader working). Polls are `interval` apart, start to start,
  // or back to back when one poll takes longer.
  CardPoller(boost::asio::io_context& io, hal::CardReader& reader,
             std::chrono::milliseconds interval, Handler on_poll);
  // Stops the thread; a poll in progress is waited for (bounded by the reader's timeouts).
  // Results already posted but not yet run are dropped.
  ~CardPoller();
  CardPoller(const CardPoller&) = delete;
  CardPoller& operator=(const CardPoller&) = delete;

  void start();
  void stop();

 private:
  void loop();

  boost::asio::io_context& io_;
  hal::CardReader& reader_;
  std::chrono::milliseconds interval_;
  // Shared with the handlers posted to the loop: they run only while the poller lives.
  std::shared_ptr<Handler> on_poll_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace gk
