#pragma once

// Small helpers shared by the fuzz targets: reading control bytes off the front of an input and a
// deterministic split of the rest into pieces.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ac::fuzz {

/// The input as text, with control bytes and lines taken off its front.
class Input {
 public:
  Input(const uint8_t* data, size_t size) : rest_(reinterpret_cast<const char*>(data), size) {}

  /// The next byte (0 once the input is exhausted).
  uint8_t Byte() {
    if (rest_.empty()) return 0;
    const auto b = static_cast<uint8_t>(rest_.front());
    rest_.remove_prefix(1);
    return b;
  }
  /// Up to the next '\n' (dropped); the whole rest when there is none.
  std::string_view Line() {
    const size_t nl = rest_.find('\n');
    const std::string_view line = rest_.substr(0, nl);
    rest_.remove_prefix(nl == std::string_view::npos ? rest_.size() : nl + 1);
    return line;
  }
  bool empty() const { return rest_.empty(); }
  std::string_view rest() const { return rest_; }

 private:
  std::string_view rest_;
};

/// Cut points (ascending, within (0, size)) for feeding `size` bytes in pieces: 1 to 64 bytes
/// mostly, some larger, chosen by an xorshift generator seeded with `seed` (0: one piece).
inline std::vector<size_t> Cuts(size_t size, uint8_t seed) {
  std::vector<size_t> cuts;
  if (seed == 0) return cuts;
  uint32_t x = 0x9e3779b9u ^ seed;
  size_t pos = 0;
  for (;;) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    const size_t step = (x & 7) == 0 ? 1 + (x >> 8) % 4096 : 1 + (x >> 8) % 64;
    pos += step;
    if (pos >= size) break;
    cuts.push_back(pos);
  }
  return cuts;
}

}  // namespace ac::fuzz
