#include "gk/net/event_hub.hpp"

#include <algorithm>
#include <stdexcept>

namespace gk::net {

struct EventHub::State {
  HubLimits limits;
  std::list<Stream*> streams;  // oldest first; a Stream removes itself when it dies
  std::vector<std::pair<std::string, Frame>> latest;  // per name, in first-publish order
  std::uint64_t refused = 0, evicted = 0, dropped = 0;
  bool closed = false;
};

namespace {
bool valid_event_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}
}  // namespace

std::string sse_frame(std::string_view name, std::string_view json) {
  if (!valid_event_name(name))
    throw std::invalid_argument("event hub: bad event name '" + std::string(name) + "'");
  std::string out;
  out.reserve(json.size() + name.size() + 24);
  out.append("event: ").append(name).append("\n");
  while (true) {
    auto nl = json.find('\n');
    auto line = json.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.append("data: ").append(line).append("\n");
    if (nl == std::string_view::npos) break;
    json.remove_prefix(nl + 1);
  }
  out.append("\n");
  return out;
}

EventHub::Stream::Stream(std::shared_ptr<State> hub, boost::asio::any_io_executor ex,
                         std::string peer, bool kiosk_local)
    : wake(std::move(ex)),
      hub_(std::move(hub)),
      peer_(std::move(peer)),
      kiosk_local_(kiosk_local) {}

EventHub::Stream::~Stream() {
  hub_->streams.remove(this);
}

std::vector<Frame> EventHub::Stream::take() {
  std::vector<Frame> out(queue_.begin(), queue_.end());
  queue_.clear();
  return out;
}

void EventHub::Stream::push(Frame f) {
  if (ended_) return;
  if (queue_.size() >= hub_->limits.max_queued) {
    ++hub_->dropped;
    return end();
  }
  queue_.push_back(std::move(f));
  wake.cancel();
}

void EventHub::Stream::end() {
  if (ended_) return;
  ended_ = true;
  queue_.clear();
  hub_->streams.remove(this);
  wake.cancel();
}

EventHub::EventHub(HubLimits limits) : state_(std::make_shared<State>()) {
  state_->limits = limits;
}

EventHub::~EventHub() {
  state_->closed = true;
  const auto streams = state_->streams;  // end() edits the list
  for (Stream* s : streams) s->end();
}

void EventHub::publish(std::string_view name, std::string_view json) {
  auto frame = std::make_shared<const std::string>(sse_frame(name, json));
  if (state_->limits.replay_latest) {
    auto it = std::find_if(state_->latest.begin(), state_->latest.end(),
                           [&](const auto& e) { return e.first == name; });
    if (it != state_->latest.end())
      it->second = frame;
    else
      state_->latest.emplace_back(std::string(name), frame);
  }
  const auto streams = state_->streams;  // push() may end a stream, which edits the list
  for (Stream* s : streams) s->push(frame);
}

std::shared_ptr<EventHub::Stream> EventHub::open(boost::asio::any_io_executor ex,
                                                 const std::string& peer, bool kiosk_local) {
  State& st = *state_;
  if (st.closed) return nullptr;
  if (!kiosk_local) {
    const auto same = std::count_if(st.streams.begin(), st.streams.end(),
                                    [&](const Stream* s) { return s->peer_ == peer; });
    if (static_cast<std::size_t>(same) >= st.limits.max_streams_per_source ||
        st.streams.size() >= st.limits.max_streams) {
      ++st.refused;
      return nullptr;
    }
  } else if (st.streams.size() >= st.limits.max_streams) {
    auto victim = std::find_if(st.streams.begin(), st.streams.end(),
                               [](const Stream* s) { return !s->kiosk_local_; });
    if (victim == st.streams.end()) {
      ++st.refused;
      return nullptr;
    }
    ++st.evicted;
    (*victim)->end();
  }
  auto s = std::make_shared<Stream>(state_, std::move(ex), peer, kiosk_local);
  st.streams.push_back(s.get());
  for (const auto& [name, frame] : st.latest) s->queue_.push_back(frame);
  return s;
}

std::size_t EventHub::streams() const {
  return state_->streams.size();
}
std::uint64_t EventHub::refused() const {
  return state_->refused;
}
std::uint64_t EventHub::evicted() const {
  return state_->evicted;
}
std::uint64_t EventHub::dropped() const {
  return state_->dropped;
}

}  // namespace gk::net
