#pragma once

// Deletes of incremental tables (`delete_detection_every`): an incremental sync reads what is new
// or changed, never what vanished. Every N syncs a key check reads the table's primary-key columns
// only (cheap on columnar storage: Athena bills the bytes of the columns read), sorted by key, and
// compares them with the keys of the previous check (that query's result file, still in the
// staging location): every key the previous check saw that is gone now is deleted at the
// destination (a Fivetran DELETE: a soft delete) without reading any other column. Both results
// are streamed and merged in key order: memory stays constant whatever the table's size.
//
// A row inserted and deleted between two checks is never seen by either; it stays at the
// destination until a full refresh (documented in README).

#include <cstdint>
#include <string>
#include <vector>

#include "athena/athena_client.h"
#include "athena/types.h"
#include "common/value.h"
#include "connector/config.h"
#include "connector/table_sync.h"

namespace ac::connector {

/// What a key check did.
struct KeyCheckResult {
  athena::QueryExecution execution;  ///< the key query (the next check compares with its result)
  int64_t keys = 0;                  ///< keys at the source now
  int64_t previous_keys = 0;         ///< keys of the previous check (0 without one)
  int64_t deleted = 0;               ///< keys gone since: deleted at the destination
  bool compared = false;             ///< false: no previous result to compare with (first check,
                                     ///< or its result is gone)
};

/// The key query of `table`: its primary-key columns, rows with a NULL key left out, sorted by key.
std::string KeyCheckSql(const TableConfig& table);

/// Runs the key query and writes, through `services.sink`, a delete of `destination` (the
/// destination table as declared; key columns set, the others NULL) for every key of the previous
/// check (`previous_query_id`, "" = none) missing now. Results that are not sorted by key (a
/// result this connector did not ask for) throw common::ProtocolError before any wrong delete.
KeyCheckResult CheckDeletedKeys(const TableSyncServices& services, const TableConfig& table,
                                const common::TableSchema& destination,
                                const std::string& previous_query_id);

}  // namespace ac::connector
