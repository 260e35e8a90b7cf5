// The daemon's device watch: when a polled device counts as failed and as recovered, and the
// gauge the metrics show for it.
#include <catch2/catch.hpp>

#include "gk/gated/device_watch.hpp"
#include "gk/gated/metrics.hpp"

using gk::DeviceWatch;
using gk::hal::DeviceError;
using Change = DeviceWatch::Change;

TEST_CASE("a device fails after faults in a row, once, and recovers on the next good poll",
          "[gated][device]") {
  DeviceWatch w("card_reader", 3);
  CHECK(w.up());
  CHECK(w.observe(true, DeviceError::io) == Change::none);
  CHECK(w.observe(true, DeviceError::timeout) == Change::none);
  CHECK(w.observe(true, DeviceError::io) == Change::failed);
  CHECK_FALSE(w.up());
  CHECK(w.last_error() == DeviceError::io);
  // Reported once, however long it stays down.
  for (int i = 0; i < 10; ++i) CHECK(w.observe(true, DeviceError::timeout) == Change::none);
  CHECK(w.last_error() == DeviceError::timeout);
  CHECK(w.observe(false, DeviceError::not_present) == Change::recovered);
  CHECK(w.up());
  CHECK(w.observe(false, DeviceError::none) == Change::none);
}

TEST_CASE("scattered faults are noise, not a failed device", "[gated][device]") {
  DeviceWatch w("camera", 3);
  for (int i = 0; i < 100; ++i) {
    CHECK(w.observe(true, DeviceError::io) == Change::none);
    CHECK(w.observe(true, DeviceError::io) == Change::none);
    CHECK(w.observe(false, DeviceError::none) == Change::none);  // a good poll resets the count
  }
  CHECK(w.up());
}

TEST_CASE("metrics show each polled device as up or down", "[gated][device][metrics]") {
  gk::Metrics m;
  gk::MetricsSnapshot s;
  s.devices_up = {{"camera", true}, {"card_reader", false}};
  const std::string text = m.render(s);
  CHECK(text.find("# TYPE gate_device_up gauge\n") != std::string::npos);
  CHECK(text.find("\ngate_device_up{device=\"camera\"} 1\n") != std::string::npos);
  CHECK(text.find("\ngate_device_up{device=\"card_reader\"} 0\n") != std::string::npos);
}
