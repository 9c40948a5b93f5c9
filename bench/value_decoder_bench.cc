// Decoding throughput of athena::ValueDecoder per Athena type, in cells per second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "athena/row_batch.h"
#include "athena/types.h"
#include "athena/value_decoder.h"
#include "common/value.h"

namespace {

using ac::athena::Column;
using ac::athena::ParseDeclaredType;
using ac::athena::RowBatch;
using ac::athena::TypeFromColumnInfo;
using ac::athena::ValueDecoder;

constexpr size_t kRowsPerBatch = 4096;  // a typical S3 CSV chunk's worth of rows

/// Concatenates pieces (plain appends: GCC 12 warns falsely on chains of string `+`).
std::string Cat(std::initializer_list<std::string_view> pieces) {
  std::string out;
  for (std::string_view piece : pieces) out.append(piece);
  return out;
}

std::string Num(size_t i) {
  return std::to_string(i);
}

/// Cells made by `make(i)`; deterministic so runs compare.
RowBatch MakeBatch(const std::function<std::string(size_t)>& make) {
  RowBatch rows(1);
  for (size_t i = 0; i < kRowsPerBatch; ++i) rows.AppendCell(make(i));
  return rows;
}

void RunDecode(benchmark::State& state, const ac::athena::AthenaType& type, const RowBatch& rows) {
  ValueDecoder decoder({Column{"c", type}});
  ac::common::ValueBatch out;
  decoder.Decode(rows, out);  // warm-up: grows the arena and caches time zones
  for (auto _ : state) {
    decoder.Decode(rows, out);
    benchmark::DoNotOptimize(out.at(0, 0));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows.num_rows()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * rows.byte_size()));
}

void BM_Bigint(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return std::to_string(static_cast<int64_t>(i * 2654435761ULL) - 1000000000000LL);
  });
  RunDecode(state, TypeFromColumnInfo("bigint", 19, 0), rows);
}

void BM_Double(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    static const char* kSamples[] = {"0.5",        "1.0E10",  "9.99E-4",
                                     "123.456789", "-42.125", "3.141592653589793"};
    return std::string(kSamples[i % 6]);
  });
  RunDecode(state, TypeFromColumnInfo("double", 17, 0), rows);
}

void BM_Varchar(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({"customer-", Num(i), "@example.com"});
  });
  RunDecode(state, TypeFromColumnInfo("varchar", 2147483647, 0), rows);
}

void BM_Decimal(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({Num(i * 37), ".", Num(10 + i % 90)});
  });
  RunDecode(state, TypeFromColumnInfo("decimal", 12, 2), rows);
}

void BM_Timestamp(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({"2024-0", Num(1 + i % 9), "-1", Num(i % 10), " 12:34:56.", Num(100 + i % 900)});
  });
  RunDecode(state, TypeFromColumnInfo("timestamp", 3, 0), rows);
}

void BM_TimestampWithTimeZoneUtc(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({"2024-0", Num(1 + i % 9), "-1", Num(i % 10), " 12:34:56.789 UTC"});
  });
  RunDecode(state, TypeFromColumnInfo("timestamp with time zone", 3, 0), rows);
}

void BM_TimestampWithTimeZoneNamed(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({"2024-0", Num(1 + i % 9), "-1", Num(i % 10), " 12:34:56.789 ",
                i % 2 == 0 ? "America/Los_Angeles" : "Europe/Berlin"});
  });
  RunDecode(state, TypeFromColumnInfo("timestamp with time zone", 3, 0), rows);
}

void BM_ArrayOfIntegerDeclared(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({"[", Num(i), ", ", Num(i + 1), ", null, ", Num(i * 3), "]"});
  });
  RunDecode(state, ParseDeclaredType("array(integer)"), rows);
}

void BM_ArrayOfVarcharInferred(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({"[red, green, item-", Num(i), ", blue]"});
  });
  RunDecode(state, TypeFromColumnInfo("array", 0, 0), rows);
}

void BM_RowDeclared(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) {
    return Cat({"{id=", Num(i), ", name=Ann, Lee, tags=[a, b], address={city=Paris, zip=75001}}"});
  });
  RunDecode(state,
            ParseDeclaredType("row(id bigint, name varchar, tags array(varchar), address row(city "
                              "varchar, zip varchar))"),
            rows);
}

void BM_MapInferred(benchmark::State& state) {
  const RowBatch rows = MakeBatch([](size_t i) { return Cat({"{a=", Num(i), ", b=x, c=2.5}"}); });
  RunDecode(state, TypeFromColumnInfo("map", 0, 0), rows);
}

}  // namespace

BENCHMARK(BM_Bigint);
BENCHMARK(BM_Double);
BENCHMARK(BM_Varchar);
BENCHMARK(BM_Decimal);
BENCHMARK(BM_Timestamp);
BENCHMARK(BM_TimestampWithTimeZoneUtc);
BENCHMARK(BM_TimestampWithTimeZoneNamed);
BENCHMARK(BM_ArrayOfIntegerDeclared);
BENCHMARK(BM_ArrayOfVarcharInferred);
BENCHMARK(BM_RowDeclared);
BENCHMARK(BM_MapInferred);
