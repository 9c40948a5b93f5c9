// The state JSON (connector::SyncState): any text is parsed or refused with a ConfigError, and a
// parsed state survives its own round trip: Parse(ToJson(Parse(x))) writes the same JSON.
//
// Input: the state text.

#include <string>

#include "common/error.h"
#include "connector/sync_state.h"
#include "fuzz_target.h"

AC_FUZZ_TARGET(sync_state) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  ac::connector::SyncState state;
  try {
    state = ac::connector::SyncState::Parse(text);
  } catch (const ac::common::ConfigError&) {
    return 0;
  }
  const std::string json = state.ToJson();
  ac::connector::SyncState again;
  try {
    again = ac::connector::SyncState::Parse(json);
  } catch (const ac::common::ConfigError& e) {
    std::fprintf(stderr, "the state's own JSON is refused: %s\n%s\n", e.what(), json.c_str());
    AC_FUZZ_CHECK(false);
  }
  AC_FUZZ_CHECK(again.tables.size() == state.tables.size());
  AC_FUZZ_CHECK(again.ToJson() == json);
  return 0;
}
