// The camera worker: frames are captured and decoded off the event loop, the decoder always
// takes the newest frame (nothing queues), and every result is handled on the loop's thread.
// No sleeps decide anything: the camera below counts its frames and the checks are about
// which frames were decoded, never about how fast.
#include <catch2/catch.hpp>

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
// clang-format on
#include <atomic>
#include <chrono>
#include <mutex>
#include <opencv2/imgproc.hpp>
#include <string>
#include <thread>
#include <vector>

#include "gk/camera/qr_render.hpp"
#include "gk/gated/camera_worker.hpp"

using namespace std::chrono_literals;
namespace hal = gk::hal;

namespace {

std::string text_of(std::uint64_t frame) {
  return "GK-FRAME-" + std::to_string(frame);
}

// A camera that shows frame k with a code carrying "GK-FRAME-k" on a noisy 640x480 scene,
// as fast as it is asked; after `faults_from` frames it times out instead.
class CountingCamera final : public hal::Camera {
 public:
  explicit CountingCamera(std::uint64_t faults_from = UINT64_MAX) : faults_from_(faults_from) {}
  hal::DeviceResult<hal::GreyView> next_frame() override {
    const std::uint64_t k = ++frames_;
    if (k >= faults_from_) return hal::DeviceError::timeout;
    frame_.create(480, 640, CV_8UC1);
    cv::randn(frame_, cv::Scalar(128), cv::Scalar(20));
    const cv::Mat code = gk::camera::render_qr_mat(text_of(k), 6, 4);
    code.copyTo(frame_(cv::Rect(100, 60, code.cols, code.rows)));
    return hal::GreyView{frame_.data, frame_.cols, frame_.rows, static_cast<int>(frame_.step)};
  }
  std::string describe() const override { return "counting"; }
  std::uint64_t frames() const { return frames_; }

 private:
  std::uint64_t faults_from_;
  std::atomic<std::uint64_t> frames_{0};
  cv::Mat frame_;
};

}  // namespace

TEST_CASE("camera worker: codes reach the loop's thread, from the frame they were read in",
          "[gated][camera]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  CountingCamera camera;
  std::vector<gk::CameraCodes> events;
  std::thread::id loop_thread;
  bool off_loop = false;
  gk::CameraWorker worker(
      io, camera, 0ms, [](gk::CameraCapture) {},
      [&](gk::CameraCodes c) {
        off_loop |= std::this_thread::get_id() != loop_thread;
        events.push_back(std::move(c));
        if (events.size() == 5) io.stop();
      });
  loop_thread = std::this_thread::get_id();
  worker.start();
  io.run();
  worker.stop();
  CHECK_FALSE(off_loop);
  REQUIRE(events.size() >= 5);
  std::uint64_t last = 0;
  for (const auto& e : events) {
    INFO("frame " << e.frame);
    REQUIRE(e.texts.size() == 1);
    CHECK(e.texts[0] == text_of(e.frame));  // the mailbox never mixes two frames
    CHECK(e.frame > last);                  // newer frames only, none twice
    last = e.frame;
  }
  // Nothing queues: every decode took the newest frame, so decoded frames are at most the
  // captured ones, and the events name frames the camera really delivered.
  CHECK(worker.decoded() <= worker.captured());
  CHECK(last <= camera.frames());
}

TEST_CASE("camera worker: the latest frame is there for the console, from any thread",
          "[gated][camera]") {
  boost::asio::io_context io;
  CountingCamera camera;
  gk::CameraWorker worker(
      io, camera, 1ms, [](gk::CameraCapture) {}, [](gk::CameraCodes) {});
  CHECK(worker.latest_frame().empty());
  worker.start();
  // Polls from this thread while the capture thread writes (ThreadSanitizer watches this).
  cv::Mat frame;
  while (frame.empty() || worker.captured() < 3) frame = worker.latest_frame();
  worker.stop();
  CHECK(frame.cols == 640);
  CHECK(frame.rows == 480);
}

TEST_CASE("camera worker: capture errors reach the loop with the camera's verdict",
          "[gated][camera]") {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  CountingCamera camera(3);  // two good frames, then timeouts
  std::vector<gk::CameraCapture> captures;
  gk::CameraWorker worker(
      io, camera, 0ms,
      [&](gk::CameraCapture c) {
        captures.push_back(c);
        if (captures.size() == 6) io.stop();
      },
      [](gk::CameraCodes) {});
  worker.start();
  io.run();
  worker.stop();
  REQUIRE(captures.size() >= 6);
  CHECK(captures[0].error == hal::DeviceError::none);
  CHECK_FALSE(captures[0].fault);
  CHECK(captures[1].error == hal::DeviceError::none);
  for (std::size_t i = 2; i < captures.size(); ++i) {
    CHECK(captures[i].error == hal::DeviceError::timeout);
    CHECK(captures[i].fault);  // Camera::is_fault's default: a timeout is the camera failing
  }
}

TEST_CASE("camera worker: stops with results still queued, and can be destroyed running",
          "[gated][camera]") {
  boost::asio::io_context io;
  CountingCamera camera;
  int handled = 0;
  {
    gk::CameraWorker worker(
        io, camera, 0ms, [&](gk::CameraCapture) { ++handled; },
        [&](gk::CameraCodes) { ++handled; });
    worker.start();
    while (camera.frames() < 3) std::this_thread::yield();
  }  // destroyed while running: both threads joined, queued handlers disarmed
  io.run();
  CHECK(handled == 0);
}
