#pragma once
// One server-sent-events hub per listener that streams (the kiosk screen's /events, the
// guard console's feed): the owner publishes events; each client connected to the stream
// gets them in order, in its own bounded queue.
//
// Budgets: at most max_streams clients, at most max_streams_per_source from one address.
// The kiosk's own browser (127.0.0.1, ::1) has priority: when the hub is full it takes the
// place of the oldest stream held by any other address, so streams held open by a LAN host
// can never lock the kiosk page out of its own screen. A client that falls max_queued events
// behind is dropped (its browser reconnects and starts from the latest state).
#include <utility>
// clang-format off
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
// clang-format on
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gk::net {

using Frame = std::shared_ptr<const std::string>;

// "event: <name>\n" then one "data:" line per line of `json` (a multi-line document cannot end
// the event early or inject fields), then a blank line. Throws std::invalid_argument for a
// name that is not letters, digits, '_', '-', '.' (1 to 64 of them).
std::string sse_frame(std::string_view name, std::string_view json);

struct HubLimits {
  bool replay_latest = false;  // a new client first gets the latest event of each name
  std::size_t max_streams = 16;
  std::size_t max_streams_per_source = 4;  // the kiosk's own address is exempt
  std::size_t max_queued = 64;
};

class EventHub {
  struct State;

 public:
  // One client's place in the hub; the listener's session writes what it takes from here.
  class Stream {
   public:
    Stream(std::shared_ptr<State> hub, boost::asio::any_io_executor ex, std::string peer,
           bool kiosk_local);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    // Frames waiting to be written, in order; empties the queue.
    std::vector<Frame> take();
    void push(Frame f);  // queues (or ends the stream when it is too far behind)
    void end();          // the hub dropped it (evicted, too far behind, hub closed)
    bool ended() const { return ended_; }
    // Wakes when something is queued or the stream ends; the session waits on it.
    boost::asio::steady_timer wake;

   private:
    friend class EventHub;
    std::shared_ptr<State> hub_;
    std::string peer_;
    bool kiosk_local_;
    bool ended_ = false;
    std::deque<Frame> queue_;
  };

  explicit EventHub(HubLimits limits = {});
  ~EventHub();  // ends every stream
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // To every stream; remembered as the latest of its name when replay_latest.
  void publish(std::string_view name, std::string_view json);
  // A new stream for a client, or null when its budget is spent (answer 503).
  std::shared_ptr<Stream> open(boost::asio::any_io_executor ex, const std::string& peer,
                               bool kiosk_local);

  std::size_t streams() const;
  std::uint64_t refused() const;  // open() answered null
  std::uint64_t evicted() const;  // streams ended to make room for the kiosk's own browser
  std::uint64_t dropped() const;  // streams ended for falling behind

 private:
  std::shared_ptr<State> state_;
};

}  // namespace gk::net
