#include "gk/camera/v4l2_camera.hpp"

#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "gk/camera/frame_source.hpp"
#include "gk/camera/image_file.hpp"

namespace gk::camera {
namespace {

int xioctl(int fd, unsigned long request, void* arg) {
  int r;
  do r = ::ioctl(fd, request, arg);
  while (r == -1 && errno == EINTR);
  return r;
}

std::string errno_text(const char* what) {
  return std::string(what) + ": " + std::strerror(errno);
}

std::string fourcc(std::uint32_t f) {
  std::string s(4, ' ');
  for (int i = 0; i < 4; ++i)
    s[static_cast<std::size_t>(i)] = static_cast<char>((f >> (8 * i)) & 0xFF);
  return s;
}

}  // namespace

// One open device streaming into mmap'd buffers; the destructor stops the stream, unmaps the
// buffers and closes the descriptor, in that order.
struct V4l2Camera::Stream {
  struct Mapping {
    void* start = MAP_FAILED;
    std::size_t length = 0;
  };
  int fd = -1;
  std::vector<Mapping> buffers;
  bool streaming = false;
  std::uint32_t pixelformat = 0;
  int width = 0, height = 0, bytes_per_line = 0;

  ~Stream() {
    if (streaming) {
      v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      xioctl(fd, VIDIOC_STREAMOFF, &type);
    }
    for (auto& b : buffers)
      if (b.start != MAP_FAILED) ::munmap(b.start, b.length);
    if (fd >= 0) ::close(fd);
  }

  // Empty on success, else why the device cannot stream.
  std::string start(const std::string& path, const V4l2Options& o) {
    fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return errno_text("open");
    v4l2_capability cap{};
    if (xioctl(fd, VIDIOC_QUERYCAP, &cap) == -1) return errno_text("not a V4L2 device (QUERYCAP)");
    const std::uint32_t caps =
        (cap.capabilities & V4L2_CAP_DEVICE_CAPS) ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE)) return "not a video capture device";
    if (!(caps & V4L2_CAP_STREAMING)) return "the device does not support streaming I/O";

    std::vector<std::uint32_t> offered;
    v4l2_fmtdesc d{};
    d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    for (d.index = 0; xioctl(fd, VIDIOC_ENUM_FMT, &d) == 0; ++d.index)
      offered.push_back(d.pixelformat);
    auto has = [&](std::uint32_t f) {
      return std::find(offered.begin(), offered.end(), f) != offered.end();
    };
    auto use = [&](std::uint32_t want) {  // true when the driver took the format
      if (!has(want)) return false;
      v4l2_format f{};
      f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      f.fmt.pix.width = static_cast<std::uint32_t>(o.width);
      f.fmt.pix.height = static_cast<std::uint32_t>(o.height);
      f.fmt.pix.pixelformat = want;
      f.fmt.pix.field = V4L2_FIELD_NONE;
      if (xioctl(fd, VIDIOC_S_FMT, &f) == -1 || f.fmt.pix.pixelformat != want) return false;
      pixelformat = want;
      width = static_cast<int>(f.fmt.pix.width);
      height = static_cast<int>(f.fmt.pix.height);
      bytes_per_line = static_cast<int>(f.fmt.pix.bytesperline);
      return true;
    };
    // YUYV at a size well below the one asked for (USB 2 bandwidth): MJPEG gives the size,
    // and the smaller YUYV is the fallback when MJPEG does not work out.
    const bool ok = use(V4L2_PIX_FMT_GREY) ||
                    (use(V4L2_PIX_FMT_YUYV) && !(width < o.width && has(V4L2_PIX_FMT_MJPEG))) ||
                    use(V4L2_PIX_FMT_MJPEG) || use(V4L2_PIX_FMT_YUYV);
    if (!ok) {
      std::string listed;
      for (auto f : offered) listed += " " + fourcc(f);
      return "no GREY, YUYV or MJPG format the driver accepts (it offers:" + listed + ")";
    }

    v4l2_requestbuffers req{};
    req.count = o.buffers;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(fd, VIDIOC_REQBUFS, &req) == -1) return errno_text("REQBUFS (mmap)");
    if (req.count < 2) return "the driver granted fewer than 2 capture buffers";
    buffers.resize(req.count);
    for (std::uint32_t i = 0; i < req.count; ++i) {
      v4l2_buffer b{};
      b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
      b.memory = V4L2_MEMORY_MMAP;
      b.index = i;
      if (xioctl(fd, VIDIOC_QUERYBUF, &b) == -1) return errno_text("QUERYBUF");
      buffers[i].length = b.length;
      buffers[i].start =
          ::mmap(nullptr, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, b.m.offset);
      if (buffers[i].start == MAP_FAILED) return errno_text("mmap");
      if (xioctl(fd, VIDIOC_QBUF, &b) == -1) return errno_text("QBUF");
    }
    v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(fd, VIDIOC_STREAMON, &type) == -1) return errno_text("STREAMON");
    streaming = true;
    return {};
  }
};

V4l2Camera::V4l2Camera(std::string device, V4l2Options options)
    : device_(std::move(device)), options_(options) {
  if (!device_.empty() && std::all_of(device_.begin(), device_.end(), ::isdigit))
    device_ = "/dev/video" + device_;
}

V4l2Camera::~V4l2Camera() = default;

std::string V4l2Camera::describe() const {
  std::string d = "v4l2:" + device_;
  if (stream_)
    d += " " + fourcc(stream_->pixelformat) + " " + std::to_string(stream_->width) + "x" +
         std::to_string(stream_->height);
  return d;
}

bool V4l2Camera::open() {
  auto s = std::make_unique<Stream>();
  std::string why = s->start(device_, options_);
  if (!why.empty()) {
    error_ = device_ + ": " + why;
    return false;
  }
  stream_ = std::move(s);
  error_.clear();
  return true;
}

hal::DeviceResult<hal::GreyView> V4l2Camera::next_frame() {
  if (!stream_ && !open()) return hal::DeviceError::not_present;
  Stream& s = *stream_;
  pollfd p{s.fd, POLLIN, 0};
  int ready;
  do ready = ::poll(&p, 1, options_.frame_timeout_ms);
  while (ready == -1 && errno == EINTR);
  if (ready == 0) {
    error_ = device_ + ": no frame within " + std::to_string(options_.frame_timeout_ms) + " ms";
    return hal::DeviceError::timeout;
  }
  v4l2_buffer b{};
  b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
  b.memory = V4L2_MEMORY_MMAP;
  if (ready < 0 || (p.revents & (POLLERR | POLLHUP)) || xioctl(s.fd, VIDIOC_DQBUF, &b) == -1) {
    if (ready > 0 && errno == EAGAIN) return hal::DeviceError::timeout;
    // Unplugged (ENODEV) or broken: drop the stream; the next call opens the device again.
    error_ = device_ + ": " + (ready < 0 ? errno_text("poll") : errno_text("DQBUF"));
    stream_.reset();
    return hal::DeviceError::not_present;
  }
  std::string why;
  if (b.index >= s.buffers.size()) {
    why = "the driver returned an unknown buffer";
  } else if (b.flags & V4L2_BUF_FLAG_ERROR) {
    why = "the driver flagged the frame as corrupt";
  } else {
    const std::span<const std::uint8_t> frame(
        static_cast<const std::uint8_t*>(s.buffers[b.index].start),
        std::min<std::size_t>(b.bytesused, s.buffers[b.index].length));
    if (s.pixelformat == V4L2_PIX_FMT_YUYV)
      why = yuyv_to_grey(frame, s.width, s.height, s.bytes_per_line, grey_);
    else if (s.pixelformat == V4L2_PIX_FMT_GREY)
      why = grey_frame(frame, s.width, s.height, s.bytes_per_line, grey_);
    else
      why = mjpeg_to_grey(frame, s.width, s.height, grey_);
  }
  // The frame is ours (grey_); the buffer goes straight back to the driver.
  if (b.index < s.buffers.size() && xioctl(s.fd, VIDIOC_QBUF, &b) == -1) {
    error_ = device_ + ": " + errno_text("QBUF");
    stream_.reset();
    return hal::DeviceError::not_present;
  }
  if (!why.empty()) {
    error_ = device_ + ": " + why;
    return hal::DeviceError::io;
  }
  return view_of(grey_);
}

std::string yuyv_to_grey(std::span<const std::uint8_t> frame, int width, int height,
                         int bytes_per_line, cv::Mat& out) {
  if (width <= 0 || height <= 0) return "empty frame size";
  const std::size_t row = static_cast<std::size_t>(std::max(bytes_per_line, 2 * width));
  if (frame.size() <
      row * static_cast<std::size_t>(height - 1) + 2 * static_cast<std::size_t>(width))
    return "YUYV frame of " + std::to_string(frame.size()) + " bytes is short for " +
           std::to_string(width) + "x" + std::to_string(height);
  out.create(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* in = frame.data() + row * static_cast<std::size_t>(y);
    std::uint8_t* o = out.ptr(y);
    for (int x = 0; x < width; ++x) o[x] = in[2 * x];  // Y0 U Y1 V: luma at even bytes
  }
  return {};
}

std::string grey_frame(std::span<const std::uint8_t> frame, int width, int height,
                       int bytes_per_line, cv::Mat& out) {
  if (width <= 0 || height <= 0) return "empty frame size";
  const std::size_t row = static_cast<std::size_t>(std::max(bytes_per_line, width));
  if (frame.size() < row * static_cast<std::size_t>(height - 1) + static_cast<std::size_t>(width))
    return "GREY frame of " + std::to_string(frame.size()) + " bytes is short for " +
           std::to_string(width) + "x" + std::to_string(height);
  out.create(height, width, CV_8UC1);
  for (int y = 0; y < height; ++y)
    std::memcpy(out.ptr(y), frame.data() + row * static_cast<std::size_t>(y),
                static_cast<std::size_t>(width));
  return {};
}

std::string mjpeg_to_grey(std::span<const std::uint8_t> frame, int width, int height,
                          cv::Mat& out) {
  if (frame.size() < 4 || frame[0] != 0xFF || frame[1] != 0xD8)
    return "MJPEG frame does not start with a JPEG marker";
  return decode_jpeg_grey(frame, out, width, height);
}

}  // namespace gk::camera
