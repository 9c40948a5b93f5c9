#include "emulator/result_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "athena_text/value_format.h"

namespace ac::emulator {

using athena_text::AppendCsvQuoted;
using athena_text::CellFormatter;
using athena_text::EscapeCsvQuotesFrom;
namespace {

constexpr size_t kWriteBufferBytes = 1 << 20;
constexpr size_t kReadChunkBytes = 256 << 10;

std::string FormatName(ResultMetadata::Format f) {
  switch (f) {
    case ResultMetadata::Format::kCsv:
      return "csv";
    case ResultMetadata::Format::kText:
      return "txt";
    case ResultMetadata::Format::kNone:
      return "none";
  }
  return "none";
}

}  // namespace

std::string ResultMetadata::ToJson() const {
  nlohmann::json doc;
  doc["format"] = FormatName(format);
  doc["rows"] = rows;
  auto& cols = doc["columns"];
  cols = nlohmann::json::array();
  for (const auto& c : columns) {
    cols.push_back({{"name", c.name},
                    {"type", c.type.type},
                    {"precision", c.type.precision},
                    {"scale", c.type.scale},
                    {"caseSensitive", c.type.case_sensitive}});
  }
  return doc.dump();
}

ResultMetadata ResultMetadata::FromJson(std::string_view json) {
  try {
    const auto doc = nlohmann::json::parse(json);
    ResultMetadata m;
    const std::string format = doc.at("format").get<std::string>();
    m.format = format == "csv" ? Format::kCsv : format == "txt" ? Format::kText : Format::kNone;
    m.rows = doc.at("rows").get<uint64_t>();
    for (const auto& c : doc.at("columns")) {
      ResultColumn col;
      col.name = c.at("name").get<std::string>();
      col.type.type = c.at("type").get<std::string>();
      col.type.precision = c.at("precision").get<int32_t>();
      col.type.scale = c.at("scale").get<int32_t>();
      col.type.case_sensitive = c.at("caseSensitive").get<bool>();
      m.columns.push_back(std::move(col));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(std::string("malformed result metadata: ") + e.what());
  }
}

ResultFileWriter::ResultFileWriter(std::filesystem::path path, ResultMetadata::Format format)
    : path_(std::move(path)), format_(format) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error("cannot create " + path_.string() + ": " + std::strerror(errno));
  }
  buffer_.reserve(kWriteBufferBytes + (64 << 10));
}

ResultFileWriter::~ResultFileWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void ResultFileWriter::WriteHeader(const std::vector<std::string>& names) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (i != 0) buffer_.push_back(',');
    AppendCsvQuoted(buffer_, names[i]);
  }
  buffer_.push_back('\n');
  FlushIfFull();
}

void ResultFileWriter::SetFormatters(std::vector<std::unique_ptr<CellFormatter>> formatters) {
  formatters_ = std::move(formatters);
}

void ResultFileWriter::WriteChunk(duckdb_data_chunk chunk) {
  const idx_t n = duckdb_data_chunk_get_size(chunk);
  const size_t columns = formatters_.size();
  for (size_t c = 0; c < columns; ++c) {
    formatters_[c]->Bind(duckdb_data_chunk_get_vector(chunk, c));
  }
  const bool csv = format_ == ResultMetadata::Format::kCsv;
  for (idx_t row = 0; row < n; ++row) {
    for (size_t c = 0; c < columns; ++c) {
      if (c != 0) buffer_.push_back(csv ? ',' : '\t');
      const CellFormatter& f = *formatters_[c];
      if (f.IsNull(row)) continue;
      if (csv) {
        buffer_.push_back('"');
        const size_t start = buffer_.size();
        f.Append(buffer_, row);
        EscapeCsvQuotesFrom(buffer_, start);
        buffer_.push_back('"');
      } else {
        f.Append(buffer_, row);
      }
    }
    buffer_.push_back('\n');
    if (buffer_.size() >= kWriteBufferBytes) Flush();
  }
  rows_ += n;
}

void ResultFileWriter::WriteRow(const std::vector<std::string>& cells) {
  const bool csv = format_ == ResultMetadata::Format::kCsv;
  for (size_t i = 0; i < cells.size(); ++i) {
    if (i != 0) buffer_.push_back(csv ? ',' : '\t');
    if (csv) {
      AppendCsvQuoted(buffer_, cells[i]);
    } else {
      buffer_ += cells[i];
    }
  }
  buffer_.push_back('\n');
  ++rows_;
  FlushIfFull();
}

void ResultFileWriter::FlushIfFull() {
  if (buffer_.size() >= kWriteBufferBytes) Flush();
}

void ResultFileWriter::Flush() {
  const char* p = buffer_.data();
  size_t left = buffer_.size();
  while (left > 0) {
    const ssize_t w = ::write(fd_, p, left);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error("cannot write " + path_.string() + ": " + std::strerror(errno));
    }
    p += w;
    left -= static_cast<size_t>(w);
  }
  bytes_ += buffer_.size();
  buffer_.clear();
}

void ResultFileWriter::Finish() {
  Flush();
  if (::close(fd_) != 0) {
    fd_ = -1;
    throw std::runtime_error("cannot close " + path_.string() + ": " + std::strerror(errno));
  }
  fd_ = -1;
}

ResultFileReader::ResultFileReader(const std::filesystem::path& path, ResultMetadata::Format format,
                                   uint64_t offset)
    : format_(format), offset_(offset) {
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0)
    throw std::runtime_error("cannot open " + path.string() + ": " + std::strerror(errno));
  if (offset > 0 && ::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0) {
    throw std::runtime_error("cannot seek " + path.string());
  }
}

ResultFileReader::~ResultFileReader() {
  if (fd_ >= 0) ::close(fd_);
}

bool ResultFileReader::Fill() {
  if (eof_) return false;
  if (pos_ > 0) {
    buffer_.erase(0, pos_);
    pos_ = 0;
  }
  const size_t old = buffer_.size();
  buffer_.resize(old + kReadChunkBytes);
  ssize_t r;
  do {
    r = ::read(fd_, buffer_.data() + old, kReadChunkBytes);
  } while (r < 0 && errno == EINTR);
  if (r <= 0) {
    buffer_.resize(old);
    eof_ = true;
    return false;
  }
  buffer_.resize(old + static_cast<size_t>(r));
  return true;
}

bool ResultFileReader::Next(std::vector<ResultCell>& cells) {
  struct Span {
    size_t start, length;
    bool is_null;
  };
  std::vector<Span> spans;
  while (true) {
    if (pos_ >= buffer_.size() && !Fill()) return false;
    spans.clear();
    scratch_.clear();
    size_t i = pos_;
    const size_t size = buffer_.size();
    bool complete = false;
    if (format_ == ResultMetadata::Format::kText) {
      const size_t nl = buffer_.find('\n', i);
      if (nl != std::string::npos || eof_) {
        const size_t end = nl == std::string::npos ? size : nl;
        spans.push_back({scratch_.size(), end - i, false});
        scratch_.append(buffer_, i, end - i);
        i = nl == std::string::npos ? size : nl + 1;
        complete = true;
      }
    } else {
      bool need_more = false;
      while (true) {
        if (i >= size) {
          if (!eof_) {
            need_more = true;
            break;
          }
          spans.push_back({scratch_.size(), 0, true});
          complete = true;
          break;
        }
        if (buffer_[i] == '"') {
          size_t j = i + 1;
          const size_t start = scratch_.size();
          bool closed = false;
          while (j < size) {
            const size_t q = buffer_.find('"', j);
            if (q == std::string::npos) break;
            scratch_.append(buffer_, j, q - j);
            if (q + 1 < size && buffer_[q + 1] == '"') {
              scratch_.push_back('"');
              j = q + 2;
              continue;
            }
            if (q + 1 >= size && !eof_) break;  // cannot tell yet whether "" follows
            j = q + 1;
            closed = true;
            break;
          }
          if (!closed) {
            if (eof_) {
              throw std::runtime_error("malformed result file: unterminated quote");
            }
            need_more = true;
            break;
          }
          spans.push_back({start, scratch_.size() - start, false});
          i = j;
        } else {
          size_t j = i;
          while (j < size && buffer_[j] != ',' && buffer_[j] != '\n') ++j;
          if (j >= size && !eof_) {
            need_more = true;
            break;
          }
          spans.push_back({scratch_.size(), j - i, j == i});
          scratch_.append(buffer_, i, j - i);
          i = j;
        }
        if (i >= size) {
          if (!eof_) {
            need_more = true;
            break;
          }
          complete = true;
          break;
        }
        if (buffer_[i] == ',') {
          ++i;
          continue;
        }
        if (buffer_[i] == '\n') {
          ++i;
          complete = true;
          break;
        }
        throw std::runtime_error("malformed result file: unexpected character after quote");
      }
      if (need_more) {
        if (!Fill() && !eof_) return false;
        continue;
      }
    }
    if (!complete) {
      if (!Fill() && !eof_) return false;
      continue;
    }
    offset_ += i - pos_;
    pos_ = i;
    cells.clear();
    for (const auto& s : spans) {
      cells.push_back(ResultCell{std::string_view(scratch_).substr(s.start, s.length), s.is_null});
    }
    return true;
  }
}

}  // namespace ac::emulator
