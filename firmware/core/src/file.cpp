#include "gk/core/file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gk {

DocResult<std::string> read_regular_file(const std::filesystem::path& file, std::size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check refuses it next.
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0)
    return doc_error(DocCode::unreadable, file.string() + ": cannot open: " + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return doc_error(DocCode::unreadable, file.string() + ": cannot stat: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return doc_error(DocCode::unreadable, file.string() + ": not a regular file");
  if (static_cast<std::uintmax_t>(st.st_size) > max_bytes)
    return doc_error(DocCode::too_large,
                     file.string() + ": larger than " + std::to_string(max_bytes) + " bytes");
  std::string out(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t got = 0;
  for (;;) {
    if (got == out.size()) {
      if (out.size() > max_bytes)
        return doc_error(DocCode::too_large, file.string() + ": grew past " +
                                                 std::to_string(max_bytes) + " bytes while read");
      out.resize(std::min(out.size() * 2, max_bytes + 1));
    }
    const ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0)
      return doc_error(DocCode::unreadable, file.string() + ": read: " + std::strerror(errno));
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace gk
