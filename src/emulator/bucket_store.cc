#include "emulator/bucket_store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "common/encoding.h"

namespace ac::emulator {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kMd5ETagMaxBytes = 16ull << 20;
constexpr uint64_t kPartBytes = 8ull << 20;

std::optional<ObjectInfo> StatPath(const fs::path& path, std::string key) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  ObjectInfo info;
  info.key = std::move(key);
  info.size = static_cast<uint64_t>(st.st_size);
  info.mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
  info.last_modified = std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(
          std::chrono::nanoseconds(info.mtime_ns)));
  return info;
}

std::string Md5Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  return common::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string Md5OfFile(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Md5Hex("");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_md5(), nullptr);
  std::string buf(1 << 16, '\0');
  while (true) {
    const ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r <= 0) break;
    EVP_DigestUpdate(ctx, buf.data(), static_cast<size_t>(r));
  }
  ::close(fd);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, digest, &len);
  EVP_MD_CTX_free(ctx);
  return common::HexEncode(std::string_view(reinterpret_cast<const char*>(digest), len));
}

}  // namespace

BucketStore::BucketStore(fs::path root) : root_(std::move(root)) {
  temp_dir_ = root_ / ".athena-local" / "tmp";
  fs::create_directories(temp_dir_);
  // Leftovers of a previous run are never committed.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(temp_dir_, ec)) fs::remove_all(entry.path(), ec);
}

bool BucketStore::ParseS3Uri(std::string_view uri, std::string* bucket, std::string* key) {
  constexpr std::string_view kScheme = "s3://";
  if (uri.size() <= kScheme.size() || uri.substr(0, kScheme.size()) != kScheme) return false;
  uri.remove_prefix(kScheme.size());
  const size_t slash = uri.find('/');
  *bucket = std::string(uri.substr(0, slash));
  *key = slash == std::string_view::npos ? std::string() : std::string(uri.substr(slash + 1));
  return !bucket->empty();
}

bool BucketStore::IsValidBucketName(std::string_view name) {
  if (name.size() < 3 || name.size() > 63) return false;
  for (char c : name) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_')) {
      return false;
    }
  }
  return name.front() != '.' && name.front() != '-' && name.back() != '.' && name.back() != '-';
}

bool BucketStore::IsValidKey(std::string_view key) {
  if (key.empty() || key.size() > 1024 || key.front() == '/') return false;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    const std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return false;
    start = end + 1;
  }
  return key.find('\0') == std::string_view::npos;
}

fs::path BucketStore::BucketPath(std::string_view bucket) const {
  return root_ / std::string(bucket);
}

fs::path BucketStore::ObjectPath(std::string_view bucket, std::string_view key) const {
  return root_ / std::string(bucket) / std::string(key);
}

bool BucketStore::BucketExists(std::string_view bucket) const {
  if (!IsValidBucketName(bucket)) return false;
  std::error_code ec;
  return fs::is_directory(BucketPath(bucket), ec);
}

void BucketStore::CreateBucket(std::string_view bucket) {
  fs::create_directories(BucketPath(bucket));
}

std::vector<std::string> BucketStore::ListBuckets() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root_, ec)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory(ec) && IsValidBucketName(name)) out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

fs::path BucketStore::NewTempPath(std::string_view hint) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string name(hint);
  std::replace(name.begin(), name.end(), '/', '_');
  return temp_dir_ /
         (name + "." + std::to_string(::getpid()) + "." + std::to_string(++temp_counter_));
}

void BucketStore::CommitObject(const fs::path& temp, std::string_view bucket,
                               std::string_view key) {
  const fs::path target = ObjectPath(bucket, key);
  fs::create_directories(target.parent_path());
  fs::rename(temp, target);
}

bool BucketStore::DeleteObject(std::string_view bucket, std::string_view key) {
  const fs::path target = ObjectPath(bucket, key);
  std::error_code ec;
  if (!fs::is_regular_file(target, ec)) return false;
  fs::remove(target, ec);
  const fs::path bucket_path = BucketPath(bucket);
  for (fs::path dir = target.parent_path(); dir != bucket_path && dir.has_parent_path();
       dir = dir.parent_path()) {
    if (!fs::is_empty(dir, ec) || ec) break;
    fs::remove(dir, ec);
  }
  return true;
}

std::optional<ObjectInfo> BucketStore::Stat(std::string_view bucket, std::string_view key) const {
  if (!IsValidKey(key)) return std::nullopt;
  return StatPath(ObjectPath(bucket, key), std::string(key));
}

std::vector<ObjectInfo> BucketStore::List(std::string_view bucket, std::string_view prefix) const {
  std::vector<ObjectInfo> out;
  const fs::path bucket_path = BucketPath(bucket);
  // Walk only below the deepest folder the prefix names completely.
  const size_t last_slash = prefix.rfind('/');
  std::string dir_part = last_slash == std::string_view::npos
                             ? std::string()
                             : std::string(prefix.substr(0, last_slash));
  fs::path start = dir_part.empty() ? bucket_path : bucket_path / dir_part;
  std::error_code ec;
  if (!fs::is_directory(start, ec)) return out;
  const std::string base = bucket_path.string() + "/";
  for (auto it = fs::recursive_directory_iterator(start, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::string path = it->path().string();
    if (path.compare(0, base.size(), base) != 0) continue;
    std::string key = path.substr(base.size());
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (auto info = StatPath(it->path(), std::move(key))) out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

std::string BucketStore::ETag(std::string_view bucket, const ObjectInfo& info) {
  const fs::path path = ObjectPath(bucket, info.key);
  const std::string cache_key = path.string();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = etag_cache_.find(cache_key);
    if (it != etag_cache_.end() && it->second.first == info.mtime_ns) return it->second.second;
  }
  std::string etag(1, '"');
  if (info.size <= kMd5ETagMaxBytes) {
    etag.append(Md5OfFile(path));
  } else {
    const uint64_t parts = (info.size + kPartBytes - 1) / kPartBytes;
    std::string seed = cache_key;
    seed.push_back(':');
    seed.append(std::to_string(info.size));
    seed.push_back(':');
    seed.append(std::to_string(info.mtime_ns));
    etag.append(Md5Hex(seed));
    etag.push_back('-');
    etag.append(std::to_string(parts));
  }
  etag.push_back('"');
  std::lock_guard<std::mutex> lock(mutex_);
  if (etag_cache_.size() > 100000) etag_cache_.clear();
  etag_cache_[cache_key] = {info.mtime_ns, etag};
  return etag;
}

}  // namespace ac::emulator
