#include "gk/gated/card_poller.hpp"

#include <boost/asio/post.hpp>

namespace gk {

CardPoller::CardPoller(boost::asio::io_context& io, hal::CardReader& reader,
                       std::chrono::milliseconds interval, Handler on_poll)
    : io_(io),
      reader_(reader),
      interval_(interval),
      on_poll_(std::make_shared<Handler>(std::move(on_poll))) {}

CardPoller::~CardPoller() {
  stop();
  on_poll_.reset();  // handlers still queued on the loop find it gone
}

void CardPoller::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void CardPoller::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CardPoller::loop() {
  const std::weak_ptr<Handler> handler = on_poll_;
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    next = std::chrono::steady_clock::now() + interval_;
    auto result = reader_.poll();
    boost::asio::post(io_, [handler, result = std::move(result)]() mutable {
      if (auto h = handler.lock()) (*h)(std::move(result));
    });
  }
}

}  // namespace gk
