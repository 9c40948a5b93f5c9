#include "emulator/hive_seed.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "emulator/duckdb_exec.h"

namespace ac::emulator {
namespace {

namespace fs = std::filesystem;

bool Hidden(const fs::path& path) {
  const std::string name = path.filename().string();
  return !name.empty() && (name[0] == '.' || name[0] == '_');
}

bool IsInteger(const std::string& value) {
  const size_t start = !value.empty() && value[0] == '-' ? 1 : 0;
  if (value.size() <= start || value.size() - start > 18) return false;
  return std::all_of(value.begin() + start, value.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

std::runtime_error LayoutError(const fs::path& path, const std::string& what) {
  return std::runtime_error("Hive-partitioned seed folder: " + path.string() + ": " + what);
}

// The `<key>=<value>` folders of a data file below the table folder, checked.
std::vector<std::pair<std::string, std::string>> PartitionFolders(const fs::path& dir,
                                                                  const fs::path& file) {
  std::vector<std::pair<std::string, std::string>> out;
  const fs::path relative = fs::relative(file.parent_path(), dir);
  for (const auto& part : relative) {
    const std::string name = part.string();
    if (name == ".") continue;
    const size_t eq = name.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == name.size()) {
      throw LayoutError(dir / relative,
                        "folder '" + name + "' is not a partition folder '<key>=<value>'");
    }
    out.emplace_back(Lower(name.substr(0, eq)), name.substr(eq + 1));
  }
  if (out.empty()) {
    throw LayoutError(file, "a data file must be inside partition folders '<key>=<value>/'");
  }
  return out;
}

}  // namespace

HiveLayout ReadHiveLayout(const fs::path& dir) {
  HiveLayout layout;
  layout.table = Lower(dir.filename().string());
  std::map<std::string, bool> all_integers;  // key -> every value so far is an integer
  std::string format;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    if (Hidden(it->path())) {
      if (it->is_directory()) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file()) continue;
    const fs::path& file = it->path();
    const std::string ext = Lower(file.extension().string());
    if (ext != ".csv" && ext != ".parquet") {
      throw LayoutError(file, "not a data file (.csv or .parquet)");
    }
    if (format.empty()) format = ext;
    if (ext != format) throw LayoutError(file, "mixes " + ext + " with " + format + " files");
    const auto folders = PartitionFolders(dir, file);
    std::vector<std::string> keys;
    for (const auto& [key, value] : folders) {
      keys.push_back(key);
      auto [entry, inserted] = all_integers.emplace(key, true);
      entry->second = entry->second && IsInteger(value);
    }
    if (layout.files.empty()) {
      layout.keys = keys;
    } else if (keys != layout.keys) {
      throw LayoutError(file, "its partition folders differ from the first file's (" +
                                  layout.files.front().string() + ")");
    }
    layout.files.push_back(file);
  }
  if (layout.files.empty()) throw LayoutError(dir, "no .csv or .parquet files");
  std::sort(layout.files.begin(), layout.files.end());
  layout.csv = format == ".csv";
  for (const auto& key : layout.keys) {
    layout.key_types.push_back(all_integers[key] ? "bigint" : "string");
  }
  return layout;
}

std::string HiveTableSql(const HiveLayout& layout) {
  std::string files;
  for (const auto& file : layout.files) {
    files += (files.empty() ? "" : ", ") + QuoteLiteral(file.string());
  }
  std::string types;
  for (size_t k = 0; k < layout.keys.size(); ++k) {
    types += (k ? ", " : "") + QuoteLiteral(layout.keys[k]) + ": " +
             QuoteLiteral(layout.key_types[k] == "bigint" ? "BIGINT" : "VARCHAR");
  }
  const std::string options =
      "hive_partitioning = true, hive_types = {" + types + "}, union_by_name = true";
  const std::string reader = layout.csv
                                 ? "read_csv([" + files + "], header = true, " + options + ")"
                                 : "read_parquet([" + files + "], " + options + ")";
  return "CREATE OR REPLACE TABLE \"default\"." + QuoteIdentifier(layout.table) +
         " AS SELECT * FROM " + reader;
}

}  // namespace ac::emulator
