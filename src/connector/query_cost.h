#pragma once

#include <cstdint>
#include <string>

namespace ac::connector {

/// What Athena bills for the queries of a sync: the bytes each scanned, rounded up to the megabyte
/// with a 10 MB minimum per query, at a price per terabyte (binary units, as Athena's console
/// shows them). A query answered from a reused result scans and costs nothing.
struct QueryCost {
  int64_t queries = 0;
  int64_t scanned_bytes = 0;
  int64_t billed_bytes = 0;
  double usd_per_tb = 5.0;  ///< the price per TB scanned (configuration price_per_tb_usd)

  /// Adds one finished query that scanned `scanned_bytes` (`reused`: Athena reused a result).
  void Add(int64_t scanned_bytes, bool reused);
  /// The price of billed_bytes.
  double Usd() const;
  /// "3 queries, 83.7 MB scanned, 84.0 MB billed, $0.0004 at $5.00/TB".
  std::string Describe() const;
};

/// Athena's billed bytes of one query that scanned `scanned_bytes`: whole megabytes, at least 10.
int64_t BilledBytes(int64_t scanned_bytes);

/// `bytes` as "83.7 MB" (binary units: KB, MB, GB, TB of 1024).
std::string FormatBytes(int64_t bytes);

}  // namespace ac::connector
