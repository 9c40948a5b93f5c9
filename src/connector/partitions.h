#pragma once

// The partitions strategy: a partitioned table's later syncs read only its newest partitions.
//
// Athena tables are mostly Hive-partitioned by a date-like key (`dt=2026-12-01/`) and append
// mostly: a predicate on the partition key itself prunes whole partitions, so Athena scans (and
// bills) only those. A table's sync follows one partition key: the first sync reads every
// partition, in chunks of at most `partitions_per_query` (each chunk one query, checkpointed when
// delivered, so a killed first sync goes on with the next chunk); a later sync reads the partitions
// from the highest value the last one delivered less `partition_lookback` (days for a date-like
// key, values for an integer key), where late rows land.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "athena/athena_client.h"
#include "athena/query_runner.h"
#include "athena/types.h"
#include "connector/config.h"

namespace ac::connector {

/// The partition key a table's syncs follow.
struct PartitionKey {
  enum class Kind {
    kDate,     ///< a date key, or a string key whose values start with an ISO date (YYYY-MM-DD)
    kInteger,  ///< an integer key (tinyint .. bigint)
  };
  std::string column;
  athena::AthenaType type;
  Kind kind = Kind::kDate;
};

/// The partition key `table` follows given the table's partition keys (in declared order) and its
/// partition values (`values_of(column)`, listed only for a string key): the configured
/// partition_column, else the first key. nullopt, with the reason in `why_not`, when that key is
/// neither date-like nor an integer (or the table has no partition keys).
std::optional<PartitionKey> ChoosePartitionKey(const TableConfig& table,
                                               const std::vector<athena::Column>& partition_keys,
                                               const std::vector<std::string>& string_values,
                                               std::string& why_not);

/// The distinct values of partition key `column` in `SHOW PARTITIONS` lines
/// (`dt=2026-12-01/region=eu`; Hive's %XX escapes undone), NULL partitions
/// (`__HIVE_DEFAULT_PARTITION__`) left out (`has_null` tells whether there is one), sorted by
/// `kind` (numerically for integers).
std::vector<std::string> PartitionValuesOf(const std::vector<std::string>& lines,
                                           const std::string& column,
                                           std::optional<PartitionKey::Kind> kind,
                                           bool* has_null = nullptr);

/// True when every value starts with an ISO date (`2026-12-01`, `2026-12-01-13`, ...); false for
/// an empty list.
bool AllDateLike(const std::vector<std::string>& values);

/// Orders two partition values of `kind` (-1, 0, 1).
int ComparePartitionValues(PartitionKey::Kind kind, std::string_view a, std::string_view b);

/// The first value a later sync reads: `value` less `lookback` days (date-like: the date part,
/// `YYYY-MM-DD`) or values (integer).
std::string LookbackStart(const PartitionKey& key, const std::string& value, int lookback);

/// One query's share of the partitions: values above `after` (exclusive) or from `from`
/// (inclusive), up to `through` (inclusive); an empty bound is open.
struct PartitionRange {
  std::string from;     ///< inclusive lower bound ("" = none)
  std::string after;    ///< exclusive lower bound ("" = none)
  std::string through;  ///< inclusive upper bound ("" = none: the newest partitions, even those
                        ///< that arrive while the sync runs)
  bool nulls = false;   ///< the NULL partition (`__HIVE_DEFAULT_PARTITION__`) alone
};

/// The ranges a sync reads, in order: `values` (sorted, of `kind`) from `from` (inclusive) or
/// after `after` (exclusive), at most `per_query` partitions each; the last range is open above.
/// One open range when nothing is listed there yet. With no lower bound (a first sync) and a NULL
/// partition (`has_null`), a range of its own reads it first.
std::vector<PartitionRange> PlanPartitionRanges(PartitionKey::Kind kind,
                                                const std::vector<std::string>& values,
                                                const std::string& from, const std::string& after,
                                                int per_query, bool has_null = false);

/// How many of `values` a range selects (for the log line).
size_t CountInRange(PartitionKey::Kind kind, const std::vector<std::string>& values,
                    const PartitionRange& range);

/// The SQL condition of `range` on `key` (placeholders `?`) and, appended to `parameters`, the
/// literal of each bound (CursorLiteral: a bound from the state reaches Athena only as a literal
/// of the key's type). "" for a range without bounds.
std::string RangeCondition(const PartitionKey& key, const PartitionRange& range,
                           std::vector<std::string>& parameters);

/// The `SHOW PARTITIONS` lines of a source table (a metadata statement: Athena scans, and bills,
/// nothing), read with GetQueryResults.
std::vector<std::string> ListPartitions(athena::AthenaClient& client, athena::QueryRunner& runner,
                                        const Config& config, const TableConfig& table);

}  // namespace ac::connector
