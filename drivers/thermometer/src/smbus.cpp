#include "gk/thermometer/smbus.hpp"

#include <fcntl.h>
#include <linux/i2c-dev.h>
#include <linux/i2c.h>
#include <sys/ioctl.h>

#include <cerrno>

namespace gk::thermometer {

std::uint8_t smbus_pec(const std::uint8_t* data, std::size_t size) {
  std::uint8_t crc = 0;
  for (std::size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int b = 0; b < 8; ++b)
      crc = static_cast<std::uint8_t>(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
  }
  return crc;
}

LinuxI2cBus::LinuxI2cBus(std::string device)
    : device_(std::move(device)), fd_(::open(device_.c_str(), O_RDWR | O_CLOEXEC)) {}

hal::DeviceResult<std::array<std::uint8_t, 3>> LinuxI2cBus::read_word(std::uint8_t address,
                                                                      std::uint8_t command) {
  if (!fd_) fd_.reset(::open(device_.c_str(), O_RDWR | O_CLOEXEC));  // a bus that came back
  if (!fd_) return hal::DeviceError::not_present;
  std::array<std::uint8_t, 3> in{};
  i2c_msg msgs[2] = {{address, 0, 1, &command}, {address, I2C_M_RD, 3, in.data()}};
  i2c_rdwr_ioctl_data xfer{msgs, 2};
  if (::ioctl(fd_.get(), I2C_RDWR, &xfer) < 0)
    return errno == ETIMEDOUT ? hal::DeviceError::timeout : hal::DeviceError::io;
  return in;
}

hal::DeviceError LinuxI2cBus::write_word(std::uint8_t address, std::uint8_t command,
                                         std::array<std::uint8_t, 3> lsb_msb_pec) {
  if (!fd_) return hal::DeviceError::not_present;
  std::uint8_t out[4] = {command, lsb_msb_pec[0], lsb_msb_pec[1], lsb_msb_pec[2]};
  i2c_msg msg{address, 0, 4, out};
  i2c_rdwr_ioctl_data xfer{&msg, 1};
  return ::ioctl(fd_.get(), I2C_RDWR, &xfer) < 0 ? hal::DeviceError::io : hal::DeviceError::none;
}

}  // namespace gk::thermometer
