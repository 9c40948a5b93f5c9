// Throughput of the Athena result CSV parser (MB/s of CSV text into RowBatch rows).
//
// Data: ~64 MB generated the way Athena writes it (every non-NULL cell quoted), in two shapes:
//  - customers: bigint, first_name, last_name, city, email, date, timestamp, decimal(12,2);
//  - wide: 40 typed columns (booleans, small/large integers, doubles, decimals, dates, timestamps,
//    short strings), ~10% NULLs, with the occasional quote or newline inside strings.
// The parser is fed in parts (as the S3 fetcher does) and the batch is cleared after each part.

#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <string>
#include <string_view>

#include "results/athena_csv.h"

namespace {

constexpr size_t kTargetBytes = size_t{64} << 20;

void AppendQuoted(std::string& out, std::string_view value) {
  out += '"';
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string Digits(std::mt19937_64& rng, int min_digits, int max_digits) {
  const int n =
      min_digits + static_cast<int>(rng() % static_cast<uint64_t>(max_digits - min_digits + 1));
  std::string s(1, static_cast<char>('1' + rng() % 9));
  for (int i = 1; i < n; ++i) s += static_cast<char>('0' + rng() % 10);
  return s;
}

std::string Word(std::mt19937_64& rng, int min_len, int max_len) {
  const int n = min_len + static_cast<int>(rng() % static_cast<uint64_t>(max_len - min_len + 1));
  std::string s(1, static_cast<char>('A' + rng() % 26));
  for (int i = 1; i < n; ++i) s += static_cast<char>('a' + rng() % 26);
  return s;
}

std::string Date(std::mt19937_64& rng) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", 1990 + static_cast<int>(rng() % 35),
                1 + static_cast<int>(rng() % 12), 1 + static_cast<int>(rng() % 28));
  return buf;
}

std::string Timestamp(std::mt19937_64& rng) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%s %02d:%02d:%02d.%03d", Date(rng).c_str(),
                static_cast<int>(rng() % 24), static_cast<int>(rng() % 60),
                static_cast<int>(rng() % 60), static_cast<int>(rng() % 1000));
  return buf;
}

std::string Decimal(std::mt19937_64& rng) {
  return Digits(rng, 1, 8) + "." + std::to_string(10 + rng() % 90);
}

const std::string& CustomersCsv() {
  static const std::string csv = [] {
    std::mt19937_64 rng(1);
    std::string out =
        "\"customer_id\",\"first_name\",\"last_name\",\"city\",\"email\",\"signup_date\","
        "\"updated_at\",\"balance\"\n";
    out.reserve(kTargetBytes + 4096);
    for (int64_t id = 1; out.size() < kTargetBytes; ++id) {
      const std::string first = Word(rng, 3, 9);
      const std::string last = Word(rng, 4, 11);
      AppendQuoted(out, std::to_string(1000000 + id));
      out += ',';
      AppendQuoted(out, first);
      out += ',';
      AppendQuoted(out, last);
      out += ',';
      AppendQuoted(out, Word(rng, 4, 12));
      out += ',';
      AppendQuoted(out, first + "." + last + "@example.com");
      out += ',';
      AppendQuoted(out, Date(rng));
      out += ',';
      AppendQuoted(out, Timestamp(rng));
      out += ',';
      AppendQuoted(out, Decimal(rng));
      out += '\n';
    }
    return out;
  }();
  return csv;
}

constexpr size_t kWideColumns = 40;

const std::string& WideCsv() {
  static const std::string csv = [] {
    std::mt19937_64 rng(2);
    std::string out;
    out.reserve(kTargetBytes + 4096);
    for (size_t c = 0; c < kWideColumns; ++c) {
      if (c) out += ',';
      AppendQuoted(out, std::string("c").append(std::to_string(c)));
    }
    out += '\n';
    while (out.size() < kTargetBytes) {
      for (size_t c = 0; c < kWideColumns; ++c) {
        if (c) out += ',';
        if (rng() % 10 == 0) continue;  // NULL
        switch (c % 8) {
          case 0:
            AppendQuoted(out, rng() % 2 ? "true" : "false");
            break;
          case 1:
            AppendQuoted(out, Digits(rng, 1, 3));
            break;
          case 2:
            AppendQuoted(out, Digits(rng, 5, 18));
            break;
          case 3:
            AppendQuoted(out, Digits(rng, 1, 6) + "." + Digits(rng, 1, 15));
            break;
          case 4:
            AppendQuoted(out, Decimal(rng));
            break;
          case 5:
            AppendQuoted(out, Date(rng));
            break;
          case 6:
            AppendQuoted(out, Timestamp(rng));
            break;
          default: {
            std::string s = Word(rng, 0 + 1, 16);
            if (rng() % 50 == 0) s += "\"quoted\"";
            if (rng() % 100 == 0) s += "\nsecond line";
            AppendQuoted(out, s);
          }
        }
      }
      out += '\n';
    }
    return out;
  }();
  return csv;
}

void RunParse(benchmark::State& state, const std::string& csv, size_t columns) {
  const size_t part_bytes = static_cast<size_t>(state.range(0));
  ac::athena::RowBatch batch(columns);
  int64_t rows = 0;
  for (auto _ : state) {
    ac::results::AthenaCsvOptions options;
    options.num_columns = columns;
    ac::results::AthenaCsvParser parser(options);
    for (size_t at = 0; at < csv.size(); at += part_bytes) {
      parser.Feed(std::string_view(csv).substr(at, part_bytes), batch);
      benchmark::DoNotOptimize(batch.byte_size());
      batch.Clear();
    }
    parser.Finish(batch);
    batch.Clear();
    rows += parser.rows();
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(csv.size()));
  state.counters["rows/s"] =
      benchmark::Counter(static_cast<double>(rows), benchmark::Counter::kIsRate);
}

void BM_AthenaCsvCustomers(benchmark::State& state) {
  RunParse(state, CustomersCsv(), 8);
}
void BM_AthenaCsvWide(benchmark::State& state) {
  RunParse(state, WideCsv(), kWideColumns);
}

// Reference floor: one memchr pass over the same bytes for `"` (what any quote-aware parser must
// at least do).
void BM_MemchrQuotesFloor(benchmark::State& state) {
  const std::string& csv = CustomersCsv();
  for (auto _ : state) {
    size_t quotes = 0;
    const char* p = csv.data();
    const char* const end = p + csv.size();
    while (const void* q = std::memchr(p, '"', static_cast<size_t>(end - p))) {
      ++quotes;
      p = static_cast<const char*>(q) + 1;
    }
    benchmark::DoNotOptimize(quotes);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(csv.size()));
}

}  // namespace

BENCHMARK(BM_AthenaCsvCustomers)->Arg(64 << 10)->Arg(8 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AthenaCsvWide)->Arg(64 << 10)->Arg(8 << 20)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemchrQuotesFloor)->Unit(benchmark::kMillisecond);
