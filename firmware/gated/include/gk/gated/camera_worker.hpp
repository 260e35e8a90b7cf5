#pragma once
// Captures and decodes camera frames on threads of their own and hands each result to the
// event loop, as CardPoller does for the card reader.
//
// Why threads: a full read of a 1080p frame takes tens of milliseconds (ZBar's pass more),
// and on the event loop that delays the relay's pulse timer, the door watch, the servers, sync
// and the systemd watchdog by as much (tests/bench/camera: bench_loop). Two threads, because
// a camera delivers frames at its own pace whatever the decoder does: the capture thread
// keeps only the latest frame in a one-frame mailbox, the decode thread takes whatever is
// newest when it is free. The latest frame wins and nothing queues, so a slow read never
// makes the kiosk answer to a scene that has already left. The camera object is touched by
// the capture thread only (from start() until stop()); the decoder by the decode thread only;
// results cross to the loop by boost::asio::post, so every decision still runs on the loop.

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio/io_context.hpp>
// clang-format on
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <opencv2/core/mat.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gk/camera/qr_decoder.hpp"
#include "gk/hal/devices.hpp"

namespace gk {

// What the loop hears from the camera: every capture (its error, for the device watch) and,
// separately, every decoded frame that carried codes.
struct CameraCapture {
  hal::DeviceError error = hal::DeviceError::none;
  bool fault = false;  // the camera's own verdict on `error` (Camera::is_fault)
};
struct CameraCodes {
  std::vector<std::string> texts;
  std::chrono::steady_clock::time_point captured;  // when the frame left the camera
  std::uint64_t frame = 0;                         // its number, from 1
};

class CameraWorker {
 public:
  using CaptureHandler = std::function<void(CameraCapture)>;
  using CodesHandler = std::function<void(CameraCodes)>;

  // Handlers run on `io`'s thread. Captures are `interval` apart, start to start (the
  // camera's frame period; a V4L2 source that blocks until its next frame can take 0).
  CameraWorker(boost::asio::io_context& io, hal::Camera& camera, std::chrono::milliseconds interval,
               CaptureHandler on_capture, CodesHandler on_codes);
  // Stops both threads; a capture or decode in progress is waited for. Results already
  // posted but not yet run are dropped.
  ~CameraWorker();
  CameraWorker(const CameraWorker&) = delete;
  CameraWorker& operator=(const CameraWorker&) = delete;

  void start();
  void stop();

  // A copy of the latest captured frame (the guard console's photo of an entrant); empty
  // before the first frame. Any thread.
  cv::Mat latest_frame() const;
  // Frames captured and frames decoded so far (decoded <= captured: the rest were
  // overtaken by newer frames while the decoder was busy). Any thread.
  std::uint64_t captured() const;
  std::uint64_t decoded() const;

 private:
  void capture_loop();
  void decode_loop();

  boost::asio::io_context& io_;
  hal::Camera& camera_;
  std::chrono::milliseconds interval_;
  camera::QrDecoder decoder_;  // the decode thread's alone
  // Shared with the handlers posted to the loop: they run only while the worker lives.
  std::shared_ptr<CaptureHandler> on_capture_;
  std::shared_ptr<CodesHandler> on_codes_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;  // stop, or a new frame for the decoder
  bool stopping_ = false;         // guarded by mutex_
  // The mailbox, guarded by mutex_: the newest frame, its number and capture time.
  cv::Mat latest_;
  std::uint64_t latest_number_ = 0;
  std::uint64_t taken_ = 0;  // the number of the frame the decoder took last
  const bool scenes_ = camera_.frames_are_scenes();  // read once: no frame is overtaken
  std::chrono::steady_clock::time_point latest_at_;
  std::uint64_t decoded_ = 0;
  std::thread capture_thread_;
  std::thread decode_thread_;
};

}  // namespace gk
