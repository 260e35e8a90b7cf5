#pragma once
// The harness of an emulated serial device: a pseudo-terminal behind a link the host opens
// (as it would open /dev/ttyUSB0), an optional control FIFO whose lines script the device
// (place a card, inject a fault), and one loop serving both until SIGTERM or SIGINT.
// The device model itself (pn532-sim's chip, idreader-sim's module) stays in its tool.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "gk/hal/unique_fd.hpp"

namespace gk::serial_sim {

// One plugged-in device: the pty master, a slave held open by us (otherwise the master reads
// EIO whenever the host closes the port between two programs), raw mode so that no byte is
// translated, and the link the host opens.
class PtyLine {
 public:
  explicit PtyLine(std::string link) : link_(std::move(link)) {}
  ~PtyLine() { unplug(); }
  PtyLine(const PtyLine&) = delete;
  PtyLine& operator=(const PtyLine&) = delete;

  // False (errno set) when the pseudo-terminal or the link cannot be made.
  bool plug();
  // The link goes and the host's open slave reads a hang-up, as when a USB reader is pulled.
  void unplug();
  bool plugged() const { return master_.valid(); }
  int master() const { return master_.get(); }
  const std::string& link() const { return link_; }
  const std::string& slave_path() const { return slave_path_; }
  // Every byte, unless the host went away (then the rest is dropped, as on a real line).
  void write_all(const std::uint8_t* data, std::size_t n) const;

 private:
  std::string link_, slave_path_;
  hal::UniqueFd master_, slave_;
};

// The FIFO the tests write control lines to. Opened O_RDWR so that it never reports
// end-of-file when a writer goes away; removed again on destruction.
class ControlFifo {
 public:
  ControlFifo() = default;
  ~ControlFifo();
  ControlFifo(ControlFifo&&) = default;
  ControlFifo& operator=(ControlFifo&&) = default;
  // An empty path: no FIFO (valid() false). False (errno set) when it cannot be made.
  bool open(const std::string& path);
  bool valid() const { return fd_.valid(); }
  int fd() const { return fd_.get(); }
  // Reads what is there and calls `line` for every complete line.
  void read_lines(const std::function<void(std::string_view)>& line);

 private:
  std::string path_, pending_;
  hal::UniqueFd fd_;
};

// Serves until SIGTERM or SIGINT: `host` with each chunk the host wrote, `control` with each
// control line. With the line unplugged only the FIFO is served.
void serve(const PtyLine& line, ControlFifo& control,
           const std::function<void(const std::uint8_t*, std::size_t)>& host,
           const std::function<void(std::string_view)>& control_line);

}  // namespace gk::serial_sim
