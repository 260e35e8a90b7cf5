#pragma once
// Whether a polled device (the camera, the card reader) is working, from the results of its
// polls. A fault is what the device says is one (hal::Camera::is_fault; for the card reader
// a timeout or an I/O error: "no card in the field" is the normal answer). One fault is
// noise (a lost frame, a garbled reply the next poll retries); `fail_after` in a row is a
// failed device, reported once; the next good poll recovers it, reported once. The daemon
// journals the failure, raises the device_failed alarm and logs both changes, so an
// operator learns that residents can no longer pass here before they start phoning.
#include <string>

#include "gk/hal/devices.hpp"

namespace gk {

class DeviceWatch {
 public:
  enum class Change { none, failed, recovered };

  explicit DeviceWatch(std::string name, int fail_after = 5)
      : name_(std::move(name)), fail_after_(fail_after) {}

  Change observe(bool fault, hal::DeviceError error) {
    if (!fault) {
      faults_in_a_row_ = 0;
      if (!failed_) return Change::none;
      failed_ = false;
      return Change::recovered;
    }
    last_error_ = error;
    if (failed_ || ++faults_in_a_row_ < fail_after_) return Change::none;
    failed_ = true;
    return Change::failed;
  }

  const std::string& name() const { return name_; }
  bool up() const { return !failed_; }
  hal::DeviceError last_error() const { return last_error_; }

 private:
  std::string name_;
  int fail_after_;
  int faults_in_a_row_ = 0;
  bool failed_ = false;
  hal::DeviceError last_error_ = hal::DeviceError::none;
};

}  // namespace gk
