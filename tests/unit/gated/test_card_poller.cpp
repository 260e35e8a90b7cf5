// The card poller: the reader is polled on a thread of its own, so a reader stuck in a
// blocking call (libnfc waiting out its timeouts) leaves the event loop running, and every
// result is handled on the loop's thread. No sleeps decide anything here: the stuck reader is
// held until the test releases it, so a loop that waited on it could never get to the timer.
#include <catch2/catch.hpp>

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "gk/gated/card_poller.hpp"
#include "gk/hal/sim_devices.hpp"
#include "gk_run_until.hpp"

using namespace std::chrono_literals;
namespace hal = gk::hal;

using gk::test::run_until;

namespace {

// A reader whose polls block until the test lets each one finish (as a PN532 that stopped
// answering holds libnfc for its timeouts), then report a tap or a timeout.
class StuckReader final : public hal::CardReader {
 public:
  hal::DeviceResult<hal::CardTap> poll() override {
    std::unique_lock lock(mutex_);
    ++entered_;
    entered_cv_.notify_all();
    release_cv_.wait(lock, [&] { return released_ > 0 || unstuck_; });
    if (released_ > 0) --released_;
    if (tap_next_) {
      hal::CardTap tap;
      tap.uid = {0x04, static_cast<std::uint8_t>(entered_)};
      return tap;
    }
    return hal::DeviceError::timeout;
  }
  std::string describe() const override { return "stuck reader"; }

  void wait_entered(int n) {
    std::unique_lock lock(mutex_);
    REQUIRE(entered_cv_.wait_for(lock, 20s, [&] { return entered_ >= n; }));
  }
  void release(bool tap) {
    std::lock_guard lock(mutex_);
    tap_next_ = tap;
    ++released_;
    release_cv_.notify_all();
  }
  void unstick() {  // every poll from now on returns at once
    std::lock_guard lock(mutex_);
    unstuck_ = true;
    release_cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_cv_, release_cv_;
  int entered_ = 0;
  int released_ = 0;
  bool tap_next_ = false;
  bool unstuck_ = false;
};

}  // namespace

TEST_CASE("a stuck card reader does not hold up the event loop", "[gated][nfc]") {
  boost::asio::io_context io;
  StuckReader reader;
  std::vector<hal::DeviceResult<hal::CardTap>> results;
  std::vector<std::thread::id> handled_on;
  gk::CardPoller poller(io, reader, 1ms, [&](hal::DeviceResult<hal::CardTap> r) {
    results.push_back(std::move(r));
    handled_on.push_back(std::this_thread::get_id());
  });
  poller.start();
  reader.wait_entered(1);  // the first poll is stuck in the reader

  // The loop goes on: a timer (the camera's, the door watch's) fires again and again.
  int ticks = 0;
  boost::asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    timer.expires_after(1ms);
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec && ++ticks < 5) tick();
    });
  };
  tick();
  REQUIRE(run_until(io, [&] { return ticks >= 5; }));
  CHECK(results.empty());

  reader.release(false);  // the poll times out: the loop hears of it
  REQUIRE(run_until(io, [&] { return results.size() == 1; }));
  CHECK(std::get<hal::DeviceError>(results[0]) == hal::DeviceError::timeout);
  reader.wait_entered(2);
  reader.release(true);  // a card: handed to the loop with its UID
  REQUIRE(run_until(io, [&] { return results.size() == 2; }));
  REQUIRE(hal::has_value(results[1]));
  CHECK(std::get<hal::CardTap>(results[1]).uid == std::vector<std::uint8_t>{0x04, 2});
  for (const auto& id : handled_on) CHECK(id == std::this_thread::get_id());

  reader.wait_entered(3);
  std::thread releaser([&] { reader.unstick(); });  // stop() waits for the poll under way
  poller.stop();
  releaser.join();
}

TEST_CASE("results still queued when the poller goes are dropped, not run", "[gated][nfc]") {
  boost::asio::io_context io;
  StuckReader reader;
  int handled = 0;
  {
    gk::CardPoller poller(io, reader, 1ms, [&](hal::DeviceResult<hal::CardTap>) { ++handled; });
    poller.start();
    reader.wait_entered(1);
    reader.release(true);    // a tap, posted to the loop...
    reader.wait_entered(2);  // ...before the next poll began
    std::thread releaser([&] { reader.unstick(); });
    poller.stop();
    releaser.join();
  }
  io.poll();  // the loop runs only after the poller is gone
  CHECK(handled == 0);
}

TEST_CASE("the sim reader's taps come through in order, not_present between them", "[gated][nfc]") {
  boost::asio::io_context io;
  hal::SimCardReader reader;
  for (std::uint8_t i = 1; i <= 3; ++i) {
    hal::CardTap tap;
    tap.uid = {0x04, i};
    reader.tap(tap);
  }
  reader.fail_next(hal::DeviceError::io);
  std::vector<hal::DeviceResult<hal::CardTap>> results;
  gk::CardPoller poller(
      io, reader, 1ms, [&](hal::DeviceResult<hal::CardTap> r) { results.push_back(std::move(r)); });
  poller.start();
  REQUIRE(run_until(io, [&] { return results.size() >= 5; }));
  poller.stop();
  for (std::uint8_t i = 0; i < 3; ++i) {
    REQUIRE(hal::has_value(results[i]));
    CHECK(std::get<hal::CardTap>(results[i]).uid ==
          std::vector<std::uint8_t>{0x04, static_cast<std::uint8_t>(i + 1)});
  }
  CHECK(std::get<hal::DeviceError>(results[3]) == hal::DeviceError::io);
  CHECK(std::get<hal::DeviceError>(results[4]) == hal::DeviceError::not_present);
}
