#include "emulator/s3_api.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <fstream>
#include <optional>

#include "common/encoding.h"
#include "common/strings.h"

namespace ac::emulator {
namespace {

constexpr std::string_view kXmlHeader = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
constexpr std::string_view kS3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/";

using common::EqualsIgnoreCase;

std::string Element(std::string_view name, std::string_view escaped_value) {
  std::string out = "<";
  out += name;
  out += ">";
  out += escaped_value;
  out += "</";
  out += name;
  out += ">";
  return out;
}

std::string El(std::string_view name, std::string_view raw_value) {
  return Element(name, common::XmlEscape(raw_value));
}

std::string ContentTypeFor(std::string_view key) {
  auto ends = [&](std::string_view suffix) {
    return key.size() >= suffix.size() && key.substr(key.size() - suffix.size()) == suffix;
  };
  if (ends(".csv")) return "text/csv";
  if (ends(".txt")) return "text/plain";
  if (ends(".json")) return "application/json";
  if (ends(".metadata")) return "application/octet-stream";
  return "application/octet-stream";
}

std::string Md5Base64AndHex(std::string_view data, std::string* hex) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_md5(), nullptr);
  const std::string_view raw(reinterpret_cast<const char*>(digest), len);
  *hex = common::HexEncode(raw);
  return common::Base64Encode(raw);
}

// Decodes an aws-chunked body (STREAMING-* payloads): "<hex>[;ext]\r\n<data>\r\n ... 0\r\n".
std::optional<std::string> DecodeAwsChunked(std::string_view body) {
  std::string out;
  size_t pos = 0;
  while (pos < body.size()) {
    const size_t eol = body.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view line = body.substr(pos, eol - pos);
    line = line.substr(0, line.find(';'));
    size_t size = 0;
    for (char c : line) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
      size = size * 16 +
             static_cast<size_t>(std::isdigit(static_cast<unsigned char>(c))
                                     ? c - '0'
                                     : std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
    }
    pos = eol + 2;
    if (size == 0) break;  // trailers (if any) follow
    if (pos + size > body.size()) return std::nullopt;
    out.append(body.substr(pos, size));
    pos += size + 2;
  }
  return out;
}

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;
};

enum class RangeParse { kNone, kOk, kUnsatisfiable };

// Parses a single "bytes=a-b" / "bytes=a-" / "bytes=-n" range against `size`.
RangeParse ParseRange(std::string_view value, uint64_t size, ByteRange* out) {
  constexpr std::string_view kPrefix = "bytes=";
  if (value.substr(0, kPrefix.size()) != kPrefix) return RangeParse::kNone;
  value.remove_prefix(kPrefix.size());
  if (value.find(',') != std::string_view::npos) return RangeParse::kNone;
  const size_t dash = value.find('-');
  if (dash == std::string_view::npos) return RangeParse::kNone;
  auto parse_num = [](std::string_view s, uint64_t* v) {
    if (s.empty() || s.size() > 19) return false;
    uint64_t n = 0;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      n = n * 10 + static_cast<uint64_t>(c - '0');
    }
    *v = n;
    return true;
  };
  const std::string_view a = value.substr(0, dash);
  const std::string_view b = value.substr(dash + 1);
  if (a.empty()) {
    uint64_t n = 0;
    if (!parse_num(b, &n)) return RangeParse::kNone;
    if (n == 0 || size == 0) return RangeParse::kUnsatisfiable;
    out->first = n >= size ? 0 : size - n;
    out->last = size - 1;
    return RangeParse::kOk;
  }
  uint64_t first = 0;
  if (!parse_num(a, &first)) return RangeParse::kNone;
  uint64_t last = UINT64_MAX;
  if (!b.empty() && !parse_num(b, &last)) return RangeParse::kNone;
  if (last < first) return RangeParse::kNone;
  if (first >= size) return RangeParse::kUnsatisfiable;
  out->first = first;
  out->last = std::min(last, size - 1);
  return RangeParse::kOk;
}

std::string StripQuotes(std::string_view s) {
  while (!s.empty() && (s.front() == ' ')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ')) s.remove_suffix(1);
  if (s.size() >= 2 && s.substr(0, 2) == "W/") s.remove_prefix(2);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

bool ETagMatches(std::string_view condition, std::string_view etag) {
  const std::string tag = StripQuotes(etag);
  size_t pos = 0;
  while (pos <= condition.size()) {
    size_t comma = condition.find(',', pos);
    if (comma == std::string_view::npos) comma = condition.size();
    const std::string c = StripQuotes(condition.substr(pos, comma - pos));
    if (c == "*" || c == tag) return true;
    pos = comma + 1;
  }
  return false;
}

std::string EncodeIf(bool url, std::string_view value) {
  return url ? common::UriEncode(value, true) : std::string(value);
}

}  // namespace

const std::string* S3Request::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (EqualsIgnoreCase(k, name)) return &v;
  }
  return nullptr;
}

const std::string* S3Request::Param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::string HttpDate(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

std::string IsoDate(std::chrono::system_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t tt = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char frac[8];
  std::snprintf(frac, sizeof(frac), ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(buf) + frac;
}

S3Reply S3ErrorReply(int status, std::string_view code, std::string_view message,
                     std::string_view request_id, const HeaderList& extra) {
  S3Reply reply;
  reply.status = status;
  reply.content_type = "application/xml";
  reply.error_code = std::string(code);
  std::string body(kXmlHeader);
  body += "<Error>";
  body += El("Code", code);
  body += El("Message", message);
  for (const auto& [k, v] : extra) body += Element(k, v);
  body += El("RequestId", request_id);
  body += El("HostId", common::Base64Encode(std::string(request_id) + "athena-local"));
  body += "</Error>";
  reply.body = std::move(body);
  return reply;
}

S3Reply S3Api::Handle(const S3Request& r) {
  if (r.bucket.empty()) {
    if (r.method == "GET") return ListBuckets(r);
    return S3ErrorReply(405, "MethodNotAllowed",
                        "The specified method is not allowed against this resource.", r.request_id);
  }
  if (!BucketStore::IsValidBucketName(r.bucket)) {
    if (r.method == "PUT" && r.key.empty()) {
      return S3ErrorReply(400, "InvalidBucketName", "The specified bucket is not valid.",
                          r.request_id, {{"BucketName", common::XmlEscape(r.bucket)}});
    }
    return S3ErrorReply(404, "NoSuchBucket", "The specified bucket does not exist", r.request_id,
                        {{"BucketName", common::XmlEscape(r.bucket)}});
  }
  if (r.key.empty()) {
    if (r.method == "PUT") {
      buckets_.CreateBucket(r.bucket);
      S3Reply reply;
      reply.headers.emplace_back("Location", "/" + r.bucket);
      return reply;
    }
    if (!buckets_.BucketExists(r.bucket)) {
      return S3ErrorReply(404, "NoSuchBucket", "The specified bucket does not exist", r.request_id,
                          {{"BucketName", common::XmlEscape(r.bucket)}});
    }
    if (r.method == "HEAD") {
      S3Reply reply;
      reply.headers.emplace_back("x-amz-bucket-region", "us-east-1");
      return reply;
    }
    if (r.method == "GET") {
      if (r.HasParam("location")) {
        S3Reply reply;
        reply.content_type = "application/xml";
        reply.body = std::string(kXmlHeader) + "<LocationConstraint xmlns=\"" +
                     std::string(kS3Namespace) + "\"/>";
        return reply;
      }
      const std::string* list_type = r.Param("list-type");
      return ListObjects(r, list_type != nullptr && *list_type == "2");
    }
    if (r.method == "DELETE") {
      if (!buckets_.List(r.bucket, "").empty()) {
        return S3ErrorReply(409, "BucketNotEmpty", "The bucket you tried to delete is not empty",
                            r.request_id, {{"BucketName", common::XmlEscape(r.bucket)}});
      }
      std::error_code ec;
      std::filesystem::remove_all(buckets_.BucketPath(r.bucket), ec);
      S3Reply reply;
      reply.status = 204;
      return reply;
    }
    return S3ErrorReply(405, "MethodNotAllowed",
                        "The specified method is not allowed against this resource.", r.request_id);
  }
  if (!buckets_.BucketExists(r.bucket)) {
    // athena-local convenience: PutObject creates the bucket (as Athena output does).
    if (r.method == "PUT") return PutObject(r);
    return S3ErrorReply(404, "NoSuchBucket", "The specified bucket does not exist", r.request_id,
                        {{"BucketName", common::XmlEscape(r.bucket)}});
  }
  if (r.method == "GET") return GetObject(r, false);
  if (r.method == "HEAD") return GetObject(r, true);
  if (r.method == "PUT") return PutObject(r);
  if (r.method == "DELETE") return DeleteObject(r);
  return S3ErrorReply(405, "MethodNotAllowed",
                      "The specified method is not allowed against this resource.", r.request_id);
}

S3Reply S3Api::GetObject(const S3Request& r, bool head) {
  auto info = buckets_.Stat(r.bucket, r.key);
  if (!info) {
    return S3ErrorReply(404, "NoSuchKey", "The specified key does not exist.", r.request_id,
                        {{"Key", common::XmlEscape(r.key)}});
  }
  const std::string etag = buckets_.ETag(r.bucket, *info);
  if (const std::string* m = r.Header("if-match"); m != nullptr && !ETagMatches(*m, etag)) {
    return S3ErrorReply(412, "PreconditionFailed",
                        "At least one of the pre-conditions you specified did not hold",
                        r.request_id, {{"Condition", "If-Match"}});
  }
  if (const std::string* m = r.Header("if-none-match"); m != nullptr && ETagMatches(*m, etag)) {
    S3Reply reply;
    reply.status = 304;
    reply.headers.emplace_back("ETag", etag);
    reply.headers.emplace_back("Last-Modified", HttpDate(info->last_modified));
    return reply;
  }
  S3Reply reply;
  reply.content_type = ContentTypeFor(r.key);
  reply.headers.emplace_back("ETag", etag);
  reply.headers.emplace_back("Last-Modified", HttpDate(info->last_modified));
  reply.headers.emplace_back("Accept-Ranges", "bytes");
  reply.stream_file = true;
  reply.file = buckets_.ObjectPath(r.bucket, r.key);
  reply.file_offset = 0;
  reply.file_length = info->size;
  if (const std::string* range = r.Header("range")) {
    ByteRange br;
    switch (ParseRange(*range, info->size, &br)) {
      case RangeParse::kNone:
        break;
      case RangeParse::kUnsatisfiable: {
        S3Reply error = S3ErrorReply(416, "InvalidRange", "The requested range is not satisfiable",
                                     r.request_id,
                                     {{"RangeRequested", common::XmlEscape(*range)},
                                      {"ActualObjectSize", std::to_string(info->size)}});
        error.headers.emplace_back("Content-Range", "bytes */" + std::to_string(info->size));
        return error;
      }
      case RangeParse::kOk:
        reply.status = 206;
        reply.file_offset = br.first;
        reply.file_length = br.last - br.first + 1;
        reply.headers.emplace_back("Content-Range", "bytes " + std::to_string(br.first) + "-" +
                                                        std::to_string(br.last) + "/" +
                                                        std::to_string(info->size));
        break;
    }
  }
  (void)head;
  return reply;
}

S3Reply S3Api::PutObject(const S3Request& r) {
  if (r.Header("x-amz-copy-source") != nullptr) {
    return S3ErrorReply(501, "NotImplemented",
                        "A header you provided implies functionality that is not implemented",
                        r.request_id, {{"Header", "x-amz-copy-source"}});
  }
  if (!BucketStore::IsValidKey(r.key)) {
    return S3ErrorReply(400, "InvalidArgument", "athena-local cannot store this object key",
                        r.request_id, {{"Key", common::XmlEscape(r.key)}});
  }
  std::string decoded;
  std::string_view body = r.body;
  const std::string* sha = r.Header("x-amz-content-sha256");
  const std::string* encoding = r.Header("content-encoding");
  if ((sha != nullptr && sha->rfind("STREAMING-", 0) == 0) ||
      (encoding != nullptr && encoding->find("aws-chunked") != std::string::npos)) {
    auto d = DecodeAwsChunked(r.body);
    if (!d) {
      return S3ErrorReply(400, "IncompleteBody", "The request body terminated unexpectedly",
                          r.request_id);
    }
    decoded = std::move(*d);
    body = decoded;
  }
  std::string hex;
  const std::string md5_b64 = Md5Base64AndHex(body, &hex);
  if (const std::string* md5 = r.Header("content-md5"); md5 != nullptr && *md5 != md5_b64) {
    return S3ErrorReply(400, "BadDigest",
                        "The Content-MD5 you specified did not match what we received.",
                        r.request_id);
  }
  const auto temp = buckets_.NewTempPath("put");
  {
    std::ofstream out(temp, std::ios::binary);
    out.write(body.data(), static_cast<std::streamsize>(body.size()));
    if (!out) {
      return S3ErrorReply(500, "InternalError",
                          "We encountered an internal error. Please try again.", r.request_id);
    }
  }
  try {
    buckets_.CommitObject(temp, r.bucket, r.key);
  } catch (const std::exception&) {
    std::error_code ec;
    std::filesystem::remove(temp, ec);
    return S3ErrorReply(400, "InvalidArgument",
                        "athena-local cannot store this key next to an existing object",
                        r.request_id, {{"Key", common::XmlEscape(r.key)}});
  }
  S3Reply reply;
  reply.headers.emplace_back("ETag", "\"" + hex + "\"");
  return reply;
}

S3Reply S3Api::DeleteObject(const S3Request& r) {
  if (BucketStore::IsValidKey(r.key)) buckets_.DeleteObject(r.bucket, r.key);
  S3Reply reply;
  reply.status = 204;
  return reply;
}

S3Reply S3Api::ListObjects(const S3Request& r, bool v2) {
  const std::string prefix = r.Param("prefix") ? *r.Param("prefix") : "";
  const std::string delimiter = r.Param("delimiter") ? *r.Param("delimiter") : "";
  const bool url = r.Param("encoding-type") && *r.Param("encoding-type") == "url";
  long max_keys = 1000;
  if (const std::string* mk = r.Param("max-keys")) {
    try {
      size_t used = 0;
      max_keys = std::stol(*mk, &used);
      if (used != mk->size() || max_keys < 0) throw std::invalid_argument("max-keys");
    } catch (const std::exception&) {
      return S3ErrorReply(
          400, "InvalidArgument",
          "Provided max-keys not an integer or within "
          "integer range",
          r.request_id, {{"ArgumentName", "max-keys"}, {"ArgumentValue", common::XmlEscape(*mk)}});
    }
    max_keys = std::min(max_keys, 1000L);
  }
  std::string marker;
  std::string continuation_token;
  std::string start_after;
  if (v2) {
    if (const std::string* t = r.Param("continuation-token")) {
      continuation_token = *t;
      auto decoded = common::Base64Decode(*t);
      if (!decoded || decoded->rfind("k:", 0) != 0) {
        return S3ErrorReply(400, "InvalidArgument", "The continuation token provided is incorrect",
                            r.request_id, {{"ArgumentName", "continuation-token"}});
      }
      marker = decoded->substr(2);
    }
    if (const std::string* s = r.Param("start-after")) {
      start_after = *s;
      if (marker.empty() || start_after > marker) marker = std::max(marker, start_after);
    }
  } else if (const std::string* m = r.Param("marker")) {
    marker = *m;
  }

  const auto objects = buckets_.List(r.bucket, prefix);
  std::string contents;
  std::string prefixes;
  long count = 0;
  bool truncated = false;
  std::string last_entry;
  std::string last_prefix_added;
  for (const auto& obj : objects) {
    std::string entry = obj.key;
    bool is_prefix = false;
    if (!delimiter.empty()) {
      const size_t d = obj.key.find(delimiter, prefix.size());
      if (d != std::string::npos) {
        entry = obj.key.substr(0, d + delimiter.size());
        is_prefix = true;
      }
    }
    if (!marker.empty() && entry <= marker) continue;
    if (is_prefix && entry == last_prefix_added) continue;
    if (count >= max_keys) {
      truncated = true;
      break;
    }
    ++count;
    last_entry = entry;
    if (is_prefix) {
      last_prefix_added = entry;
      prefixes += "<CommonPrefixes>" + El("Prefix", EncodeIf(url, entry)) + "</CommonPrefixes>";
    } else {
      contents += "<Contents>";
      contents += El("Key", EncodeIf(url, obj.key));
      contents += El("LastModified", IsoDate(obj.last_modified));
      contents += El("ETag", buckets_.ETag(r.bucket, obj));
      contents += El("Size", std::to_string(obj.size));
      if (r.Param("fetch-owner") && *r.Param("fetch-owner") == "true") {
        contents += "<Owner><ID>athena-local</ID><DisplayName>athena-local</DisplayName></Owner>";
      }
      contents += El("StorageClass", "STANDARD");
      contents += "</Contents>";
    }
  }
  std::string body(kXmlHeader);
  body += "<ListBucketResult xmlns=\"" + std::string(kS3Namespace) + "\">";
  body += El("Name", r.bucket);
  body += El("Prefix", EncodeIf(url, prefix));
  if (v2) {
    if (r.Param("continuation-token")) body += El("ContinuationToken", continuation_token);
    if (r.Param("start-after")) body += El("StartAfter", EncodeIf(url, start_after));
    body += El("KeyCount", std::to_string(count));
  } else {
    body += El("Marker", EncodeIf(url, marker));
  }
  body += El("MaxKeys", std::to_string(max_keys));
  if (!delimiter.empty()) body += El("Delimiter", EncodeIf(url, delimiter));
  if (url) body += El("EncodingType", "url");
  body += El("IsTruncated", truncated ? "true" : "false");
  if (truncated) {
    if (v2) {
      body += El("NextContinuationToken", common::Base64Encode("k:" + last_entry));
    } else {
      body += El("NextMarker", EncodeIf(url, last_entry));
    }
  }
  body += contents;
  body += prefixes;
  body += "</ListBucketResult>";
  S3Reply reply;
  reply.content_type = "application/xml";
  reply.body = std::move(body);
  return reply;
}

S3Reply S3Api::ListBuckets(const S3Request& r) {
  std::string body(kXmlHeader);
  body += "<ListAllMyBucketsResult xmlns=\"" + std::string(kS3Namespace) + "\">";
  body += "<Owner><ID>athena-local</ID><DisplayName>athena-local</DisplayName></Owner><Buckets>";
  for (const auto& name : buckets_.ListBuckets()) {
    struct stat st {};
    std::chrono::system_clock::time_point sys{};
    if (::stat(buckets_.BucketPath(name).c_str(), &st) == 0) {
      sys = std::chrono::system_clock::from_time_t(st.st_mtim.tv_sec);
    }
    body += "<Bucket>" + El("Name", name) + El("CreationDate", IsoDate(sys)) + "</Bucket>";
  }
  body += "</Buckets></ListAllMyBucketsResult>";
  (void)r;
  S3Reply reply;
  reply.content_type = "application/xml";
  reply.body = std::move(body);
  return reply;
}

}  // namespace ac::emulator
