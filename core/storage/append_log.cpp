#include "core/storage/append_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/crc.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

namespace sluice {
namespace {

constexpr char magic[8] = {'S', 'L', 'U', 'I', 'C', 'E', 'L', '1'};
constexpr std::size_t header_bytes = 16;        // magic, epoch
constexpr std::size_t record_head_bytes = 8;    // length, crc
constexpr std::size_t record_fixed_bytes = 17;  // offset, ts, kind
constexpr std::uint32_t max_record_bytes = 256u << 20;
constexpr std::string_view log_suffix = ".log";

void put(std::string& out, std::uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t get(const char* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= std::uint64_t{static_cast<unsigned char>(p[i])} << (8 * i);
  return v;
}

std::uint32_t crc_of(std::string_view body) {
  boost::crc_32_type crc;
  crc.process_bytes(body.data(), body.size());
  return crc.checksum();
}

// length | crc | offset | ts | kind | data (little endian)
std::string encode(const log_record& r) {
  std::string body;
  body.reserve(record_fixed_bytes + r.data.size());
  put(body, r.offset, 8);
  put(body, static_cast<std::uint64_t>(r.ts_ms), 8);
  put(body, r.kind, 1);
  body += r.data;
  std::string out;
  out.reserve(record_head_bytes + body.size());
  put(out, body.size(), 4);
  put(out, crc_of(body), 4);
  out += body;
  return out;
}

std::string header(std::uint64_t epoch) {
  std::string out{magic, sizeof magic};
  put(out, epoch, 8);
  return out;
}

std::string os_error(std::string_view what, const std::string& path) {
  return std::string{what}.append(" ").append(path).append(": ").append(std::strerror(errno));
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool read_file(int fd, std::string& out) {
  char buf[64 * 1024];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

// Parses records from `bytes` after the header; returns where the valid
// records end.
std::size_t parse_records(const std::string& bytes, std::vector<log_record>& out) {
  std::size_t at = header_bytes;
  while (bytes.size() - at >= record_head_bytes) {
    auto length = static_cast<std::uint32_t>(get(bytes.data() + at, 4));
    auto crc = static_cast<std::uint32_t>(get(bytes.data() + at + 4, 4));
    if (length < record_fixed_bytes || length > max_record_bytes ||
        bytes.size() - at - record_head_bytes < length)
      break;
    std::string_view body{bytes.data() + at + record_head_bytes, length};
    if (crc_of(body) != crc) break;
    log_record r;
    r.offset = get(body.data(), 8);
    r.ts_ms = static_cast<std::int64_t>(get(body.data() + 8, 8));
    r.kind = static_cast<std::uint8_t>(body[16]);
    r.data.assign(body.substr(record_fixed_bytes));
    if (!out.empty() && r.offset != out.back().offset + 1) break;  // not a continuation
    out.push_back(std::move(r));
    at += record_head_bytes + length;
  }
  return at;
}

}  // namespace

append_log::~append_log() {
  close();
}

append_log::append_log(append_log&& other) noexcept
    : files_(other.files_),
      file_(std::move(other.file_)),
      path_(std::move(other.path_)),
      records_(other.records_) {}

append_log& append_log::operator=(append_log&& other) noexcept {
  if (this != &other) {
    close();
    files_ = other.files_;
    file_ = std::move(other.file_);
    path_ = std::move(other.path_);
    records_ = other.records_;
  }
  return *this;
}

void append_log::close() {
  file_.reset();  // closes its descriptor, if the cache has it open
}

bool append_log::open(const std::string& path, std::uint64_t new_epoch, opened& out,
                      std::string& error) {
  close();
  path_ = path;
  out = {};
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = os_error("cannot open", path);
    return false;
  }
  std::string bytes;
  if (!read_file(fd, bytes)) {
    error = os_error("cannot read", path);
    ::close(fd);
    return false;
  }
  bool fresh = bytes.empty();
  if (!fresh && (bytes.size() < header_bytes || std::memcmp(bytes.data(), magic, 8) != 0)) {
    // Not a log we can read from the start: keep it for inspection, start anew.
    ::close(fd);
    auto aside = path + ".corrupt";
    if (std::rename(path.c_str(), aside.c_str()) != 0) {
      error = os_error("cannot set aside", path);
      return false;
    }
    out.reset_reason = "unreadable header; the file was renamed to " + aside;
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      error = os_error("cannot create", path);
      return false;
    }
    fresh = true;
  }
  if (fresh) {
    if (!write_all(fd, header(new_epoch)) || ::fdatasync(fd) != 0) {
      error = os_error("cannot write", path);
      ::close(fd);
      return false;
    }
    out.epoch = new_epoch;
  } else {
    out.epoch = get(bytes.data() + 8, 8);
    auto end = parse_records(bytes, out.records);
    if (end < bytes.size()) {
      out.truncated_bytes = bytes.size() - end;
      if (::ftruncate(fd, static_cast<off_t>(end)) != 0 || ::fdatasync(fd) != 0) {
        error = os_error("cannot truncate", path);
        ::close(fd);
        return false;
      }
    }
  }
  ::close(fd);  // opened again, for appending, when the log is written
  file_ = files_->add(path);
  records_ = out.records.size();
  return true;
}

bool append_log::append(const log_record& record, bool sync_now, std::string& error) {
  auto bytes = encode(record);
  if (!files_->with_fd(*file_, [&](int fd) { return write_all(fd, bytes); })) {
    error = os_error("cannot append to", path_);
    return false;
  }
  ++records_;
  return !sync_now || sync(error);
}

// fdatasync flushes the file's data whichever descriptor names it, so a log
// whose descriptor was closed meanwhile syncs through a new one.
bool append_log::sync(std::string& error) {
  if (files_->with_fd(*file_, [](int fd) { return ::fdatasync(fd) == 0; })) return true;
  error = os_error("cannot sync", path_);
  return false;
}

bool append_log::rewrite(std::uint64_t epoch, const std::vector<const log_record*>& records,
                         std::string& error) {
  auto temp = path_ + ".tmp";
  int fd = ::open(temp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    error = os_error("cannot create", temp);
    return false;
  }
  std::string bytes = header(epoch);
  for (const auto* r : records) bytes += encode(*r);
  if (!write_all(fd, bytes) || ::fdatasync(fd) != 0 ||
      std::rename(temp.c_str(), path_.c_str()) != 0) {
    error = os_error("cannot rewrite", path_);
    ::close(fd);
    ::unlink(temp.c_str());
    return false;
  }
  ::close(fd);
  files_->close(*file_);  // the old file's descriptor; the next write opens the new one
  records_ = records.size();
  return true;
}

std::string topic_log_path(const std::string& directory, const std::string& topic) {
  return (std::filesystem::path{directory} / (topic + std::string{log_suffix})).string();
}

std::string topic_claim_path(const std::string& directory, const std::string& topic) {
  return (std::filesystem::path{directory} / (topic + ".claim")).string();
}

std::string topic_consumers_path(const std::string& directory, const std::string& topic) {
  return (std::filesystem::path{directory} / (topic + ".consumers")).string();
}

std::vector<std::string> logged_topics(const std::string& directory) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator{directory, ec}) {
    auto name = entry.path().filename().string();
    if (entry.is_regular_file(ec) && name.ends_with(log_suffix))
      out.push_back(name.substr(0, name.size() - log_suffix.size()));
  }
  return out;
}

}  // namespace sluice
