#include "gk/gated/camera_worker.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <opencv2/core.hpp>

namespace gk {
namespace {

// The capture and decode threads yield to the event loop: on Linux a thread's nice value is
// its own (setpriority on its thread id), so the scheduler prefers the loop's timers (the relay
// pulse, the door watch, the watchdog) to another slice of decoding. (SCHED_IDLE was tried: on
// the loaded development machine the loop's lateness got worse, not better.) Best effort: a
// refusal leaves the thread at the loop's priority.
constexpr int kBelowLoop = 10;
void yield_to_loop() {
  const auto tid = static_cast<id_t>(::gettid());
  errno = 0;
  const int now = ::getpriority(PRIO_PROCESS, tid);
  if (errno == 0) (void)::setpriority(PRIO_PROCESS, tid, std::min(19, now + kBelowLoop));
}

}  // namespace

CameraWorker::CameraWorker(boost::asio::io_context& io, hal::Camera& camera,
                           std::chrono::milliseconds interval, CaptureHandler on_capture,
                           CodesHandler on_codes)
    : io_(io),
      camera_(camera),
      interval_(interval),
      on_capture_(std::make_shared<CaptureHandler>(std::move(on_capture))),
      on_codes_(std::make_shared<CodesHandler>(std::move(on_codes))) {}

CameraWorker::~CameraWorker() {
  stop();
  on_capture_.reset();  // handlers still queued on the loop find them gone
  on_codes_.reset();
}

void CameraWorker::start() {
  if (capture_thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = false;
  }
  capture_thread_ = std::thread([this] { capture_loop(); });
  decode_thread_ = std::thread([this] { decode_loop(); });
}

void CameraWorker::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (capture_thread_.joinable()) capture_thread_.join();
  if (decode_thread_.joinable()) decode_thread_.join();
}

cv::Mat CameraWorker::latest_frame() const {
  std::lock_guard lock(mutex_);
  return latest_.clone();
}

std::uint64_t CameraWorker::captured() const {
  std::lock_guard lock(mutex_);
  return latest_number_;
}

std::uint64_t CameraWorker::decoded() const {
  std::lock_guard lock(mutex_);
  return decoded_;
}

void CameraWorker::capture_loop() {
  yield_to_loop();
  const std::weak_ptr<CaptureHandler> handler = on_capture_;
  auto next = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_until(lock, next, [this] { return stopping_; })) return;
    }
    next = std::chrono::steady_clock::now() + interval_;
    auto frame = camera_.next_frame();
    const auto at = std::chrono::steady_clock::now();
    CameraCapture c;
    if (hal::has_value(frame)) {
      const auto& v = std::get<hal::GreyView>(frame);
      const cv::Mat view(v.height, v.width, CV_8UC1, const_cast<std::uint8_t*>(v.data),
                         static_cast<std::size_t>(v.stride));
      {
        // Overwrites a frame the decoder has not taken yet: the latest frame wins. The copy
        // (a 1080p grey frame is 2 MB, a fraction of a millisecond) is what lets the camera
        // reuse its buffer at once; it goes into the mailbox's own buffer, no allocation.
        std::unique_lock lock(mutex_);
        // A spool's frames are passages: wait until the decoder has taken the previous one.
        if (scenes_) wake_.wait(lock, [this] { return stopping_ || taken_ == latest_number_; });
        if (stopping_) return;
        view.copyTo(latest_);
        ++latest_number_;
        latest_at_ = at;
      }
      wake_.notify_all();
    } else {
      c.error = std::get<hal::DeviceError>(frame);
    }
    c.fault = camera_.is_fault(c.error);
    boost::asio::post(io_, [handler, c] {
      if (auto h = handler.lock()) (*h)(c);
    });
  }
}

void CameraWorker::decode_loop() {
  yield_to_loop();
  const std::weak_ptr<CodesHandler> handler = on_codes_;
  std::uint64_t seen = 0;
  cv::Mat work;
  for (;;) {
    CameraCodes codes;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || latest_number_ != seen; });
      if (stopping_) return;
      latest_.copyTo(work);
      seen = codes.frame = taken_ = latest_number_;
      codes.captured = latest_at_;
    }
    wake_.notify_all();  // the capture thread may be waiting for the mailbox to empty
    // A still that is a scene of its own is seen once: the whole still cascade, not one turn
    // of the live path (which may need up to three frames of the same scene).
    const hal::GreyView view{work.data, work.cols, work.rows, static_cast<int>(work.step)};
    codes.texts = camera::texts(scenes_ ? decoder_.decode(view) : decoder_.decode_stream(view));
    {
      std::lock_guard lock(mutex_);
      ++decoded_;
    }
    if (codes.texts.empty()) continue;
    boost::asio::post(io_, [handler, codes = std::move(codes)]() mutable {
      if (auto h = handler.lock()) (*h)(std::move(codes));
    });
  }
}

}  // namespace gk
